"""Helpers for the Alertmanager tests: MyTSDB's Alertmanager and Debian's
Alertmanager 0.25 started on 127.0.0.1 with the same configuration, and a
webhook receiver that records what each delivers."""
import http.server
import json
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import requests

from conftest import BINARY
from helpers import free_port

AMTOOL = shutil.which("amtool")
ALERTMANAGER = shutil.which("prometheus-alertmanager")
EXTERNAL_URL = "http://alertmanager.example:9093"


class Recorder:
    """An HTTP server on 127.0.0.1 that keeps every POST: (time, path, body,
    headers), and answers with `status` (helpers.PostRecorder keeps bodies
    only, for one path)."""

    def __init__(self, status=200, tls_context=None):
        self.posts = []
        self.status = status  # what to answer (tests of retries change it)
        self.lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with recorder.lock:
                    recorder.posts.append((time.time(), self.path, json.loads(body), dict(self.headers)))
                    status = recorder.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            # Dozens of groups flush at the same instant: with the default
            # backlog of 5, connections beyond it wait a SYN retransmission
            # (1 s), which the timing comparison would see.
            request_queue_size = 256

        self.httpd = Server(("127.0.0.1", 0), Handler)
        if tls_context is not None:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls_context is not None else "http"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def take(self, prefix=""):
        with self.lock:
            mine = [p for p in self.posts if p[1].startswith(prefix)]
            self.posts = [p for p in self.posts if not p[1].startswith(prefix)]
        return mine

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Process:
    def __init__(self, command, log_path):
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, url, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                # 401: up, behind basic authentication (--web.config.file).
                if requests.get(url + "/-/ready", timeout=2).status_code in (200, 401):
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"not ready in time:\n{self.log_path.read_text()}")

    def stop(self, sig=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self):
        return self.stop(sig=9)


class MytsdbAlertmanager(_Process):
    def __init__(self, config_path, data_dir, port=None, extra=()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(data_dir)
        super().__init__([str(BINARY), "alertmanager", "--config.file", str(config_path),
                          "--web.listen-address", f"127.0.0.1:{self.port}", "--storage.path", str(data_dir),
                          "--web.external-url", EXTERNAL_URL, *extra],
                         self.data_dir.parent / (self.data_dir.name + ".log"))
        self.wait_ready(self.url)


class RealAlertmanager(_Process):
    def __init__(self, config_path, data_dir, port=None, extra=()):
        assert ALERTMANAGER, "prometheus-alertmanager (Debian) is missing; scripts/setup.sh installs it"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(data_dir)
        super().__init__([ALERTMANAGER, "--config.file", str(config_path), "--storage.path", str(data_dir),
                          "--web.listen-address", f"127.0.0.1:{self.port}", "--cluster.listen-address=",
                          "--web.external-url", EXTERNAL_URL, *extra],
                         self.data_dir.parent / (self.data_dir.name + ".log"))
        self.wait_ready(self.url)


def amtool(url, *args, stdin=None):
    assert AMTOOL, "amtool (Debian prometheus-alertmanager) is missing; scripts/setup.sh installs it"
    r = subprocess.run([AMTOOL, f"--alertmanager.url={url}", *args], capture_output=True, text=True, timeout=60,
                       input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def post_alerts(url, alerts):
    r = requests.post(url + "/api/v2/alerts", json=alerts, timeout=10)
    return r


def summary(post):
    """What a webhook notification says, without times: comparable
    between two Alertmanagers."""
    _, path, body, _ = post
    return {
        "path": path,
        "receiver": body["receiver"],
        "status": body["status"],
        "groupKey": body["groupKey"],
        "groupLabels": body["groupLabels"],
        "commonLabels": body["commonLabels"],
        "commonAnnotations": body["commonAnnotations"],
        "truncatedAlerts": body["truncatedAlerts"],
        "externalURL": body["externalURL"],
        "version": body["version"],
        "alerts": [(a["status"], a["labels"], a["annotations"], a["fingerprint"], a["generatorURL"],
                    a["endsAt"] == "0001-01-01T00:00:00Z") for a in body["alerts"]],
    }


ANSI = re.compile(r"\x1b\[[0-9;]*m")
