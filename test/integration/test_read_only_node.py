"""Read-only query nodes (issue 18, point 3; docs/SCALING.md): two writers
share a table in object storage (moto on 127.0.0.1), each holding its
newest samples in its head; a node started with --read-only over the same
table answers from the table plus what it asks the writers over remote
read.

What must hold: the node's answers hold every written sample exactly once
(export, PromQL counts per series, SQL), though part of them is only in
the writers' heads; search finds the persisted metrics; it refuses writes
with 405; and with one writer killed
its PromQL and SQL answers carry a warning naming that writer and hold
what the table and the other writer have (never more, never a wrong number
left unmarked).
"""
import subprocess
import time
from collections import Counter

import requests

import remote_write as rw
from conftest import BINARY
from helpers import wait_for
from test_cold_tier import MIN, bits
from test_object_storage import bucket, moto, s3_server, stop_s3_servers  # noqa: F401
from test_object_storage import ingest

HOUR = 60 * MIN
NOW = (int(time.time() * 1000) // MIN) * MIN
START = NOW - 4 * HOUR  # two blocks of two hours: the older one is persisted


def exported_counts(server):
    """Every sample the server answers, counted: (labels, ts, value bits)."""
    got = rw.export(server.http, server.url, '{__name__=~".+"}')
    return Counter((labels, t, v) for labels, samples in got.items() for t, v in samples)


def persisted_up_to(server):
    return server.get("/api/v1/status/cold").json()["data"]["table"]["persistedUpTo"]


def query(server, promql, at):
    r = server.get("/api/v1/query", params={"query": promql, "time": at / 1000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "success", body
    return ({frozenset(s["metric"].items()): float(s["value"][1]) for s in body["data"]["result"]},
            body.get("warnings", []))


def expected_counts(written, since):
    """count_over_time per series (name dropped) over (since, NOW]."""
    out = Counter()
    for labels, t, _ in written:
        if t > since:
            out[frozenset((k, v) for k, v in labels if k != "__name__")] += 1
    return dict(out)


def test_read_only_node_merges_the_table_and_the_writers_heads(tmp_path, moto, bucket):  # noqa: F811
    a = s3_server(tmp_path, moto.url, bucket, name="a", extra=["--cluster.writer", "a"],
                  maintenance_interval="1s").start()
    b = s3_server(tmp_path, moto.url, bucket, name="b", extra=["--cluster.writer", "b"],
                  maintenance_interval="1s").start()
    written_a = ingest(a, START, NOW, {"shard": "a"})
    written_b = ingest(b, START, NOW, {"shard": "b"})
    written = written_a | written_b
    # Writer a persists its older block and keeps the newer in its head;
    # b persists everything, so that its samples above a's watermark are
    # both in the table and in every writer's answer (a's reads the table
    # too): the node must count them once.
    assert b.post("/api/v1/admin/flush", timeout=120).status_code == 204
    wait_for(lambda: persisted_up_to(a) is not None, timeout=60)
    assert START < persisted_up_to(a) < NOW
    assert persisted_up_to(b) == max(t for _, t, _ in written_b) + 1
    assert a.get("/api/v1/status/tsdb").json()["data"]["headStats"]["numSeries"] > 0
    assert b.get("/api/v1/status/tsdb").json()["data"]["headStats"]["numSeries"] == 0

    node = s3_server(tmp_path, moto.url, bucket, name="node", maintenance_interval="1s",
                     extra=["--read-only", "--cluster.writers", f"{a.url},{b.url}"]).start()

    # Everything, each sample once, though part of it is only in the heads.
    counts = exported_counts(node)
    assert set(counts) == written
    assert max(counts.values()) == 1
    a_persisted_up_to = persisted_up_to(a)
    in_a_head = {s for s in written_a if s[1] >= a_persisted_up_to}
    assert len(in_a_head) > 0.3 * len(written_a)

    # PromQL: samples per series over the last 5 h, and a sum over shards.
    got, warnings = query(node, 'count_over_time({__name__=~".+"}[5h])', NOW)
    assert warnings == []
    assert got == expected_counts(written, NOW - 5 * HOUR)
    got, _ = query(node, 'count by (shard) (count_over_time(node_cpu_seconds_total[90m]))', NOW)
    assert got == {frozenset({("shard", "a")}): 6.0, frozenset({("shard", "b")}): 6.0}

    # SQL reads through the same path.
    r = node.post("/api/v1/sql", data={"query": "SELECT count(*) AS n FROM samples"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["rows"][0][0] == len(written), r.text
    assert "warnings" not in r.json()

    # Search knows the persisted metrics (its catalog is the table's).
    def top(q):
        r = node.get("/api/v1/search", params={"q": q})
        return r.status_code == 200 and r.json()["data"] and r.json()["data"][0]["metric"]
    wait_for(lambda: top("request latency") == "http_request_duration_seconds", timeout=60)
    assert top("cpu time") == "node_cpu_seconds_total"

    # The node writes nothing.
    r = rw.write(node.http, node.url, [({"__name__": "x"}, [(NOW, 1.0)])])
    assert r.status_code == 405
    assert "read-only" in r.text
    assert node.post("/api/v1/admin/tsdb/delete_series", params={"match[]": "x"}).status_code == 405

    # A writer killed: its head's samples are missing, and the answer says
    # so; what it persisted is still there, through the table.
    a.kill()
    got, warnings = query(node, 'count_over_time({__name__=~".+"}[5h])', NOW)
    assert len(warnings) == 1 and a.url in warnings[0], warnings
    assert got == expected_counts(written_b | (written_a - in_a_head), NOW - 5 * HOUR)
    r = node.post("/api/v1/sql", data={"query": "SELECT count(*) AS n FROM samples"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["rows"][0][0] == len(written) - len(in_a_head), r.text
    assert len(r.json()["warnings"]) == 1 and a.url in r.json()["warnings"][0], r.text
    for path in ("/api/v1/series", "/api/v1/labels", "/api/v1/label/instance/values"):
        r = node.get(path, params={"match[]": "node_cpu_seconds_total", "start": (NOW - HOUR) / 1000})
        assert r.status_code == 200 and r.json()["data"], r.text
        assert len(r.json()["warnings"]) == 1 and a.url in r.json()["warnings"][0], (path, r.text)


def test_read_only_start_up_refusals(tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text("groups: []\n")
    config = tmp_path / "config.yml"
    config.write_text(f"rule_files: [{rules}]\n")
    for args, message in [
        (["--read-only"], "--read-only serves a shared table: give its --storage.cold-url"),
        (["--cluster.writers", "http://127.0.0.1:1"], "--cluster.writers lists the writers a --read-only node"),
        (["--read-only", "--config", str(config)], "a --read-only node evaluates no rules"),
        (["--read-only", "--storage.cold-url", "s3://b/t", "--cluster.writers", "ftp://x"],
         "--cluster.writers: writer URL \"ftp://x\""),
    ]:
        out = subprocess.run([str(BINARY), "serve", "--data-dir", str(tmp_path / "data"),
                              "--listen", "127.0.0.1:0", *args],
                             capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert out.returncode != 0, args
        assert message in out.stdout + out.stderr, (args, out.stdout + out.stderr)
