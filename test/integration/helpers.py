"""Small helpers shared by integration tests: free ports, waiting for a
condition, and starting a peer (Prometheus, Alertmanager) on 127.0.0.1
until it answers /-/ready."""
import socket
import subprocess
import time

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(fn, timeout=30, interval=0.2):
    """fn()'s first truthy value within `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting")


def start_peer(command, url, log_path, timeout=60):
    """Starts `command` with its output in `log_path`; returns (process,
    log file) once `url`/-/ready answers 200."""
    log = open(log_path, "wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while True:
        try:
            if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                return proc, log
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(f"{command[0]} did not start: see {log_path}")
        time.sleep(0.1)


class PostRecorder:
    """An HTTP endpoint on 127.0.0.1 that answers 200 to every POST and keeps
    the JSON bodies (a webhook receiver, an Alertmanager's alerts API)."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                bodies.append((time.time(), json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def protobuf_module(proto):
    """The Python module protoc generates from `proto` (a path), made at
    import time into a temporary directory."""
    import importlib
    import sys
    import tempfile
    out = tempfile.mkdtemp(prefix="mytsdb_pb_")
    subprocess.run(["protoc", f"--proto_path={proto.parent}", f"--python_out={out}", proto.name], check=True)
    sys.path.insert(0, out)
    return importlib.import_module(proto.stem + "_pb2")
