"""The HTTP server under hostile or careless clients: silent connections,
slow requests, oversized headers and bodies, many queries at once. None of
them may take the server down or keep others out."""
import socket
import threading
import time

import pytest
import requests

import remote_write as rw

SERVER_ARGS = ["--retention", "100y"]
T0 = 1_700_000_000_000


def connect(server):
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def test_silent_connections_cannot_keep_others_out(server_factory):
    server = server_factory(extra_args=["--web.max-connections", "16"])
    # Four times the limit of connections that never send a byte.
    silent = [connect(server) for _ in range(64)]
    try:
        started = time.monotonic()
        for _ in range(20):
            r = requests.get(server.url + "/-/healthy", timeout=5)
            assert r.status_code == 200
        r = rw.write(requests, server.url, [({"__name__": "up"}, [(T0, 1.0)])])
        assert r.status_code == 204, r.text
        # Liveness: answered while the silent ones are open, not after them.
        assert time.monotonic() - started < 10
        assert server.metric("mytsdb_http_connections_evicted_total") > 0
        assert server.metric("mytsdb_http_open_connections") <= 16 + 1
    finally:
        for s in silent:
            s.close()


def test_a_request_that_does_not_arrive_in_time_is_cut_off(server_factory):
    server = server_factory(extra_args=["--web.read-timeout", "1s"])
    s = connect(server)
    s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n")  # and never the end of the headers
    s.settimeout(10)
    started = time.monotonic()
    assert s.recv(1024) == b""  # closed by the server
    assert time.monotonic() - started < 5
    s.close()
    assert server.metric("mytsdb_http_request_timeouts_total") >= 1
    assert requests.get(server.url + "/-/healthy", timeout=5).status_code == 200


def test_oversized_headers_and_bodies_are_refused(server):
    r = requests.get(server.url + "/api/v1/labels", headers={"X-Big": "a" * (2 << 20)}, timeout=30)
    assert r.status_code == 431, r.text
    r = requests.post(server.url + "/api/v1/query", data={"query": "up", "pad": "x" * (17 << 20)},
                      timeout=60)
    assert r.status_code == 413, r.text
    assert server.metric("mytsdb_http_requests_too_large_total") == 2
    # A bare POST without a body is fine (no waiting for one).
    s = connect(server)
    s.sendall(b"POST /api/v1/labels HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s.settimeout(10)
    assert s.recv(64).startswith(b"HTTP/1.1 200")
    s.close()
    r = requests.get(server.url + "/api/v1/nope", timeout=5)
    assert r.status_code == 404
    r = requests.delete(server.url + "/api/v1/query", timeout=5)
    assert r.status_code == 405


def test_many_queries_at_once_wait_their_turn(server_factory):
    server = server_factory(extra_args=["--query.max-concurrency", "2"])
    series = [({"__name__": "m", "i": str(i)}, [(T0 + k * 15_000, float(k)) for k in range(240)])
              for i in range(50)]
    assert rw.write(server.http, server.url, series).status_code == 204
    results = []

    def query():
        r = requests.get(server.url + "/api/v1/query_range",
                         params={"query": "sum(rate(m[5m]))", "start": T0 / 1000,
                                 "end": T0 / 1000 + 3600, "step": 15}, timeout=60)
        results.append(r.status_code)

    threads = [threading.Thread(target=query) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 30
    assert server.metric("mytsdb_http_requests_refused_total") == 0


def test_lifecycle_endpoints_need_their_flag(server_factory):
    server = server_factory()
    for path in ["/-/reload", "/-/quit"]:
        r = server.post(path)
        assert r.status_code == 403 and "Lifecycle API is not enabled" in r.text
    enabled = server_factory(extra_args=["--web.enable-lifecycle"])
    assert enabled.post("/-/reload").status_code == 200
    r = enabled.post("/-/quit")
    assert r.status_code == 200 and "Goodbye" in r.text
    assert enabled.proc.wait(timeout=30) == 0
