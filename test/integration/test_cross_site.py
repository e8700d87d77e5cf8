"""State-changing requests sent by a page of another site are refused
(same_origin.h): silences, alerts, reload, quit, remote write and the admin
API, while the same requests from the server's own pages and from clients
that are not browsers (no Origin, no Sec-Fetch-Site) go through, and reads
are never refused."""
import time

import remote_write as rw

AM = """route: {receiver: none}
receivers: [{name: none}]
"""

SILENCE = {"matchers": [{"name": "job", "value": "api", "isRegex": False, "isEqual": True}],
           "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
           "createdBy": "test", "comment": "csrf"}


def start(server_factory, tmp_path):
    (tmp_path / "am.yml").write_text(AM)
    return server_factory(extra_args=["--alertmanager.config.file", str(tmp_path / "am.yml"),
                                      "--web.enable-lifecycle"])


def silences(server):
    return [s for s in server.get("/api/v2/silences").json() if s["status"]["state"] == "active"]


def test_cross_site_writes_are_refused(server_factory, tmp_path):
    server = start(server_factory, tmp_path)
    own = f"127.0.0.1:{server.port}"
    cross = [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
             {"Sec-Fetch-Site": "same-site", "Origin": "https://other.example"},
             {"Origin": f"http://127.0.0.1:{server.port + 1}"}, {"Origin": "null"}]
    for headers in cross:
        r = server.post("/api/v2/silences", json=SILENCE, headers=headers)
        assert r.status_code == 403 and "cross-site request refused" in r.text, (headers, r.text)
        assert server.post("/-/reload", headers=headers).status_code == 403
        assert server.post("/-/quit", headers=headers).status_code == 403
        assert server.post("/api/v1/admin/flush", headers=headers).status_code == 403
        now = int(time.time() * 1000)
        body = rw.encode([({"__name__": "csrf_probe"}, [(now, 1.0)])])
        assert server.post("/api/v1/write", data=body, headers={**rw.HEADERS, **headers}).status_code == 403
        # Reads are answered: another site's page cannot read them anyway.
        assert server.get("/api/v1/query", params={"query": "1"}, headers=headers).status_code == 200
    assert silences(server) == []
    assert server.get("/api/v1/query", params={"query": "csrf_probe"}).json()["data"]["result"] == []
    assert server.metric("mytsdb_http_cross_site_refused_total") == 5 * 5

    # The UI's own requests, and clients that are not browsers.
    for headers in ({"Origin": f"http://{own}", "Sec-Fetch-Site": "same-origin"}, {}):
        r = server.post("/api/v2/silences", json=SILENCE, headers=headers)
        assert r.status_code == 200, r.text
        silence_id = r.json()["silenceID"]
        assert server.http.delete(f"{server.url}/api/v2/silence/{silence_id}", headers=headers).status_code == 200
    assert server.http.delete(f"{server.url}/api/v2/silence/{silence_id}",
                              headers={"Origin": "https://evil.example"}).status_code == 403
    assert server.post("/-/reload", headers={"Origin": f"http://{own}"}).status_code == 200


def test_behind_a_proxy_the_external_url_is_this_site(server_factory, tmp_path):
    """A proxy may pass its own Host; the browser's Origin is then the
    external URL's, which counts as this server's."""
    server = server_factory(extra_args=["--web.external-url", "https://tsdb.example.com/", "--web.enable-lifecycle"])
    assert server.post("/-/reload", headers={"Origin": "https://tsdb.example.com"}).status_code == 200
    assert server.post("/-/reload", headers={"Origin": "https://evil.example"}).status_code == 403
