"""Readers that follow the Delta log and skip files by their statistics must
return exactly what DuckDB counts over the same files: delta-rs with filters
(pandas and pyarrow datasets) and Apache Spark with Delta Lake's package.

The table has two flushes (the second adds a label column, so older files
lack it), and a series with NaN, a staleness marker and ±Inf, so that no
reader may exclude a file by statistics that do not hold for such values.
Values are read by docs/FORMAT.md's rule, coalesce(value, value_int /
value_div), in each engine.
"""
import datetime
import math

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

import remote_write as rw
from test_cold_tier import MIN, T0, ingest


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    from conftest import Server
    server = Server(tmp_path_factory.mktemp("delta") / "data").start()
    try:
        ingest(server, T0 - 3 * 60 * MIN, T0, {})
        special = [(T0 - 2 * MIN, math.nan), (T0 - MIN, rw.bits_to_float(rw.STALE_NAN_BITS)),
                   (T0 - 30_000, math.inf), (T0 - 15_000, -math.inf), (T0 - 10_000, 5.0)]
        r = rw.write(server.http, server.url, [({"__name__": "odd", "instance": "h9"}, special)])
        assert r.status_code == 204, r.text
        assert server.post("/api/v1/admin/flush").status_code == 204
        ingest(server, T0, T0 + 60 * MIN, {"zone": "eu"})
        assert server.post("/api/v1/admin/flush").status_code == 204
        path = server.data_dir / "parquet"
        dt = DeltaTable(str(path))
        # DuckDB over exactly the files of the current version.
        files = ", ".join(f"'{u}'" for u in dt.file_uris())
        con = duckdb.connect()
        con.sql(f"CREATE VIEW samples AS SELECT * REPLACE "
                f"(coalesce(value, value_int / value_div) AS value) FROM read_parquet([{files}], "
                f"hive_partitioning = true, union_by_name = true)")
        yield str(path), con
    finally:
        server.stop()


def duck(con, where):
    return con.sql(f"SELECT count(*) FROM samples WHERE {where}").fetchone()[0]


def ts(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)


# A sample's value in a pyarrow expression (docs/FORMAT.md's rule).
VALUE = pc.coalesce(pc.field("value"),
                    pc.divide(pc.field("value_int").cast(pa.float64()),
                              pc.field("value_div").cast(pa.float64())))

# (DNF filter for delta-rs or None where DNF cannot say it, the same as SQL
# for DuckDB, pyarrow expression)
CASES = [
    ([("metric", "=", "http_request_duration_seconds")], "metric = 'http_request_duration_seconds'",
     pc.field("metric") == "http_request_duration_seconds"),
    ([("instance", "=", "h1")], "instance = 'h1'", pc.field("instance") == "h1"),
    ([("zone", "=", "eu")], "zone = 'eu'", pc.field("zone") == "eu"),
    ([("metric", "=", "node_cpu_seconds_total"), ("cpu", "=", "1")],
     "metric = 'node_cpu_seconds_total' AND cpu = '1'",
     (pc.field("metric") == "node_cpu_seconds_total") & (pc.field("cpu") == "1")),
    ([("ts", ">=", ts(T0 - 30 * MIN)), ("ts", "<", ts(T0 + 10 * MIN))],
     f"ts >= epoch_ms({T0 - 30 * MIN}) AND ts < epoch_ms({T0 + 10 * MIN})",
     (pc.field("ts") >= pc.scalar(ts(T0 - 30 * MIN))) & (pc.field("ts") < pc.scalar(ts(T0 + 10 * MIN)))),
    # Over finite data: engines disagree on NaN (DuckDB orders it above
    # everything, Arrow's comparisons are false), which is no matter of files.
    (None, "metric <> 'odd' AND value > 5000", (pc.field("metric") != "odd") & (VALUE > 5000.0)),
    ([("metric", "=", "nope")], "metric = 'nope'", pc.field("metric") == "nope"),
]


@pytest.mark.parametrize("dnf,sql,expr", CASES, ids=[c[1] for c in CASES])
def test_deltalake_filters_return_what_duckdb_counts(table, dnf, sql, expr):
    path, con = table
    want = duck(con, sql)
    dt = DeltaTable(path)
    if dnf is not None:
        assert len(dt.to_pandas(filters=dnf)) == want
    assert dt.to_pyarrow_dataset().to_table(filter=expr).num_rows == want


def test_most_filters_select_data(table):
    # A comparison both sides pass by returning nothing proves nothing.
    _, con = table
    counts = [duck(con, sql) for _, sql, _ in CASES]
    assert sum(1 for c in counts if c > 0) == len(CASES) - 1, counts


def test_no_file_is_skipped_for_nan_or_infinity(table):
    path, con = table
    dataset = DeltaTable(path).to_pyarrow_dataset()
    # +Inf is above every finite bound; a reader with value statistics that
    # ignore it would drop its file.
    big = dataset.to_table(filter=pc.field("value") > 1e300)
    assert big.num_rows >= 1
    assert big.num_rows == duck(con, "value > 1e300 AND NOT isnan(value)") + \
        (big.filter(pc.is_nan(big["value"])).num_rows)
    # Rows without a label that later files introduced: every older file's
    # statistics say so (null count = rows), none is skipped.
    no_zone = dataset.to_table(filter=pc.field("zone").is_null()).num_rows
    assert no_zone == duck(con, "zone IS NULL") > 0
    odd = DeltaTable(path).to_pandas(filters=[("metric", "=", "odd")])
    assert len(odd) == 5


# ---- Apache Spark -------------------------------------------------------------------

# The `spark` fixture (one local session for every Spark test) is in conftest.py.


def test_spark_reads_filters_and_time_travels(table, spark):
    from pyspark.sql import functions as F
    path, con = table
    df = spark.read.format("delta").load(path) \
        .withColumn("value", F.coalesce("value", F.col("value_int") / F.col("value_div")))
    assert df.count() == duck(con, "true") > 0
    # A label column, and one only the later files have.
    assert df.filter(F.col("instance") == "h1").count() == duck(con, "instance = 'h1'") > 0
    assert df.filter(F.col("zone") == "eu").count() == duck(con, "zone = 'eu'") > 0
    assert df.filter(F.col("zone").isNull()).count() == duck(con, "zone IS NULL") > 0
    # A time range, in ms since the epoch on both sides.
    lo, hi = T0 - 30 * MIN, T0 + 10 * MIN
    in_range = df.filter((F.unix_millis("ts") >= lo) & (F.unix_millis("ts") < hi)).count()
    assert in_range == duck(con, f"ts >= epoch_ms({lo}) AND ts < epoch_ms({hi})") > 0
    # Version 0: the first flush only, whose schema had no `zone`.
    v0 = spark.read.format("delta").option("versionAsOf", 0).load(path)
    first_files = ", ".join(f"'{u}'" for u in DeltaTable(path, version=0).file_uris())
    want_v0 = con.sql(f"SELECT count(*) FROM read_parquet([{first_files}])").fetchone()[0]
    assert v0.count() == want_v0 > 0
    assert "zone" not in v0.columns
    # Values come back bit for bit, the special ones included.
    odd = sorted(rw.float_to_bits(r.value) for r in df.filter(F.col("metric") == "odd").collect())
    want = sorted(rw.float_to_bits(v) for (v,) in
                  con.sql("SELECT value FROM samples WHERE metric = 'odd'").fetchall())
    assert odd == want and len(odd) == 5
