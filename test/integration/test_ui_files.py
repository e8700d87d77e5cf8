"""The web UI's files as the server serves them (docs/design/ui.md):
assets as they are with long-lived caching under assets/, index.html for
every page path (so that a shared URL opens its page) with the route
prefix in its <base href>, 404 for a missing asset and for the API's
unknown paths, no way out of the directory, and a refused start when
--web.ui-dir holds no UI."""
import socket

import pytest

from helpers import wait_for

INDEX = '<!doctype html><html><head><base href="/"><script src="assets/app-3f2a.js"></script></head></html>'


@pytest.fixture
def ui_dir(tmp_path):
    d = tmp_path / "ui"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text(INDEX)
    (d / "assets" / "app-3f2a.js").write_text("console.log('ui')")
    (d / "favicon.svg").write_text("<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return d


def raw_get(port, path):
    """A GET sent as written (requests would normalise the path)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode(errors="replace")


def test_serves_the_ui(server_factory, ui_dir):
    server = server_factory(extra_args=["--web.ui-dir", str(ui_dir)])
    index = server.get("/")
    assert index.status_code == 200 and index.text == INDEX
    assert index.headers["Content-Type"].startswith("text/html") and index.headers["Cache-Control"] == "no-cache"
    for page in ("/query", "/silences", "/targets", "/query?g0.expr=up"):
        r = server.get(page)
        assert r.status_code == 200 and r.text == INDEX, page
    # Deeper paths are no page of the UI.
    assert server.get("/alerts/silences").status_code == 404
    assert server.get("/tsdb/api/v1/query").status_code == 404
    asset = server.get("/assets/app-3f2a.js")
    assert asset.status_code == 200 and asset.text == "console.log('ui')"
    assert asset.headers["Content-Type"].startswith("text/javascript")
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert server.get("/favicon.svg").headers["Content-Type"] == "image/svg+xml"
    assert server.get("/assets/missing-1234.js").status_code == 404
    # The API keeps its own answers.
    assert server.get("/api/v1/nope").status_code == 404
    assert server.get("/-/healthy").status_code == 200
    assert server.get("/api/v1/query", params={"query": "1"}).json()["status"] == "success"
    assert server.post("/").status_code == 405
    # Nothing outside the directory.
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/./index.html"):
        answer = raw_get(server.port, path)
        assert "not for the web" not in answer, path
        assert answer.startswith("HTTP/1.1 404") or answer.startswith("HTTP/1.1 400"), (path, answer[:80])


def test_the_route_prefix_goes_into_base_href(server_factory, ui_dir):
    server = server_factory(extra_args=["--web.ui-dir", str(ui_dir), "--web.route-prefix", "/prom"], start=False)
    server.start(wait_ready=False)
    wait_for(lambda: server.http.get(server.url + "/prom/-/ready", timeout=2).status_code == 200)
    r = server.get("/prom/query")
    assert r.status_code == 200 and '<base href="/prom/">' in r.text
    assert server.get("/prom/assets/app-3f2a.js").status_code == 200
    assert server.get("/query").status_code == 404
    # As Prometheus, the bare prefix and the root lead into the prefix.
    for path in ("/prom", "/"):
        r = server.get(path, allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"] == "/prom/", path
    assert server.post("/prom").status_code == 405


def test_a_ui_dir_without_a_ui_stops_the_start(server_factory, tmp_path):
    server = server_factory(extra_args=["--web.ui-dir", str(tmp_path)], start=False)
    with pytest.raises(RuntimeError) as failed:
        server.start(timeout=15)
    assert server.proc.wait(timeout=15) == 1
    assert f"--web.ui-dir {tmp_path} holds no index.html" in str(failed.value)
