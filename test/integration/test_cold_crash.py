"""Crash safety of the cold tier: the server is killed (SIGKILL, through
failpoints: MYTSDB_FAILPOINT=<name>) in the middle of a flush and of a
compaction. After a restart every acknowledged sample must be there exactly
once, every file the Delta log references must exist, and leftovers of the
interrupted write must be gone.
"""
import os
from collections import Counter

import pytest
import requests
from deltalake import DeltaTable

import remote_write as rw
from test_cold_tier import MIN, T0, bits, exported, ingest, label_of, FIXED  # noqa: F401


@pytest.fixture
def server(server_factory):
    """A server whose background maintenance does not run during the test:
    compaction happens only when the test asks for it."""
    return server_factory(extra_args=["--maintenance-interval", "1h"])


def table_rows(data_dir):
    """Multiset of (labels, ts, value bits) over the Delta table's current files."""
    return delta_table_rows(DeltaTable(str(data_dir / "parquet")))


def delta_table_rows(delta_table):
    """table_rows of a deltalake.DeltaTable, wherever it lives."""
    table = delta_table.to_pyarrow_table()
    out = Counter()
    for r in table.to_pylist():
        labels = {"__name__": r["metric"]}
        labels.update({label_of(k): v for k, v in r.items() if k not in FIXED and v is not None})
        value = r["value"] if r["value"] is not None else r["value_int"] / r["value_div"]
        out[(frozenset(labels.items()), int(r["ts"].timestamp() * 1000), bits(value))] += 1
    return out


def parquet_files_on_disk(data_dir):
    return {str(p.relative_to(data_dir / "parquet")) for p in (data_dir / "parquet").glob("day=*/*")}


def crash_during(server, request_path, failpoint):
    """Restarts `server` armed with `failpoint`, calls the admin endpoint, and
    expects the process to die there."""
    server.stop()
    server.env = {**os.environ, "MYTSDB_FAILPOINT": failpoint}
    server.start()
    with pytest.raises(requests.exceptions.ConnectionError):
        server.post(request_path)
    server.proc.wait(timeout=30)
    assert server.proc.returncode == -9, f"{failpoint} was not reached"
    server.env = None
    server.start()


def orphans(data_dir):
    """Files set aside at start-up because no commit explains them."""
    return sorted((data_dir / "parquet-orphans").glob("day=*/*.parquet"))


def check_consistent(server, acknowledged):
    # Everything acknowledged is readable, through MyTSDB...
    assert exported(server) == acknowledged
    # ...and, once the head is flushed, in the table exactly once.
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert table_rows(server.data_dir) == Counter(acknowledged)
    # Every file of the log exists; no file outside the log is left over
    # (compaction's replaced files wait out their grace period, so they may
    # still be there; they are in no snapshot).
    dt = DeltaTable(str(server.data_dir / "parquet"))
    referenced = set(dt.file_uris() if hasattr(dt, "file_uris") else dt.files())
    referenced = {p.split("/parquet/")[-1] for p in referenced}
    on_disk = parquet_files_on_disk(server.data_dir)
    assert referenced <= on_disk
    assert not any(p.endswith(".tmp") for p in on_disk)
    return referenced, on_disk


@pytest.mark.parametrize("failpoint", ["cold.persist.before_commit", "cold.persist.after_commit"])
def test_kill_during_flush(server, failpoint):
    # What the writer had acknowledged, from the writer's side (not from the
    # server's own export, which a bug could make agree with itself).
    acknowledged = ingest(server, T0, T0 + 90 * MIN, {})
    assert exported(server) == acknowledged
    crash_during(server, "/api/v1/admin/flush", failpoint)
    referenced, on_disk = check_consistent(server, acknowledged)
    assert referenced == on_disk
    # The file written but not committed is set aside, never deleted (its
    # samples were in the WAL and are in the table now).
    assert len(orphans(server.data_dir)) == (1 if failpoint.endswith("before_commit") else 0)


@pytest.mark.parametrize("failpoint", ["cold.compact.before_commit", "cold.compact.after_commit"])
def test_kill_during_compaction(server, failpoint):
    # Three flushes into the same day, then one into the next day so that the
    # first day is complete and due for compaction.
    acknowledged = set()
    for hour in range(3):
        acknowledged |= ingest(server, T0 + hour * 60 * MIN, T0 + (hour + 1) * 60 * MIN, {})
        assert server.post("/api/v1/admin/flush").status_code == 204
    acknowledged |= ingest(server, T0 + 24 * 60 * MIN, T0 + 25 * 60 * MIN, {})
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert server.metric("mytsdb_cold_files") == 4
    assert exported(server) == acknowledged
    crash_during(server, "/api/v1/admin/compact", failpoint)
    referenced, on_disk = check_consistent(server, acknowledged)
    # After a restart nothing outside the log remains: the files the commit
    # removed are deleted (the log's tombstones name them), the merged file
    # of an uncommitted compaction is set aside.
    assert referenced == on_disk
    assert len(orphans(server.data_dir)) == (1 if failpoint.endswith("before_commit") else 0)
    # Compaction finishes on the next try.
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert server.metric("mytsdb_cold_files") == 2
    assert exported(server) == acknowledged
