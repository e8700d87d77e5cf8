"""The cold tier, read by other engines ("bring your own engine").

MyTSDB persists its head as Parquet files in a Delta Lake table under
DATA/parquet. DuckDB, pyarrow, pandas, polars and delta-rs must read exactly
the samples MyTSDB exports, with the lines the README shows, each engine
computing a sample's value by the rule docs/FORMAT.md states:
coalesce(value, value_int / value_div).
"""
import datetime
import struct
import subprocess
import time

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

import remote_write as rw
from conftest import BINARY

MIN = 60_000
DAY = 24 * 60 * MIN
# Midnight (UTC) two days ago: recent enough for "the last year" queries.
T0 = (int(time.time() * 1000) // DAY - 2) * DAY


def day_dir(ms):
    return "day=" + datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")
FIXED = {"metric", "series_id", "ts", "value", "value_int", "value_div", "day"}


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def label_of(column):
    return column[len("label_"):] if column.startswith("label_") else column


def rows_of(records):
    """{(labels, ts_ms, value bits)} from rows given as dicts of columns."""
    out = set()
    for r in records:
        labels = {"__name__": r["metric"]}
        for k, v in r.items():
            if k not in FIXED and v is not None:
                labels[label_of(k)] = v
        ts = r["ts"]
        ts_ms = ts if isinstance(ts, int) else int(pd.Timestamp(ts).value // 1_000_000)
        # The engine applied the value rule: no row is left without a value.
        assert r["value"] is not None, r
        out.add((frozenset(labels.items()), ts_ms, bits(r["value"])))
    return out


def with_value(table):
    """README: pyarrow's value rule."""
    value = pc.coalesce(table["value"], pc.divide(pc.cast(table["value_int"], pa.float64()),
                                                  pc.cast(table["value_div"], pa.float64())))
    return table.set_column(table.schema.get_field_index("value"), "value", value)


def exported(server):
    got = rw.export(server.http, server.url, '{__name__=~".+"}')
    return {(labels, t, v) for labels, samples in got.items() for t, v in samples}


def ingest(server, start, end, extra_labels):
    """Node-like series every 15 s in [start, end), oldest first, one request per 10 min.
    Returns what was written and acknowledged, as exported() gives it."""
    written = set()
    series = []
    for host in range(3):
        for cpu in range(2):
            series.append({"__name__": "node_cpu_seconds_total", "instance": f"h{host}",
                           "cpu": str(cpu), "mode": "idle", **extra_labels})
        series.append({"__name__": "http_request_duration_seconds", "instance": f"h{host}",
                       "value": "label named value", **extra_labels})
    t = start
    while t < end:
        batch = []
        for i, labels in enumerate(series):
            samples = [(ts, float(ts // 1000 % 9973) + i * 0.5)
                       for ts in range(t, min(t + 10 * MIN, end), 15_000)]
            batch.append((labels, samples))
        r = rw.write(server.http, server.url, batch)
        assert r.status_code == 204, r.text
        for labels, samples in batch:
            key = frozenset(labels.items())
            written.update((key, ts, bits(v)) for ts, v in samples)
        t += 10 * MIN
    return written


@pytest.fixture
def flushed(server):
    """Two flushes: version 0 holds 3 h before midnight (schema without `zone`),
    the later version adds 1 h after midnight with a new label `zone`."""
    ingest(server, T0 - 3 * 60 * MIN, T0, {})
    r = server.post("/api/v1/admin/flush")
    assert r.status_code == 204, r.text
    first = exported(server)
    ingest(server, T0, T0 + 60 * MIN, {"zone": "eu"})
    assert server.post("/api/v1/admin/flush").status_code == 204
    everything = exported(server)
    assert len(first) == 9 * 3 * 240 and len(everything) == 9 * 4 * 240
    return server, first, everything


def test_flush_moves_everything_to_parquet_and_export_is_unchanged(flushed):
    server, first, everything = flushed
    assert server.metric("mytsdb_head_series") == 0
    assert server.metric("mytsdb_cold_samples") == len(everything)
    parquet = server.data_dir / "parquet"
    assert sorted(p.name for p in parquet.iterdir() if p.name.startswith("day=")) == [
        day_dir(T0 - 1), day_dir(T0)]
    server.stop()
    server.start()
    assert exported(server) == everything


def set_files_from_manifest(con, path):
    """README: DuckDB's `files` variable, the live files the manifest lists."""
    con.execute(f"""
        SET VARIABLE files = (
          SELECT list('{path}/' || f.path)
          FROM (SELECT unnest(files) AS f FROM read_json('{path}/_mytsdb_files.json')))""")


def test_duckdb_reads_the_files(flushed):
    server, _, everything = flushed
    path = server.data_dir / "parquet"
    # README: DuckDB, over the live-file manifest
    con = duckdb.connect()
    set_files_from_manifest(con, path)
    rel = con.sql("SELECT * REPLACE (coalesce(value, value_int / value_div) AS value) "
                  "FROM read_parquet(getvariable('files'), hive_partitioning = true, union_by_name = true)")
    assert rows_of(rel.to_arrow_table().to_pylist()) == everything
    # README: without the manifest (no compaction ran in the last 5 minutes)
    rel = con.sql(f"SELECT * REPLACE (coalesce(value, value_int / value_div) AS value) "
                  f"FROM read_parquet('{path}/*/*.parquet', hive_partitioning = true, "
                  f"union_by_name = true)")
    assert rows_of(rel.to_arrow_table().to_pylist()) == everything
    # README: P99 of a latency metric grouped by a label over the last year
    p99 = con.sql("""
        SELECT instance, quantile_cont(coalesce(value, value_int / value_div), 0.99) AS p99
        FROM read_parquet(getvariable('files'), hive_partitioning = true, union_by_name = true)
        WHERE metric = 'http_request_duration_seconds'
          AND ts >= now() - INTERVAL 1 YEAR
        GROUP BY instance ORDER BY instance""").fetchall()
    # The same from the exported samples (quantile_cont interpolates linearly).
    by_instance = {}
    for labels, _, value_bits in everything:
        labels = dict(labels)
        if labels["__name__"] == "http_request_duration_seconds":
            by_instance.setdefault(labels["instance"], []).append(rw.bits_to_float(value_bits))
    want = []
    for instance in sorted(by_instance):
        v = sorted(by_instance[instance])
        pos = 0.99 * (len(v) - 1)
        lo = int(pos)
        want.append((instance, v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (pos - lo)))
    assert len(want) == 3
    assert [r[0] for r in p99] == [w[0] for w in want]
    for (_, got), (_, expect) in zip(p99, want):
        assert got == pytest.approx(expect, rel=1e-12)


def test_pyarrow_dataset_reads_the_files(flushed):
    server, _, everything = flushed
    path = server.data_dir / "parquet"
    # README: pyarrow (files differ in label columns: unify their schemas)
    files = manifest_files(path)
    assert sorted(files) == sorted(str(p) for p in path.glob("day=*/*.parquet"))
    schema = pa.unify_schemas([pq.read_schema(f) for f in files])
    table = ds.dataset(files, format="parquet", schema=schema).to_table()
    table = with_value(table)
    assert rows_of(table.to_pylist()) == everything


def test_pandas_reads_the_table(flushed):
    server, _, everything = flushed
    path = server.data_dir / "parquet"
    # README: pandas
    df = DeltaTable(str(path)).to_pandas()
    df["value"] = df["value"].where(df["value_int"].isna(), df["value_int"] / df["value_div"])
    labels = [c for c in df.columns if c not in FIXED]
    df[labels] = df[labels].astype(object).where(df[labels].notna(), None)  # NaN -> None
    assert rows_of(df.to_dict("records")) == everything


def test_polars_reads_the_table(flushed):
    server, _, everything = flushed
    path = server.data_dir / "parquet"
    # README: polars
    value = pl.coalesce("value", pl.col("value_int") / pl.col("value_div")).alias("value")
    df = pl.read_delta(str(path)).with_columns(value)
    assert rows_of(df.to_arrow().to_pylist()) == everything
    # lazily, with a filter pushed down to the files
    lazy = pl.scan_delta(str(path)).filter(pl.col("metric") == "http_request_duration_seconds") \
        .with_columns(value)
    want = {row for row in everything if ("__name__", "http_request_duration_seconds") in row[0]}
    assert rows_of(lazy.collect().to_arrow().to_pylist()) == want


def test_deltalake_current_version_and_time_travel(flushed):
    server, first, everything = flushed
    path = str(server.data_dir / "parquet")
    # README: delta-rs
    table = DeltaTable(path)
    assert rows_of(with_value(table.to_pyarrow_table()).to_pylist()) == everything
    schema_names = [f.name for f in table.schema().fields]
    assert "zone" in schema_names and "label_value" in schema_names
    # Time travel to the first flush: the schema had no `zone` then.
    old = DeltaTable(path, version=0)
    assert rows_of(with_value(old.to_pyarrow_table()).to_pylist()) == first
    assert "zone" not in [f.name for f in old.schema().fields]
    history = table.history()
    assert len(history) == table.version() + 1


def test_flush_command_on_a_stopped_server(server):
    ingest(server, T0, T0 + 30 * MIN, {})
    before = exported(server)
    # Refused while the server holds the data directory.
    busy = subprocess.run([str(BINARY), "flush", "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert busy.returncode != 0 and "in use" in busy.stderr, busy.stderr
    server.stop()
    done = subprocess.run([str(BINARY), "flush", "--data-dir", str(server.data_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "flushed" in done.stdout
    assert not any((server.data_dir / "parquet").glob("day=*/*.tmp"))
    server.start()
    assert server.metric("mytsdb_head_series") == 0
    assert exported(server) == before
    missing = subprocess.run([str(BINARY), "flush", "--data-dir", str(server.data_dir / "nope")],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "does not exist" in missing.stderr


def test_deltalake_reads_a_log_with_checkpoints(server):
    # Every backfill request is one commit: 12 of them pass a checkpoint
    # (every 10 versions).
    r = rw.write(server.http, server.url, [({"__name__": "recent"}, [(T0, 1.0)])])
    assert r.status_code == 204
    for i in range(12):
        r = rw.write(server.http, server.url,
                     [({"__name__": "backfilled", "batch": str(i)}, [(T0 - DAY + i * MIN, float(i))])])
        assert r.status_code == 204, r.text
    log = server.data_dir / "parquet" / "_delta_log"
    assert (log / "00000000000000000010.checkpoint.parquet").exists()
    assert '"version":10' in (log / "_last_checkpoint").read_text()
    cold = {row for row in exported(server) if ("__name__", "backfilled") in row[0]}
    assert len(cold) == 12
    table = DeltaTable(str(server.data_dir / "parquet"))
    assert table.version() == 11
    assert rows_of(with_value(table.to_pyarrow_table()).to_pylist()) == cold
    # Time travel across the checkpoint.
    assert len(DeltaTable(str(server.data_dir / "parquet"), version=4).to_pyarrow_table()) == 5
    # MyTSDB itself restarts from the checkpoint.
    server.stop()
    server.start()
    assert {row for row in exported(server) if ("__name__", "backfilled") in row[0]} == cold


def manifest_files(path):
    """README: the live files of the current version, from the manifest."""
    import json
    manifest = json.load(open(f"{path}/_mytsdb_files.json"))
    return [f"{path}/" + f["path"] for f in manifest["files"]]


def test_the_manifest_reads_one_snapshot_where_a_glob_counts_a_compacted_day_twice(server):
    # Three flushes of 2 h, then one after them (so that their 6-hour window
    # is complete), then a compaction that merges the three: the replaced
    # files stay on disk for 5 minutes (reads in flight finish).
    for start, end in [(0, 120), (120, 240), (240, 360), (360, 370)]:
        ingest(server, T0 + start * MIN, T0 + end * MIN, {})
        assert server.post("/api/v1/admin/flush").status_code == 204
    everything = exported(server)
    assert server.post("/api/v1/admin/compact").status_code == 204
    path = server.data_dir / "parquet"
    on_disk = sorted(str(p) for p in path.glob("day=*/*.parquet"))
    live = manifest_files(path)
    assert len(live) == 2 and len(on_disk) == 5 and set(live) <= set(on_disk)
    con = duckdb.connect()
    glob_count = con.sql(f"SELECT count(*) FROM read_parquet('{path}/*/*.parquet')").fetchone()[0]
    assert glob_count == len(everything) + 9 * 360 * 4  # the trap: 6 hours counted twice

    # README: DuckDB over the manifest
    set_files_from_manifest(con, path)
    rel = con.sql("SELECT * REPLACE (coalesce(value, value_int / value_div) AS value) "
                  "FROM read_parquet(getvariable('files'), hive_partitioning = true, union_by_name = true)")
    assert rows_of(rel.to_arrow_table().to_pylist()) == everything

    # README: pyarrow over the manifest
    files = manifest_files(path)
    schema = pa.unify_schemas([pq.read_schema(f) for f in files])
    table = ds.dataset(files, format="parquet", schema=schema).to_table()
    assert rows_of(with_value(table).to_pylist()) == everything

    # README: polars over the manifest
    value = pl.coalesce("value", pl.col("value_int") / pl.col("value_div")).alias("value")
    df = pl.scan_parquet(files, missing_columns="insert").with_columns(value).collect()
    assert rows_of(df.to_arrow().to_pylist()) == everything


def test_cold_status_lists_the_table_its_days_and_commits(flushed):
    """/api/v1/status/cold (the UI's cold-tier page): counts that agree with
    the files, samples per day, and the commits newest first with their
    operations, a deletion by the admin API told apart by its reason."""
    server, _, everything = flushed
    status = server.get("/api/v1/status/cold").json()["data"]
    table = status["table"]
    # 9 series before midnight, the same 9 with `zone` after.
    assert table["samples"] == len(everything) and table["files"] > 0 and table["series"] == 18
    assert sum(d["samples"] for d in status["days"]) == len(everything)
    assert [d["day"] for d in status["days"]] == sorted(d["day"] for d in status["days"])
    assert sum(d["files"] for d in status["days"]) == table["files"]
    assert sum(d["bytes"] for d in status["days"]) == table["bytes"]
    commits = status["commits"]
    assert [c["version"] for c in commits] == list(range(table["version"], table["version"] - len(commits), -1))
    writes = [c for c in commits if c["operation"] == "WRITE"]
    assert len(writes) == 2 and sum(c["samplesAdded"] for c in writes) == len(everything)
    assert all(c["timestamp"] > 0 for c in commits)

    r = server.post("/api/v1/admin/tsdb/delete_series", params={"match[]": 'node_cpu_seconds_total{instance="h0"}'})
    assert r.status_code == 204, r.text
    latest = server.get("/api/v1/status/cold", params={"limit": "1"}).json()["data"]["commits"]
    assert len(latest) == 1 and latest[0]["operation"] == "DELETE"
    assert latest[0]["parameters"] == {"reason": "delete_series"} and latest[0]["filesRemoved"] > 0
    for bad in ("0", "1001", "x"):
        r = server.get("/api/v1/status/cold", params={"limit": bad})
        assert r.status_code == 400 and "limit must be a number from 1 to 1000" in r.json()["error"]
