"""An S3-compatible server for tests (moto's server mode, from .venv) on
127.0.0.1, and a proxy before it that injects the failures of a real object
store (503s, lost answers, answers slower than the client's timeout) and
counts requests and bytes, as an object store bills them."""
import http.client
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from helpers import free_port

MOTO = Path(sys.executable).parent / "moto_server"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_REGION": "us-east-1"}


class Moto:
    def __init__(self, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(self.url + "/moto-api/", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"moto_server did not start: see {log_path}")
            time.sleep(0.1)

    def create_bucket(self, name):
        r = requests.put(f"{self.url}/{name}", timeout=10)
        assert r.status_code == 200, r.text

    def keys(self, bucket, prefix=""):
        """Every key under `prefix`, with its size."""
        import re
        out, token = {}, None
        while True:
            params = {"list-type": "2", "prefix": prefix}
            if token:
                params["continuation-token"] = token
            body = requests.get(f"{self.url}/{bucket}", params=params, timeout=10).text
            for key, size in re.findall(r"<Key>([^<]*)</Key>.*?<Size>(\d+)</Size>", body):
                out[key] = int(size)
            m = re.search(r"<NextContinuationToken>([^<]*)</NextContinuationToken>", body)
            if not m:
                return out
            token = m.group(1)

    def get(self, bucket, key):
        """An object's bytes, read with a signed request (pyarrow's S3)."""
        from pyarrow import fs
        s3 = fs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                             endpoint_override=f"127.0.0.1:{self.port}", scheme="http")
        with s3.open_input_stream(f"{bucket}/{key}") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def _read_chunked(rfile):
    body = bytearray()
    while True:
        size = int(rfile.readline().split(b";")[0].strip(), 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += rfile.read(size)
        rfile.readline()


def request_kind(method, path, conditional):
    """The request as an object store bills it: GET, LIST, HEAD, PUT (an
    object or a part), PUT conditional, POST (multipart start or end),
    DELETE."""
    if conditional:
        return "PUT conditional"
    if method == "GET" and ("list-type=" in path or "delimiter=" in path):
        return "LIST"
    return method


class FaultProxy:
    """Forwards to `upstream_port`. Each conditional put (If-None-Match)
    fails with probability `put_fault_rate` in one of three ways: a 503 that
    wrote nothing, a lost answer (forwarded, then 503), or an answer slower
    than `slow_seconds`; other requests get a 503 with probability
    `other_fault_rate`. Counts requests per method and bytes each way."""

    def __init__(self, upstream_port, seed=1, put_fault_rate=0.0, other_fault_rate=0.0,
                 slow_seconds=3.0):
        self.upstream_port = upstream_port
        self.rng = random.Random(seed)
        self.put_fault_rate = put_fault_rate
        self.other_fault_rate = other_fault_rate
        self.slow_seconds = slow_seconds
        self.lock = threading.Lock()
        self.requests = Counter()
        self.faults = Counter()
        self.bytes_in = 0   # request bodies: what was uploaded
        self.bytes_out = 0  # response bodies: what was downloaded
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = _read_chunked(self.rfile)
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conditional = self.command == "PUT" and "If-None-Match" in self.headers
                fault = proxy._decide(request_kind(self.command, self.path, conditional), conditional,
                                      len(body))
                if fault == "503":
                    return self._answer(503, b"<Error><Code>SlowDown</Code></Error>", {})
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("transfer-encoding", "content-length", "connection")}
                headers["Content-Length"] = str(len(body))
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                res = conn.getresponse()
                data = res.read()
                out_headers = {k: v for k, v in res.getheaders()
                               if k.lower() not in ("transfer-encoding", "content-length", "connection")}
                conn.close()
                if fault == "lost":
                    return self._answer(503, b"", {})
                if fault == "slow":
                    time.sleep(proxy.slow_seconds)
                with proxy.lock:
                    proxy.bytes_out += len(data)
                # A HEAD's Content-Length is the object's, not the empty body's.
                length = res.getheader("Content-Length") if self.command == "HEAD" else None
                self._answer(res.status, data, out_headers, length)

            def _answer(self, status, data, headers, length=None):
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", length or str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): as a real store would see

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_one

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _decide(self, kind, conditional, body_bytes):
        with self.lock:
            self.requests[kind] += 1
            self.bytes_in += body_bytes
            if conditional and self.rng.random() < self.put_fault_rate:
                fault = self.rng.choice(["503", "lost", "slow"])
            elif not conditional and self.rng.random() < self.other_fault_rate:
                fault = "503"
            else:
                return None
            self.faults[fault] += 1
            return fault

    def set_rates(self, put_fault_rate, other_fault_rate):
        with self.lock:
            self.put_fault_rate = put_fault_rate
            self.other_fault_rate = other_fault_rate

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
