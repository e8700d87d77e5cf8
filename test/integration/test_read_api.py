"""/api/v1/series, labels, label values and export: Prometheus's shapes."""
import json

import pytest

import remote_write as rw

T0 = 1_700_000_000_000
# The data is from 2023: retention counts back from the clock, so keep it all.
SERVER_ARGS = ["--retention", "100y"]


@pytest.fixture
def loaded(server):
    series = [
        ({"__name__": "up", "job": "api", "instance": "a"}, [(T0, 1.0), (T0 + 60_000, 1.0)]),
        ({"__name__": "up", "job": "web", "instance": "b"}, [(T0 + 120_000, 0.0)]),
        ({"__name__": "http_requests_total", "job": "api", "code": "200"}, [(T0, 10.0)]),
        ({"__name__": "http_requests_total", "job": "api", "code": "500"}, [(T0, 1.0)]),
    ]
    assert rw.write(server.http, server.url, series).status_code == 204
    return server


def test_series(loaded):
    r = loaded.get("/api/v1/series", params={"match[]": "up"})
    assert r.json() == {"status": "success", "data": [
        {"__name__": "up", "instance": "a", "job": "api"},
        {"__name__": "up", "instance": "b", "job": "web"}]}
    # Several match[] are a union; POST form-encoded works the same.
    r = loaded.post("/api/v1/series", data={"match[]": ['up{job="web"}',
                                                        'http_requests_total{code=~"5.."}']})
    assert [s["__name__"] for s in r.json()["data"]] == ["http_requests_total", "up"]
    # Time range: the web series only has a sample at T0+120s.
    r = loaded.get("/api/v1/series", params={"match[]": "up", "start": str(T0 / 1000),
                                             "end": str((T0 + 60_000) / 1000)})
    assert [s["job"] for s in r.json()["data"]] == ["api"]
    r = loaded.get("/api/v1/series", params={"match[]": "up", "limit": "1"})
    assert len(r.json()["data"]) == 1 and r.json()["warnings"]


@pytest.mark.parametrize("params,message", [
    ({}, "no match[] parameter provided"),
    ({"match[]": "up{"}, "parse error"),
    ({"match[]": '{job=""}'}, "at least one non-empty matcher"),
    ({"match[]": "up", "start": "yesterday"}, 'invalid parameter "start"'),
    ({"match[]": "up", "start": "20", "end": "10"}, "end timestamp must not be before start"),
    ({"match[]": "up", "limit": "-1"}, 'invalid parameter "limit"'),
])
def test_series_bad_requests(loaded, params, message):
    r = loaded.get("/api/v1/series", params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "error" and body["errorType"] == "bad_data"
    assert message in body["error"], body


def test_labels_and_values(loaded):
    assert loaded.get("/api/v1/labels").json() == {
        "status": "success", "data": ["__name__", "code", "instance", "job"]}
    assert loaded.get("/api/v1/labels", params={"match[]": "up"}).json()["data"] == [
        "__name__", "instance", "job"]
    assert loaded.get("/api/v1/label/job/values").json() == {
        "status": "success", "data": ["api", "web"]}
    assert loaded.get("/api/v1/label/__name__/values").json()["data"] == [
        "http_requests_total", "up"]
    assert loaded.get("/api/v1/label/code/values", params={"match[]": 'http_requests_total{code!="200"}'}
                      ).json()["data"] == ["500"]
    assert loaded.get("/api/v1/label/nope/values").json()["data"] == []
    # Outside the data's time range there is nothing.
    assert loaded.get("/api/v1/labels", params={"start": "1", "end": "2"}).json()["data"] == []


def test_export_json_lines(loaded):
    r = loaded.get("/api/v1/export", params={"match[]": "up"})
    assert r.status_code == 200
    lines = [json.loads(l) for l in r.text.splitlines()]
    assert lines == [
        {"metric": {"__name__": "up", "instance": "a", "job": "api"}, "values": [1, 1],
         "timestamps": [T0, T0 + 60_000]},
        {"metric": {"__name__": "up", "instance": "b", "job": "web"}, "values": [0],
         "timestamps": [T0 + 120_000]},
    ]
    r = loaded.get("/api/v1/export", params={"match[]": "up", "start": str(T0 / 1000 + 30),
                                             "end": str(T0 / 1000 + 90)})
    assert [json.loads(l)["timestamps"] for l in r.text.splitlines()] == [[T0 + 60_000]]
    assert loaded.get("/api/v1/export").status_code == 400
    assert loaded.get("/api/v1/export", params={"match[]": "up", "value_encoding": "x"}).status_code == 400


def test_export_streams_many_series(server):
    series = [({"__name__": "many", "i": str(i)}, [(T0 + j * 1000, float(i * j)) for j in range(5)])
              for i in range(3000)]
    assert rw.write(server.http, server.url, series).status_code == 204
    got = rw.export(server.http, server.url, "many", hex_values=False)
    assert len(got) == 3000
    assert got[frozenset({"__name__": "many", "i": "7"}.items())] == [
        (T0 + j * 1000, 7 * j) for j in range(5)]
