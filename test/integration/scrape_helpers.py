"""Targets for the scraping tests: an HTTP server on 127.0.0.1 that serves
expositions the test sets per path (body, Content-Type, status, delay,
gzip), and remembers the headers of each request."""
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Endpoint:
    def __init__(self, body="", content_type="text/plain; version=0.0.4", status=200, delay=0.0, gzipped=False):
        self.body, self.content_type, self.status, self.delay, self.gzipped = body, content_type, status, delay, gzipped


class TargetServer:
    def __init__(self):
        self.endpoints = {}
        self.requests = []  # (path, headers)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path.split("?")[0]
                owner.requests.append((self.path, dict(self.headers)))
                e = owner.endpoints.get(path)
                if e is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if e.delay:
                    time.sleep(e.delay)
                body = e.body.encode() if isinstance(e.body, str) else e.body
                self.send_response(e.status)
                if e.content_type is not None:
                    self.send_header("Content-Type", e.content_type)
                if e.gzipped:
                    body = gzip.compress(body)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def set(self, path, **kw):
        self.endpoints[path] = Endpoint(**kw)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
