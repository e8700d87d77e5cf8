"""PromQL over HTTP: /api/v1/query, query_range, format_query, query_exemplars
and status/buildinfo with Prometheus's JSON shapes, errors and limits, and
every call Grafana's Prometheus data source makes (docs/API.md lists them)."""
import pytest
import requests

import remote_write as rw

T0 = 1_700_000_000_000  # ms
# The data is from 2023: retention counts back from the clock, so keep it all.
SERVER_ARGS = ["--retention", "100y"]
S0 = T0 / 1000


@pytest.fixture
def loaded(server):
    series = []
    for inst, rate in (("a", 1.0), ("b", 2.0)):
        series.append(({"__name__": "http_requests_total", "job": "api", "instance": inst},
                       [(T0 + i * 15_000, i * 15 * rate) for i in range(41)]))
    series.append(({"__name__": "up", "job": "api", "instance": "a"}, [(T0 + i * 15_000, 1.0) for i in range(41)]))
    assert rw.write(server.http, server.url, series).status_code == 204
    return server


def ok(r):
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success", body
    return body["data"]


def error(r, code, error_type, text):
    assert r.status_code == code, r.text
    body = r.json()
    assert body["status"] == "error" and body["errorType"] == error_type, body
    assert text in body["error"], body
    return body


def test_instant_query_shapes(loaded):
    t = S0 + 600
    data = ok(loaded.get("/api/v1/query", params={"query": "rate(http_requests_total[5m])", "time": t}))
    assert data["resultType"] == "vector"
    got = {s["metric"]["instance"]: (s["value"][0], float(s["value"][1])) for s in data["result"]}
    assert got == {"a": (t, pytest.approx(1)), "b": (t, pytest.approx(2))}
    assert all("__name__" not in s["metric"] for s in data["result"])
    # Scalar and string results; the health check Grafana runs is `1+1`.
    assert ok(loaded.get("/api/v1/query", params={"query": "1+1", "time": t})) == {
        "resultType": "scalar", "result": [t, "2"]}
    assert ok(loaded.get("/api/v1/query", params={"query": '"hi"', "time": 1.5})) == {
        "resultType": "string", "result": [1.5, "hi"]}
    # A range selector at the top gives a matrix of raw samples.
    data = ok(loaded.get("/api/v1/query", params={"query": 'up[30s]', "time": S0 + 30}))
    assert data == {"resultType": "matrix", "result": [
        {"metric": {"__name__": "up", "instance": "a", "job": "api"}, "values": [[S0 + 15, "1"], [S0 + 30, "1"]]}]}
    # Special values are strings, as in Prometheus.
    data = ok(loaded.get("/api/v1/query", params={"query": "up / 0", "time": t}))
    assert data["result"][0]["value"][1] == "+Inf"


def test_post_form_and_limit(loaded):
    t = S0 + 600
    data = ok(loaded.post("/api/v1/query", data={"query": "http_requests_total", "time": str(t)}))
    assert len(data["result"]) == 2
    r = loaded.get("/api/v1/query", params={"query": "http_requests_total", "time": t, "limit": "1"})
    body = r.json()
    assert len(body["data"]["result"]) == 1 and body["warnings"] == ["results truncated due to limit"]


def test_range_query(loaded):
    params = {"query": "sum by (job) (rate(http_requests_total[1m]))", "start": S0 + 60,
              "end": S0 + 300, "step": "60"}
    data = ok(loaded.get("/api/v1/query_range", params=params))
    assert data["resultType"] == "matrix"
    assert [s["metric"] for s in data["result"]] == [{"job": "api"}]
    values = data["result"][0]["values"]
    assert [v[0] for v in values] == [S0 + 60 * k for k in range(1, 6)]
    assert [float(v[1]) for v in values] == pytest.approx([3] * 5)
    # The same by POST, with the step as a duration.
    assert ok(loaded.post("/api/v1/query_range", data=dict(params, step="1m"))) == data
    # A scalar expression is a matrix with one unlabelled series.
    data = ok(loaded.get("/api/v1/query_range", params={"query": "1", "start": 0, "end": 60, "step": 30}))
    assert data == {"resultType": "matrix", "result": [{"metric": {}, "values": [[0, "1"], [30, "1"], [60, "1"]]}]}
    # Times before the epoch with a fraction: the sign, then the magnitude.
    data = ok(loaded.get("/api/v1/query_range", params={"query": "1", "start": -1.5, "end": 0.25, "step": 0.875}))
    assert [v[0] for v in data["result"][0]["values"]] == [-1.5, -0.625, 0.25]


@pytest.mark.parametrize("path,params,text", [
    ("/api/v1/query", {"query": "rate(up[5m]"}, 'invalid parameter "query": 1:12: parse error'),
    ("/api/v1/query", {"query": "sum(up) by"}, 'invalid parameter "query"'),
    ("/api/v1/query", {"query": "up", "time": "noon"}, 'invalid parameter "time"'),
    ("/api/v1/query", {"query": "up", "timeout": "soon"}, 'invalid parameter "timeout"'),
    ("/api/v1/query_range", {"query": "up", "start": 10, "end": 0, "step": 1}, "end timestamp must not be before start time"),
    ("/api/v1/query_range", {"query": "up", "start": 0, "end": 10, "step": 0}, "zero or negative query resolution step"),
    ("/api/v1/query_range", {"query": "up", "start": 0, "end": 11001, "step": 1}, "exceeded maximum resolution of 11,000 points"),
    ("/api/v1/query_range", {"query": "up[5m]", "start": 0, "end": 10, "step": 1}, 'invalid expression type "range vector" for range query'),
    ("/api/v1/query_range", {"query": "up", "start": "x", "end": 10, "step": 1}, 'invalid parameter "start"'),
    ("/api/v1/format_query", {"query": "up +"}, 'invalid parameter "query"'),
])
def test_bad_requests_are_400(loaded, path, params, text):
    error(loaded.get(path, params=params), 400, "bad_data", text)


def test_execution_errors_are_422(loaded):
    # Many-to-many matching is an execution error, as in Prometheus.
    error(loaded.get("/api/v1/query", params={"query": "up + on(job) http_requests_total", "time": S0 + 60}),
          422, "execution", "found duplicate series for the match group")
    error(loaded.get("/api/v1/query", params={"query": "http_requests_total + on(job) up", "time": S0 + 60}),
          422, "execution", "many-to-one matching must be explicit")
    error(loaded.get("/api/v1/query", params={"query": "topk(scalar(nothing), up)", "time": S0 + 60}),
          422, "execution", "Parameter value is NaN")


def test_limits(server_factory):
    srv = server_factory(extra_args=["--query.max-samples", "10"])
    series = [({"__name__": "up", "job": "api"}, [(T0 + i * 15_000, 1.0) for i in range(41)])]
    assert rw.write(srv.http, srv.url, series).status_code == 204
    error(srv.get("/api/v1/query", params={"query": "count_over_time(up[10m])", "time": S0 + 600}),
          422, "execution", "query processing would load too many samples into memory")
    # A subquery with too many steps is refused before it allocates them.
    error(srv.get("/api/v1/query", params={"query": "sum_over_time(vector(1)[10000d:1s])", "time": S0}),
          422, "execution", "too many samples")
    # Under the limit the same server answers.
    assert ok(srv.get("/api/v1/query", params={"query": "count_over_time(up[1m])", "time": S0 + 600}))["result"]
    # The server is still healthy after refusing.
    assert srv.get("/-/healthy").status_code == 200


def test_timeout_is_503(server_factory):
    srv = server_factory(extra_args=["--query.max-samples", "100000000"])
    # ~2.6M subquery steps take far longer than 1 ms.
    r = srv.get("/api/v1/query", params={"query": "sum_over_time(vector(1)[30d:1s])", "time": 0, "timeout": "1ms"})
    error(r, 503, "timeout", "query timed out")
    # Without the short timeout it completes.
    data = ok(srv.get("/api/v1/query", params={"query": "count_over_time(vector(1)[1d:1s])", "time": 0}))
    assert data["result"][0]["value"][1] == "86400"


def test_format_query_and_exemplars(loaded):
    assert ok(loaded.get("/api/v1/format_query", params={"query": "sum(rate(x[5m]))by(job)"})) == \
        "sum by (job) (rate(x[5m]))"
    assert ok(loaded.post("/api/v1/format_query", data={"query": "a+on(b)group_left c"})) == \
        "a + on (b) group_left () c"
    # MyTSDB stores no exemplars: an empty list, but the query is checked.
    assert ok(loaded.get("/api/v1/query_exemplars", params={"query": "up", "start": S0, "end": S0 + 60})) == []
    error(loaded.get("/api/v1/query_exemplars", params={"query": "up{"}), 400, "bad_data", "parse error")


def test_grafana_data_source_calls(loaded):
    """The requests Grafana's Prometheus data source sends (docs/API.md)."""
    # Health check and version detection.
    assert ok(loaded.get("/api/v1/query", params={"query": "1+1", "time": S0}))["result"][1] == "2"
    info = ok(loaded.get("/api/v1/status/buildinfo"))
    assert info["version"] and "features" not in info
    # Query editor: metric names, labels, values, metadata, series.
    assert "up" in ok(loaded.get("/api/v1/label/__name__/values", params={"start": S0, "end": S0 + 600}))
    assert "instance" in ok(loaded.get("/api/v1/labels", params={"match[]": "up"}))
    assert ok(loaded.get("/api/v1/series", params={"match[]": "up", "start": S0, "end": S0 + 600}))
    assert isinstance(ok(loaded.get("/api/v1/metadata")), dict)
    # Panels: range queries by POST with Grafana's aligned start/end/step, exemplars.
    data = ok(loaded.post("/api/v1/query_range", data={
        "query": "rate(http_requests_total[$__rate_interval])".replace("$__rate_interval", "1m"),
        "start": str(S0 + 60), "end": str(S0 + 600), "step": "15"}))
    assert len(data["result"]) == 2
    assert ok(loaded.post("/api/v1/query_exemplars", data={"query": "up", "start": str(S0), "end": str(S0 + 600)})) == []
    # Format query button.
    assert ok(loaded.post("/api/v1/format_query", data={"query": "up"})) == "up"
    # Escaped label names in URL paths (Grafana escapes UTF-8 names).
    assert ok(loaded.get("/api/v1/label/U__instance/values")) == ["a", "b"]


def test_parse_query(loaded):
    """Prometheus 3's /api/v1/parse_query: the syntax tree its UI draws."""
    tree = ok(loaded.get("/api/v1/parse_query", params={"query": 'sum by (job) (rate(x{a="b"}[5m] offset 1m))'}))
    assert tree == {
        "type": "aggregation", "op": "sum", "grouping": ["job"], "without": False, "param": None,
        "expr": {
            "type": "call", "func": {"name": "rate", "argTypes": ["matrix"], "variadic": 0, "returnType": "vector"},
            "args": [{
                "type": "matrixSelector", "name": "x", "range": 300000, "rangeExpr": None, "offset": 60000,
                "offsetExpr": None, "timestamp": None, "startOrEnd": None, "anchored": False, "smoothed": False,
                "matchers": [{"name": "a", "type": "=", "value": "b"}, {"name": "__name__", "type": "=", "value": "x"}],
            }],
        },
    }
    tree = ok(loaded.post("/api/v1/parse_query", data={"query": "a / on(b) group_left(c) -x @ end() > bool 2"}))
    assert tree["type"] == "binaryExpr" and tree["op"] == ">" and tree["bool"] is True and tree["matching"] is None
    div = tree["lhs"]
    assert div["op"] == "/" and div["matching"] == {
        "card": "many-to-one", "labels": ["b"], "on": True, "include": ["c"], "fillValues": {"lhs": None, "rhs": None}}
    assert div["rhs"]["type"] == "unaryExpr" and div["rhs"]["expr"]["startOrEnd"] == "end"
    assert tree["rhs"] == {"type": "numberLiteral", "val": "2"}
    error(loaded.get("/api/v1/parse_query", params={"query": "sum("}), 400, "bad_data", "parse error")


def test_warnings_and_infos(loaded):
    """PromQL annotations go to `warnings` and `infos`, with positions."""
    body = loaded.get("/api/v1/query", params={"query": "rate(up[5m])", "time": S0 + 600}).json()
    assert body["status"] == "success"
    assert body["infos"] == ['PromQL info: metric might not be a counter, name does not end in '
                             '_total/_sum/_count/_bucket: "up" (1:6)']
    assert "warnings" not in body
    body = loaded.get("/api/v1/query_range", params={"query": "sort(up)", "start": S0, "end": S0 + 60, "step": 15}).json()
    assert body["warnings"] == ["PromQL warning: sort is ineffective for range queries since results are always "
                                "ordered by labels (1:1)"]
    body = loaded.get("/api/v1/query", params={"query": "quantile(1.5, up)", "time": S0 + 60}).json()
    assert body["warnings"] == ["PromQL warning: quantile value should be between 0 and 1, got 1.5 (1:10)"]
    # A counter is not flagged.
    assert "infos" not in loaded.get("/api/v1/query", params={"query": "rate(http_requests_total[5m])",
                                                              "time": S0 + 600}).json()


def test_overflowing_time_parameters_are_400_not_500(server):
    # Issue 10's reproduction: (end - start) overflowed and made a vector too
    # large to create.
    r = server.get("/api/v1/query_range", params={"query": "1", "start": "-9200000000000000",
                                                  "end": "9200000000000000", "step": "1"})
    error(r, 400, "bad_data", 'invalid parameter "start": timestamp out of range')
    # Within range, the difference still does not fit in 64 bits.
    r = server.get("/api/v1/query_range", params={"query": "1", "start": "-4600000000000000",
                                                  "end": "4600000000000000", "step": "1"})
    error(r, 400, "bad_data", "exceeded maximum resolution of 11,000 points")
    for params in ({"query": "1", "time": "1e300"},
                   {"query": "1", "time": "-9.3e15"},
                   {"query": "1", "time": "0", "timeout": "1e300"},
                   {"query": "1", "time": "0", "lookback_delta": "99999999999999999999999y"}):
        r = server.get("/api/v1/query", params=params)
        assert r.status_code == 400, (params, r.text)
    for params in ({"query": "1", "start": "0", "end": "1e18", "step": "1e17"},
                   {"query": "1", "start": "0", "end": "10", "step": "1e300"}):
        r = server.get("/api/v1/query_range", params=params)
        assert r.status_code == 400, (params, r.text)
    r = server.get("/api/v1/series", params={"match[]": "up", "start": "-1e300"})
    assert r.status_code == 400, r.text
    assert server.get("/-/healthy").status_code == 200


def test_sample_limit_bounds_what_a_query_holds_not_what_it_reads(server_factory):
    """--query.max-samples bounds the samples a query holds at once, as in
    Prometheus: queries stream through the series a batch at a time, so one
    that reads far more than the limit but keeps little answers, and one
    whose answer or working set would exceed it fails early."""
    srv = server_factory(extra_args=["--query.max-samples", "1000"])
    series = [({"__name__": "big", "i": str(i)}, [(T0 + k * 1000, float(k)) for k in range(500)])
              for i in range(200)]
    assert rw.write(srv.http, srv.url, series).status_code == 204
    # 100,000 samples read, 200 points kept.
    r = srv.get("/api/v1/query", params={"query": "count_over_time(big[11m])", "time": S0 + 600})
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]["result"]) == 200
    assert {x["value"][1] for x in r.json()["data"]["result"]} == {"500"}
    # The raw samples themselves would be 100,000 points in the answer.
    error(srv.get("/api/v1/query", params={"query": "big[10m]", "time": S0 + 600}),
          422, "execution", "query processing would load too many samples into memory")
    # So would 200 series x 11 steps of a range query.
    error(srv.get("/api/v1/query_range", params={"query": "big", "start": S0, "end": S0 + 500,
                                                "step": 50}),
          422, "execution", "query processing would load too many samples into memory")
    # The server is still healthy after refusing.
    assert srv.get("/-/healthy").status_code == 200


def test_a_query_whose_client_left_stops(server_factory):
    """A client that gives up and closes the connection frees the query
    slot: its query stops at the next check instead of computing an answer
    nobody reads."""
    server = server_factory(extra_args=["--query.max-concurrency", "1", "--query.threads", "1",
                                        "--query.timeout", "1h"])
    for first in range(0, 200, 50):
        series = [({"__name__": "slow", "i": str(i)},
                   [(T0 + k * 10_000, float((i * 31 + k) % 97)) for k in range(4320)])
                  for i in range(first, first + 50)]
        assert rw.write(server.http, server.url, series, timeout=120).status_code == 204
    # Minutes of work: 10,800 steps x 200 series, each step the median of a
    # 43,200-point window (17 M subquery points, under the sample limit).
    slow = {"query": "quantile_over_time(0.5, slow[12h:1s])", "start": S0, "end": S0 + 12 * 3600, "step": 4}
    error(server.get("/api/v1/query_range", params={**slow, "timeout": "5s"}, timeout=120),
          503, "timeout", "timed out")
    # The same query, abandoned by its client after a second...
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url + "/api/v1/query_range", params=slow, timeout=1)
    # ...no longer holds the only query slot.
    r = server.get("/api/v1/query", params={"query": "1+1"}, timeout=60)
    assert r.status_code == 200, r.text
    assert server.metric("mytsdb_http_requests_abandoned_total") == 1
