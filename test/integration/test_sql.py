"""/api/v1/sql: SQL over both tiers, checked against the other read paths.

The `samples` table must hold exactly what /api/v1/export returns (but
staleness markers, which PromQL does not see as samples either), and its
per-series counts and sums must be PromQL's, whether the data is in the
head, in the cold tier, or both, while a flush or a compaction runs, and
with backfilled duplicates. Errors have the PromQL endpoints' shapes.
"""
import json
import math
import struct
import threading
import time

import pytest
import requests

import remote_write as rw

MIN = 60_000
DAY = 24 * 60 * MIN
# Midnight (UTC) two days ago, and a retention that keeps it.
T0 = (int(time.time() * 1000) // DAY - 2) * DAY
SERVER_ARGS = ["--retention", "30d"]
STALE = 0x7FF0000000000002


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def series_labels():
    out = []
    for host in range(4):
        for cpu in range(3):
            out.append({"__name__": "node_cpu_seconds_total", "instance": f"h{host}:9100",
                        "cpu": str(cpu), "job": "node"})
        out.append({"__name__": "request_latency_seconds", "instance": f"h{host}:9100",
                    "customer": f"c{host % 3}", "job": "api"})
    out.append({"__name__": "weird", "value": "a label named value", "labels": "and one named labels"})
    return out


def value_at(i, ts):
    """Counters, decimals, and now and then a NaN or a staleness marker."""
    if i == 3 and ts // 15_000 % 97 == 5:
        return float("nan")
    if i == 7 and ts // 15_000 % 53 == 0:
        return struct.unpack("<d", struct.pack("<Q", STALE))[0]
    return float(ts // 15_000 % 1000) * (1 if i % 2 else 0.25) + i


def ingest(server, start, end, step=15_000):
    labels = series_labels()
    t = start
    while t < end:
        batch = [(l, [(ts, value_at(i, ts)) for ts in range(t, min(t + 10 * MIN, end), step)])
                 for i, l in enumerate(labels)]
        r = rw.write(server.http, server.url, batch)
        assert r.status_code == 204, r.text
        t += 10 * MIN


def sql(server, query, **params):
    r = server.post("/api/v1/sql", data={"query": query, **params}, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success"
    return body["data"]


def sql_samples(server):
    """{(labels, ts, value bits)} of every row of `samples`."""
    data = sql(server, "SELECT metric, labels, epoch_ms(ts) AS t, value FROM samples")
    assert [c["name"] for c in data["columns"]] == ["metric", "labels", "t", "value"]
    out = set()
    for metric, labels, t, value in data["rows"]:
        key = frozenset({"__name__": metric, **labels}.items())
        v = float(value) if isinstance(value, str) else value  # "NaN" as a string
        out.add((key, t, bits(v)))
    return out


def exported(server):
    got = rw.export(server.http, server.url, '{__name__=~".+"}')
    return {(labels, t, v) for labels, samples in got.items() for t, v in samples if v != STALE}


def promql_per_series(server, fn, at):
    r = server.get("/api/v1/query", params={"query": f'{fn}({{__name__=~".+"}}[3d])', "time": at / 1000})
    assert r.status_code == 200, r.text
    return {frozenset(s["metric"].items()): float(s["value"][1]) for s in r.json()["data"]["result"]}


def sql_per_series(server):
    rows = sql(server, "SELECT any_value(metric), any_value(labels), count(*), sum(value) "
                       "FROM samples GROUP BY series_id")["rows"]
    return {frozenset({"__name__": m, **l}.items()): (c, float(s) if isinstance(s, str) else s)
            for m, l, c, s in rows}


def check_against_export_and_promql(server, end):
    want = exported(server)
    assert len(want) > 1000
    assert sql_samples(server) == want
    per_series = sql_per_series(server)
    # PromQL drops __name__ from *_over_time results: compare by the rest.
    unnamed = {frozenset((k, v) for k, v in key if k != "__name__"): cs for key, cs in per_series.items()}
    counts = promql_per_series(server, "count_over_time", end)
    sums = promql_per_series(server, "sum_over_time", end)
    assert len(counts) == len(per_series) == len(series_labels())
    for key, (count, total) in unnamed.items():
        assert counts[key] == count, key
        if math.isnan(sums[key]):
            assert math.isnan(total), key
        else:
            assert total == pytest.approx(sums[key], rel=1e-12), key


@pytest.mark.parametrize("stage", ["head", "cold", "mixed"])
def test_samples_are_what_export_and_promql_return(server, stage):
    end = T0 + 6 * 60 * MIN
    ingest(server, T0, end)
    if stage in ("cold", "mixed"):
        assert server.post("/api/v1/admin/flush").status_code == 204
    if stage == "mixed":
        ingest(server, end, end + 60 * MIN)
        end += 60 * MIN
    cold, head = server.metric("mytsdb_cold_samples"), server.metric("mytsdb_head_series")
    assert (cold > 0, head > 0) == {"head": (False, True), "cold": (True, False),
                                    "mixed": (True, True)}[stage]
    check_against_export_and_promql(server, end)
    # Staleness markers are not rows; the real NaNs are.
    assert sql(server, "SELECT count(*) FROM samples WHERE isnan(value)")["rows"][0][0] > 0


def test_backfilled_duplicates_resolve_as_export_does(server):
    end = T0 + 3 * 60 * MIN
    ingest(server, T0, end)
    labels = series_labels()[0]
    # The first hour again, with other values: older than the head accepts,
    # so backfilled; the head's samples win. Then the same over the flushed
    # files: the last commit wins.
    assert rw.write(server.http, server.url,
                    [(labels, [(t, 1e6) for t in range(T0, T0 + 60 * MIN, 15_000)])]).status_code == 204
    check_against_export_and_promql(server, end)
    assert sql(server, "SELECT count(*) FROM samples WHERE value = 1e6")["rows"][0][0] == 0
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert rw.write(server.http, server.url,
                    [(labels, [(t, 2e6) for t in range(T0, T0 + 30 * MIN, 15_000)])]).status_code == 204
    check_against_export_and_promql(server, end)
    assert sql(server, "SELECT count(*) FROM samples WHERE value = 2e6")["rows"][0][0] == 120


def test_a_flush_or_compaction_during_queries_neither_hides_nor_doubles(server):
    # Six hours in 1-hour flushes (six files a compaction merges), then two
    # hours in the head that a flush persists while queries run.
    for hour in range(6):
        ingest(server, T0 + hour * 60 * MIN, T0 + (hour + 1) * 60 * MIN)
        assert server.post("/api/v1/admin/flush").status_code == 204
    ingest(server, T0 + 6 * 60 * MIN, T0 + 8 * 60 * MIN)
    query = "SELECT count(*), sum(value) FILTER (WHERE NOT isnan(value)) FROM samples"
    want = sql(server, query)["rows"]
    assert want[0][0] > 1000
    errors = []

    def maintenance():
        try:
            for path in ("/api/v1/admin/flush", "/api/v1/admin/compact"):
                r = server.post(path, timeout=120)
                if r.status_code != 204:
                    errors.append(f"{path}: {r.status_code} {r.text}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    files_before = server.metric("mytsdb_cold_files")
    t = threading.Thread(target=maintenance)
    t.start()
    queries = 0
    while t.is_alive() or queries < 3:
        assert sql(server, query)["rows"] == want, f"query {queries}"
        queries += 1
    t.join()
    assert not errors, errors
    assert server.metric("mytsdb_cold_files") < files_before
    assert sql(server, query)["rows"] == want


def test_tables_are_listed_and_follow_new_label_names(server):
    ingest(server, T0, T0 + 10 * MIN)
    tables = sql(server, "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1")["rows"]
    assert tables == [["metadata", "VIEW"], ["samples", "VIEW"], ["series", "VIEW"]]
    columns = [r[0] for r in sql(server, "SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'samples'")["rows"]]
    assert "customer" in columns and "zone" not in columns
    # A label name never seen before: the next query has its column.
    assert rw.write(server.http, server.url,
                    [({"__name__": "new_metric", "zone": "eu"}, [(T0, 1.0)])]).status_code == 204
    assert sql(server, "SELECT metric, zone FROM samples WHERE zone IS NOT NULL")["rows"] == [["new_metric", "eu"]]
    assert sql(server, "SELECT count(*) FROM series WHERE zone = 'eu'")["rows"] == [[1]]
    columns = [r[0] for r in sql(server, "SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'samples'")["rows"]]
    assert "zone" in columns


def test_metadata_table(server):
    # Metadata as remote write sends it: (family, type 1 = counter, help, unit).
    r = rw.write(server.http, server.url, [({"__name__": "jobs_total", "job": "x"}, [(T0, 1.0)])],
                 metadata=[("jobs_total", 1, "Jobs done.", "")])
    assert r.status_code == 204, r.text
    assert sql(server, "SELECT * FROM metadata")["rows"] == [["jobs_total", "counter", "Jobs done.", ""]]


def test_formats_limit_and_streaming(server):
    ingest(server, T0, T0 + 60 * MIN)
    r = server.get("/api/v1/sql", params={"query": "SELECT metric, ts, value FROM samples "
                                                    "WHERE metric = 'weird' ORDER BY ts LIMIT 2",
                                          "format": "csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0] == "metric,ts,value"
    assert lines[1].startswith(f"weird,{time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(T0 / 1000))},")
    data = sql(server, "SELECT * FROM range(10) t(i)", limit="3")
    assert data["rows"] == [[0], [1], [2]] and data["truncated"] is True
    assert sql(server, "SELECT * FROM range(3) t(i)", limit="3")["truncated"] is False
    # A large result streams (chunked), a chunk of rows at a time.
    with server.http.get(server.url + "/api/v1/sql", params={
            "query": "SELECT i, 'row ' || i AS s FROM range(2000000) t(i)", "format": "csv"},
            stream=True, timeout=120) as r:
        assert r.status_code == 200
        assert r.headers.get("Transfer-Encoding") == "chunked"
        rows = sum(chunk.count(b"\n") for chunk in r.iter_content(1 << 16))
    assert rows == 2_000_001


def test_arrow_and_parquet_results_read_back_with_pyarrow(server):
    import io

    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    ingest(server, T0, T0 + 60 * MIN)
    query = ("SELECT metric, ts, value, labels FROM samples WHERE metric = 'request_latency_seconds' "
             "ORDER BY series_id, ts")
    want = sql(server, query)["rows"]
    assert len(want) > 900  # 4 series, an hour every 15 s, a few staleness markers
    for fmt in ("arrow", "parquet"):
        r = server.post("/api/v1/sql", data={"query": query, "format": fmt})
        assert r.status_code == 200, r.text
        body = io.BytesIO(r.content)
        table = ipc.open_stream(body).read_all() if fmt == "arrow" else pq.read_table(body)
        assert table.num_rows == len(want), fmt
        assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"
        assert [bits(v) for v in table.column("value").to_pylist()] == \
            [bits(float(row[2])) for row in want]  # JSON's "NaN" as float('NaN')
        assert dict(table.column("labels")[0].as_py()) == want[0][3]
    # The limit cuts the rows there too.
    r = server.post("/api/v1/sql", data={"query": "SELECT * FROM range(5000) t(i)", "format": "parquet",
                                         "limit": "4097"})
    assert pq.read_table(io.BytesIO(r.content)).num_rows == 4097


@pytest.mark.parametrize("params,code,error_type,message", [
    ({}, 400, "bad_data", 'missing parameter "query"'),
    ({"query": "SELEC 1"}, 400, "bad_data", "at character 0"),
    ({"query": "SELECT nope FROM samples"}, 400, "bad_data", "nope"),
    ({"query": "COPY (SELECT 1) TO '/tmp/x.csv'"}, 400, "bad_data", "only SELECT statements are allowed, not COPY"),
    ({"query": "CREATE TABLE t AS SELECT 1"}, 400, "bad_data", "not CREATE"),
    ({"query": "SELECT 1; SELECT 2"}, 400, "bad_data", "one statement"),
    ({"query": "SELECT * FROM read_csv('/etc/passwd')"}, 400, "bad_data", "disabled by configuration"),
    ({"query": "SELECT 1", "format": "xml"}, 400, "bad_data", 'invalid parameter "format"'),
    ({"query": "SELECT 1", "limit": "-2"}, 400, "bad_data", 'invalid parameter "limit"'),
    ({"query": "SELECT 1", "timeout": "soon"}, 400, "bad_data", 'invalid parameter "timeout"'),
    ({"query": "SELECT CAST('x' AS INTEGER)"}, 422, "execution", "Conversion"),
    ({"query": "SELECT sum(hash(i)) FROM range(1000000000000) t(i)", "timeout": "500ms"}, 503, "timeout",
     "timed out"),
])
def test_errors(server, params, code, error_type, message):
    r = server.post("/api/v1/sql", data=params, timeout=60)
    assert r.status_code == code, r.text
    body = r.json()
    assert body["status"] == "error" and body["errorType"] == error_type, body
    assert message in body["error"], body


def test_a_query_over_the_memory_limit_fails_alone_and_ingestion_goes_on(server_factory):
    server = server_factory(extra_args=["--sql.memory-limit", "64MiB", "--sql.threads", "2"])
    done = threading.Event()
    written = []

    def write_meanwhile():
        t = T0
        while not done.is_set():
            r = rw.write(server.http, server.url, [({"__name__": "during", "i": "1"}, [(t, 1.0)])])
            written.append(r.status_code)
            t += 15_000
            time.sleep(0.01)

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    try:
        r = server.post("/api/v1/sql", data={
            "query": "SELECT length(string_agg(i::VARCHAR || repeat('x', 20), ',')) FROM range(100000000) t(i)"},
            timeout=120)
    finally:
        done.set()
        writer.join()
    assert r.status_code == 422, r.text
    assert r.json()["errorType"] == "execution" and "memory" in r.json()["error"].lower()
    assert written and set(written) == {204}
    assert sql(server, "SELECT count(*) FROM samples WHERE metric = 'during'")["rows"] == [[len(written)]]


def tree_digest(path):
    """{relative path: (size, sha256)} of every file under `path`."""
    import hashlib
    out = {}
    for p in sorted(path.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(path))] = (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def run_cli(*args):
    import subprocess

    from conftest import BINARY
    return subprocess.run([str(BINARY), "sql", *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_cli_against_a_server_and_over_a_stopped_servers_data(server):
    # Two hours in Parquet files, one in the head (its WAL) only.
    ingest(server, T0, T0 + 120 * MIN)
    assert server.post("/api/v1/admin/flush").status_code == 204
    ingest(server, T0 + 120 * MIN, T0 + 180 * MIN)
    query = "SELECT metric, count(*) AS n FROM samples GROUP BY metric ORDER BY metric"
    want = sql(server, query)["rows"]
    assert len(want) == 3 and all(n >= 720 for _, n in want)

    r = run_cli("--url", server.url, query)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "metric" and lines[-1] == "(3 rows)"
    assert [[c.strip() for c in line.split("|")] for line in lines[2:-1]] == [[m, str(n)] for m, n in want]
    r = run_cli("--url", server.url, "--format", "csv", query)
    assert r.stdout.splitlines() == ["metric,n"] + [f"{m},{n}" for m, n in want]
    r = run_cli("--url", server.url, "SELEC 1")
    assert r.returncode == 1 and r.stderr.startswith("mytsdb sql: error: SQL: at character 0")

    # While the server runs, its data directory is not read behind its back.
    r = run_cli("--data-dir", str(server.data_dir), query)
    assert r.returncode == 1 and "--url" in r.stderr

    # Killed: the last hour is only in the WAL. The CLI reads it all and
    # changes no file.
    server.kill()
    before = tree_digest(server.data_dir)
    r = run_cli("--data-dir", str(server.data_dir), "--format", "csv", query)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["metric,n"] + [f"{m},{n}" for m, n in want]
    after = tree_digest(server.data_dir)
    assert {k: v for k, v in after.items() if k != "LOCK"} == {k: v for k, v in before.items() if k != "LOCK"}
    # The restarted server sees the same.
    server.start()
    assert sql(server, query)["rows"] == want
