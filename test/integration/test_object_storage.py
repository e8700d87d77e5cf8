"""The cold tier on object storage (issue 18, docs/SCALING.md): the Delta
table at s3://bucket/prefix on moto's S3 server (started here, on
127.0.0.1), written through a proxy that injects an object store's failures.

What must hold: every acknowledged sample is read back, by MyTSDB and by
delta-rs, exactly once; the log's versions run 0..N with no gap and none
written twice; a wrong URL, a missing bucket or missing credentials stop the
start with one line that names them.
"""
import os
import re
import subprocess
from collections import Counter

import pytest
from deltalake import DeltaTable

from conftest import BINARY, Server
from helpers import wait_for
from s3_helpers import CREDENTIALS, FaultProxy, Moto
from test_cold_crash import delta_table_rows
from test_cold_tier import MIN, T0, exported, ingest

HOUR = 60 * MIN


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    m = Moto(tmp_path_factory.mktemp("moto") / "moto.log")
    yield m
    m.stop()


@pytest.fixture
def bucket(moto, request):
    name = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:50].strip("-")
    moto.create_bucket(name)
    return name


# Servers s3_server made during the current test, stopped after it
# (stop_s3_servers; modules that import s3_server import that fixture too).
_servers = []


@pytest.fixture(autouse=True)
def stop_s3_servers():
    yield
    while _servers:
        _servers.pop().stop()


def s3_server(tmp_path, endpoint, bucket, name="data", extra=(), config=None,
              maintenance_interval="1h"):
    args = ["--retention", "30d", "--maintenance-interval", maintenance_interval,
            "--storage.cold-url", f"s3://{bucket}/tsdb", "--storage.s3.endpoint", endpoint, *extra]
    if config:
        path = tmp_path / f"{name}.yml"
        path.write_text(config)
        args += ["--config", str(path)]
    server = Server(tmp_path / name, args, env={**os.environ, **CREDENTIALS})
    _servers.append(server)
    return server


def delta_rows(moto, bucket):
    """Multiset of (labels, ts, value bits) over the table's current files,
    as delta-rs reads them from the object store, and the table's version."""
    table = DeltaTable(f"s3://{bucket}/tsdb", storage_options={
        "AWS_ENDPOINT_URL": moto.url, "AWS_ALLOW_HTTP": "true", **CREDENTIALS})
    return delta_table_rows(table), table.version()


def log_versions(moto, bucket):
    keys = moto.keys(bucket, "tsdb/_delta_log/")
    return sorted(int(m.group(1)) for k in keys
                  if (m := re.fullmatch(r"tsdb/_delta_log/(\d{20})\.json", k)))


def test_cold_tier_on_object_storage(tmp_path, moto, bucket):
    server = s3_server(tmp_path, moto.url, bucket).start()
    written = ingest(server, T0, T0 + 30 * HOUR, {"job": "node"})
    assert server.post("/api/v1/admin/flush").status_code == 204
    keys = moto.keys(bucket, "tsdb/")
    assert "tsdb/_delta_log/00000000000000000000.json" in keys
    parquet = [k for k in keys if k.endswith(".parquet") and "/day=" in k]
    assert len(parquet) >= 2, keys  # the data spans two days
    assert not any(k.endswith(".tmp") for k in keys)  # written in place, no renames
    # Nothing local but the WAL (and the alert history).
    assert not (server.data_dir / "parquet").exists()

    assert exported(server) == written
    r = server.get("/api/v1/query", params={
        "query": 'sum by (instance) (rate(node_cpu_seconds_total[5m]))',
        "time": (T0 + 20 * HOUR) / 1000})
    assert r.status_code == 200 and len(r.json()["data"]["result"]) == 3, r.text
    sql = server.post("/api/v1/sql", data={"query": "SELECT count(*) AS n FROM samples"})
    assert sql.status_code == 200, sql.text
    assert sql.json()["data"]["rows"][0][0] == len(written), sql.text
    # Snapshots hard-link local files; on object storage the log's versions
    # serve instead, and the API says so.
    snap = server.post("/api/v1/admin/tsdb/snapshot")
    assert snap.status_code == 501 and "versionAsOf" in snap.json()["error"], snap.text

    # A restart reads the table back from the object store alone.
    server.stop()
    server.start()
    assert exported(server) == written
    rows, _ = delta_rows(moto, bucket)
    assert rows == Counter(written)


def test_failures_lose_nothing_and_commit_nothing_twice(tmp_path, moto, bucket):
    proxy = FaultProxy(moto.port, seed=18, put_fault_rate=0.5, other_fault_rate=0.05,
                       slow_seconds=2.5)
    try:
        server = s3_server(tmp_path, proxy.url, bucket, config=(
            "storage:\n  s3:\n    request_timeout: 1s\n    max_attempts: 4\n")).start()
        acknowledged = set()
        for round_ in range(6):
            start = T0 + round_ * 4 * HOUR
            acknowledged |= ingest(server, start, start + 4 * HOUR, {"job": "node"})
            # It may fail (then the head keeps the samples for the next one).
            server.post("/api/v1/admin/flush", timeout=120)
        # With the faults off, whatever is still in the head goes in.
        proxy.set_rates(0.0, 0.0)
        r = server.post("/api/v1/admin/flush", timeout=120)
        if r.status_code != 204:
            # A commit whose outcome stayed unknown makes the table refuse
            # later commits until a restart re-reads the log.
            assert "restart" in r.text or "unknown" in r.text, r.text
            server.stop()
            server.start()
            assert server.post("/api/v1/admin/flush", timeout=120).status_code == 204
        assert proxy.faults["503"] + proxy.faults["lost"] + proxy.faults["slow"] >= 5, proxy.faults
        assert exported(server) == acknowledged
        rows, version = delta_rows(moto, bucket)
        assert rows == Counter(acknowledged)  # each exactly once
        assert log_versions(moto, bucket) == list(range(version + 1))
        server.stop()
        server.start()
        assert exported(server) == acknowledged
    finally:
        proxy.stop()


def test_flush_command_on_object_storage(tmp_path, moto, bucket):
    server = s3_server(tmp_path, moto.url, bucket).start()
    written = ingest(server, T0, T0 + 2 * HOUR, {"job": "flush"})
    server.stop()
    out = subprocess.run(
        [str(BINARY), "flush", "--data-dir", str(server.data_dir), "--storage.cold-url",
         f"s3://{bucket}/tsdb", "--storage.s3.endpoint", moto.url],
        capture_output=True, text=True, timeout=120, env={**os.environ, **CREDENTIALS})
    assert out.returncode == 0, out.stderr
    assert "flushed: cold tier at version 0" in out.stdout
    rows, _ = delta_rows(moto, bucket)
    assert rows == Counter(written)


@pytest.mark.parametrize("args, env, message", [
    (["--storage.cold-url", "/tmp/somewhere"], CREDENTIALS, "must be an s3://bucket/prefix URL"),
    (["--storage.cold-url", "s3://no-such-bucket/tsdb"], CREDENTIALS,
     "bucket no-such-bucket does not exist"),
    (["--storage.cold-url", "s3://b/tsdb"], {}, "no S3 credentials"),
    (["--storage.cold-url", "s3://b/tsdb", "--storage.s3.endpoint", "127.0.0.1:1"], CREDENTIALS,
     "must be an http:// or https:// URL"),
])
def test_bad_locations_stop_the_start(tmp_path, moto, args, env, message):
    if "--storage.s3.endpoint" not in args:
        args = [*args, "--storage.s3.endpoint", moto.url]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = subprocess.run(
        [str(BINARY), "serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0",
         *args], capture_output=True, text=True, timeout=60, env={**clean, **env},
        stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert message in out.stdout + out.stderr, out.stdout + out.stderr


def test_two_writers_share_one_table(tmp_path, moto, bucket):
    """Two servers, each with its own WAL and series, persist into one table
    (Prometheus's hashmod sharding would split the series the same way):
    each reads the other's persisted samples, and delta-rs reads both, each
    sample once, with one watermark per writer."""
    # The data is days old: retention counts back from the clock. Each
    # server takes in the other's commits every maintenance round.
    a = s3_server(tmp_path, moto.url, bucket, name="a", extra=["--cluster.writer", "a"],
                  maintenance_interval="1s").start()
    b = s3_server(tmp_path, moto.url, bucket, name="b", extra=["--cluster.writer", "b"],
                  maintenance_interval="1s").start()
    written_a = ingest(a, T0, T0 + 6 * HOUR, {"shard": "0"})
    written_b = ingest(b, T0, T0 + 6 * HOUR, {"shard": "1"})
    # Flushes race for the same versions; the losers catch up and retry.
    for server in (a, b, a, b):
        assert server.post("/api/v1/admin/flush", timeout=120).status_code == 204
    both = written_a | written_b
    for server in (a, b):
        wait_for(lambda: exported(server) == both, timeout=30)
    rows, version = delta_rows(moto, bucket)
    assert rows == Counter(both)
    assert log_versions(moto, bucket) == list(range(version + 1))
    txns = set()
    for key in moto.keys(bucket, "tsdb/_delta_log/"):
        if key.endswith(".json"):
            txns |= set(re.findall(r'"appId":"([^"]+)"', moto.get(bucket, key).decode()))
    assert txns == {"mytsdb.head/a", "mytsdb.head/b"}


def test_writer_name_needs_a_shared_table(tmp_path):
    out = subprocess.run(
        [str(BINARY), "serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0",
         "--cluster.writer", "a"], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert "--cluster.writer names a writer of a shared table" in out.stdout + out.stderr
