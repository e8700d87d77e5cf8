"""Semantic search in the server (docs/SEARCH.md): /api/v1/search over
metrics written by remote write with their metadata, `mytsdb search`, the
400s, filters, a restart that embeds nothing again, and the vectors' Delta
table read by other engines: deltalake and pyarrow read it, DuckDB ranks
with array_cosine_similarity and LanceDB builds a table from the same files
and searches it, each with the same top results as the server."""
import json
import subprocess
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

import remote_write as rw
from conftest import BINARY
from helpers import wait_for

SERVER_ARGS = ["--search.refresh-interval", "200ms"]

COUNTER, GAUGE, HISTOGRAM, SUMMARY = 1, 2, 3, 5

# (family, type, help, unit, [(metric name, labels)])
METRICS = [
    ("http_request_duration_seconds", HISTOGRAM, "Latency of HTTP requests.", "seconds",
     [("http_request_duration_seconds_bucket", {"handler": h, "le": le}) for h in ("/api", "/login")
      for le in ("0.1", "1", "+Inf")]
     + [(f"http_request_duration_seconds_{s}", {"handler": h}) for h in ("/api", "/login") for s in ("sum", "count")]),
    ("http_requests_total", COUNTER, "Total number of HTTP requests by status code.", "",
     [("http_requests_total", {"code": c, "job": "api"}) for c in ("200", "404", "500")]),
    ("node_filesystem_avail_bytes", GAUGE, "Filesystem space available to non-root users in bytes.", "bytes",
     [("node_filesystem_avail_bytes", {"mountpoint": m, "job": "node"}) for m in ("/", "/data")]),
    ("node_load1", GAUGE, "1m load average.", "", [("node_load1", {"job": "node"})]),
    ("process_open_fds", GAUGE, "Number of open file descriptors.", "", [("process_open_fds", {"job": "api"})]),
    ("go_gc_duration_seconds", SUMMARY, "A summary of the pause duration of garbage collection cycles.", "seconds",
     [("go_gc_duration_seconds", {"quantile": q, "job": "api"}) for q in ("0.5", "0.99")]
     + [("go_gc_duration_seconds_sum", {"job": "api"}), ("go_gc_duration_seconds_count", {"job": "api"})]),
    ("container_oom_events_total", COUNTER, "Count of out of memory events observed for the container.", "",
     [("container_oom_events_total", {"container": "db", "job": "cadvisor"})]),
    ("redis_memory_used_bytes", GAUGE, "Total number of bytes allocated by Redis.", "bytes",
     [("redis_memory_used_bytes", {"job": "redis"})]),
]


def write_metrics(server):
    now = int(time.time() * 1000)
    series = [({"__name__": name, **labels}, [(now, 1.0)]) for _, _, _, _, members in METRICS
              for name, labels in members]
    metadata = [(family, mtype, help_, unit) for family, mtype, help_, unit, _ in METRICS]
    r = rw.write(server.http, server.url, series, metadata)
    assert r.status_code == 204, r.text


def search(server, q, **params):
    r = server.get("/api/v1/search", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return r.json()


def wait_indexed(server, families):
    def ready():
        r = server.get("/api/v1/search", params={"q": "anything", "limit": 100})
        if r.status_code == 503:  # the service opens after the storage
            assert r.json()["error"] == "search is starting", r.text
            return False
        body = r.json()
        return "warnings" not in body and len(body["data"]) >= families
    wait_for(ready, timeout=60)


def top(server, q, **params):
    data = search(server, q, **params)["data"]
    return data[0]["metric"] if data else None


def test_search_finds_what_a_question_means(server):
    write_metrics(server)
    wait_indexed(server, len(METRICS))
    assert top(server, "show me latency metrics") == "http_request_duration_seconds"
    assert top(server, "which disks are almost full") == "node_filesystem_avail_bytes"
    assert top(server, "time spent in garbage collection") == "go_gc_duration_seconds"
    assert top(server, "oom") == "container_oom_events_total"
    assert top(server, "rps") == "http_requests_total"
    assert top(server, "redis memory") == "redis_memory_used_bytes"
    assert top(server, "node_load1") == "node_load1"

    hit = search(server, "latency", limit=1)["data"][0]
    assert hit["type"] == "histogram" and hit["unit"] == "seconds" and hit["help"] == "Latency of HTTP requests."
    assert hit["series"] == 10
    assert hit["metric_names"] == ["http_request_duration_seconds_bucket", "http_request_duration_seconds_count",
                                   "http_request_duration_seconds_sum"]
    assert hit["labels"] == [{"name": "handler", "distinct_values": 2, "top_values": [
        {"value": "/api", "series": 5}, {"value": "/login", "series": 5}]}]
    assert hit["query"] == "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))"
    # The suggested queries run.
    for family, *_ in METRICS:
        q = search(server, family, limit=1)["data"][0]["query"]
        r = server.get("/api/v1/query", params={"query": q})
        assert r.status_code == 200, (q, r.text)
    counter = search(server, "http_requests_total", limit=1)["data"][0]
    assert counter["query"] == "rate(http_requests_total[5m])"
    assert search(server, "go_gc_duration_seconds", limit=1)["data"][0]["query"] == \
        "rate(go_gc_duration_seconds_sum[5m]) / rate(go_gc_duration_seconds_count[5m])"

    # Filters.
    assert {h["metric"] for h in search(server, "memory", type="gauge", limit=100)["data"]} <= {
        f for f, t, *_ in METRICS if t == GAUGE}
    node = search(server, "latency", **{"match[]": '{job="node"}', "limit": 100})["data"]
    assert {h["metric"] for h in node} == {"node_filesystem_avail_bytes", "node_load1"}
    both = server.get("/api/v1/search", params=[("q", "x"), ("limit", "100"), ("match[]", '{job="node"}'),
                                                ("match[]", '{job="redis"}')]).json()["data"]
    assert {h["metric"] for h in both} == {"node_filesystem_avail_bytes", "node_load1", "redis_memory_used_bytes"}
    assert len(search(server, "latency", limit=3)["data"]) == 3

    # Each mode alone.
    assert top(server, "latency", mode="semantic") == "http_request_duration_seconds"
    assert top(server, "file descriptors", mode="lexical") == "process_open_fds"

    # Its metrics.
    assert server.metric("mytsdb_search_indexed_families") == len(METRICS)
    assert server.metric("mytsdb_search_embedded_total") == len(METRICS)
    assert server.metric("mytsdb_search_table_version") >= 0

    # The command line.
    out = subprocess.run([str(BINARY), "search", "--url", server.url, "--limit", "2", "disk almost full"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert "node_filesystem_avail_bytes" in first and "gauge" in first, out.stdout
    assert "query:  node_filesystem_avail_bytes" in out.stdout
    js = subprocess.run([str(BINARY), "search", "--url", server.url, "--format", "json", "latency"],
                        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert json.loads(js.stdout)["data"][0]["metric"] == "http_request_duration_seconds"
    bad = subprocess.run([str(BINARY), "search", "--url", server.url, "--type", "nope", "x"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert bad.returncode == 1 and bad.stderr.startswith("mytsdb search: error: invalid parameter \"type\"")


@pytest.mark.parametrize("params, message", [
    ({}, 'missing parameter "q"'),
    ({"q": "   "}, 'missing parameter "q"'),
    ({"q": "x" * 10240}, 'parameter "q" is 10240 bytes, at most 1024'),
    ({"q": "x", "limit": "0"}, 'invalid parameter "limit"'),
    ({"q": "x", "limit": "101"}, 'invalid parameter "limit"'),
    ({"q": "x", "limit": "ten"}, 'invalid parameter "limit"'),
    ({"q": "x", "type": "counters"}, 'invalid parameter "type"'),
    ({"q": "x", "match[]": "{job="}, 'invalid parameter "match[]"'),
    ({"q": "x", "mode": "fuzzy"}, 'invalid parameter "mode"'),
    ({"q": "x", "job": "node"}, 'unknown parameter "job"'),
])
def test_bad_input_is_a_400(server, params, message):
    r = server.get("/api/v1/search", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["status"] == "error" and body["errorType"] == "bad_data"
    assert body["error"].startswith(message), body["error"]
    assert server.get("/-/ready").status_code == 200


def test_restart_embeds_nothing_again_and_other_engines_read_the_vectors(server_factory, tmp_path):
    data = tmp_path / "data"
    server = server_factory(data)
    write_metrics(server)
    wait_indexed(server, len(METRICS))
    # Into the cold tier: after the restart the catalog comes from the
    # Parquet files' name and label columns alone.
    assert server.post("/api/v1/admin/flush", data=b"").status_code == 204
    assert server.stop() == 0
    server = server_factory(data)
    wait_indexed(server, len(METRICS))
    assert server.metric("mytsdb_head_series") == 0
    hit = search(server, "show me latency metrics", limit=1)["data"][0]
    assert hit["metric"] == "http_request_duration_seconds" and hit["series"] == 10
    assert hit["help"] == "Latency of HTTP requests."
    log = server.log_path.read_text()
    assert log.count(f"{len(METRICS)} embedded") == 1, log  # the first run only

    table_dir = data / "search" / "vectors"
    delta = DeltaTable(str(table_dir))
    rows = delta.to_pyarrow_table()
    assert sorted(rows.column("metric").to_pylist()) == sorted(f for f, *_ in METRICS)
    schema = {f["name"]: f["type"] for f in json.loads(delta.schema().to_json())["fields"]}
    assert schema["embedding"] == {"type": "array", "elementType": "float", "containsNull": False}
    files = [u.removeprefix("file://") for u in delta.file_uris()]
    assert all(pq.read_schema(f).field("embedding").type == pa.list_(pa.field("element", pa.float32(), False), 384)
               for f in files)
    for f in files:
        assert pq.read_table(f).schema.field("embedding").type.list_size == 384

    questions = ["show me latency metrics", "which disks are almost full", "garbage collection pauses",
                 "memory used by the cache", "too many open files", "containers killed for memory"]
    import lancedb
    lance = lancedb.connect(str(tmp_path / "lance"))
    arrow_rows = pa.concat_tables([pq.read_table(f) for f in files])
    lance_table = lance.create_table("metrics", data=arrow_rows.rename_columns(
        ["metric", "text", "model", "vector", "updated"]))
    con = duckdb.connect()
    for q in questions:
        served = [h["metric"] for h in search(server, q, mode="semantic", limit=5)["data"]]
        assert len(served) == 5
        emb = server.get("/api/v1/search/embedding", params={"q": q}).json()["data"]
        assert emb["model"] == "all-MiniLM-L6-v2" and emb["dimension"] == 384
        ranked = con.execute(
            "SELECT metric FROM read_parquet(?) "
            "ORDER BY array_cosine_similarity(embedding::FLOAT[384], ?::FLOAT[384]) DESC, metric LIMIT 5",
            [files, emb["embedding"]]).fetchall()
        assert [r[0] for r in ranked] == served, q
        lanced = lance_table.search(emb["embedding"]).metric("cosine").limit(5).to_list()
        assert [r["metric"] for r in lanced] == served, q


class FakeEmbeddings:
    """An OpenAI-compatible /v1/embeddings on 127.0.0.1: each text's words
    hashed into 32 numbers (so that shared words make vectors close), with
    the bearer token checked."""

    def __init__(self, port, key):
        import hashlib
        import http.server
        import threading

        outer = self
        self.requests = 0

        def vector(text):
            v = [0.0] * 32
            for word in text.lower().replace("_", " ").replace(".", " ").split():
                v[int(hashlib.md5(word.encode()).hexdigest(), 16) % 32] += 1.0
            v[31] += 0.1
            return v

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                outer.requests += 1
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.headers.get("Authorization") != f"Bearer {key}":
                    self.send_response(401)
                    reply = {"error": {"message": "bad key"}}
                else:
                    self.send_response(200)
                    reply = {"object": "list", "model": body["model"],
                             "data": [{"object": "embedding", "index": i, "embedding": vector(t)}
                                      for i, t in enumerate(body["input"])]}
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(reply).encode())

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_an_embeddings_endpoint_ranks_instead_of_the_model(server_factory, tmp_path):
    from helpers import free_port
    port = free_port()
    key_file = tmp_path / "key"
    key_file.write_text("sekret\n")
    args = ["--search.embeddings-url", f"http://127.0.0.1:{port}/v1/embeddings",
            "--search.embeddings-model", "fake-embedder", "--search.embeddings-api-key-file", str(key_file)]
    data = tmp_path / "data"
    # Nothing answers yet: the server runs, search says why it cannot.
    server = server_factory(data, extra_args=args)
    write_metrics(server)

    def unavailable():
        r = server.get("/api/v1/search", params={"q": "latency"})
        return r.status_code == 503 and "did not answer" in r.json()["error"] and r.json()["error"]
    assert f"127.0.0.1:{port}" in wait_for(unavailable)
    assert server.get("/api/v1/query", params={"query": "node_load1"}).json()["data"]["result"]

    endpoint = FakeEmbeddings(port, "sekret")
    try:
        # Asked again every refresh interval (200 ms here).
        wait_for(lambda: server.get("/api/v1/search", params={"q": "x"}).status_code == 200)
        wait_indexed(server, len(METRICS))
        assert endpoint.requests >= 2  # the first one learned the dimension
        r = search(server, "redis memory used bytes", mode="semantic", limit=1)
        assert r["data"][0]["metric"] == "redis_memory_used_bytes" and r["data"][0]["semantic"] > 0.5
        embedding = server.get("/api/v1/search/embedding", params={"q": "disk"}).json()["data"]
        assert embedding["model"] == "fake-embedder" and embedding["dimension"] == 32
    finally:
        endpoint.close()
    # The endpoint gone: hybrid ranks by words and says so, semantic is a 503.
    r = search(server, "filesystem available bytes", limit=1)
    assert r["data"][0]["metric"] == "node_filesystem_avail_bytes"
    assert any("lexical only" in w for w in r["warnings"]), r
    assert server.get("/api/v1/search", params={"q": "asked only now", "mode": "semantic"}).status_code == 503
    assert server.stop() == 0

    rows = DeltaTable(str(data / "search" / "vectors")).to_pyarrow_table()
    assert set(rows.column("model").to_pylist()) == {"fake-embedder"}
    assert {len(v) for v in rows.column("embedding").to_pylist()} == {32}


@pytest.mark.parametrize("args, message", [
    (["--search.embeddings-url", "http://127.0.0.1:1/v1/embeddings"], "needs --search.embeddings-model"),
    (["--search.embeddings-url", "127.0.0.1:1", "--search.embeddings-model", "m"], "http:// or https://"),
    (["--search.embeddings-model", "m"], "need --search.embeddings-url"),
])
def test_embeddings_flags_are_checked(tmp_path, args, message):
    out = subprocess.run([BINARY, "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0", *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and message in out.stderr, out.stderr
