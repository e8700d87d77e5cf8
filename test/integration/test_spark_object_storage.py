"""Apache Spark (PySpark with Delta Lake's package, local mode) reads the
table MyTSDB keeps in object storage through Hadoop's S3A, from moto's S3
server on 127.0.0.1 (issue 18, point 4; docs/SCALING.md): a filtered
aggregate, the time-travel read, and the P99-by-label query of docs/SQL.md
give the answers MyTSDB's own SQL gives.
"""
import math

import pytest

import remote_write as rw
from s3_helpers import CREDENTIALS
from test_cold_tier import MIN, T0, bits
from test_object_storage import bucket, moto, s3_server, stop_s3_servers  # noqa: F401

HOUR = 60 * MIN
CUSTOMERS = [f"c{i}" for i in range(5)]


def ingest_latency(server, start, end):
    """request_latency_seconds of five customers and a counter, every 15 s
    in [start, end); returns how many samples were acknowledged."""
    n = 0
    for t in range(start, end, 10 * MIN):
        stamps = range(t, min(t + 10 * MIN, end), 15_000)
        batch = [({"__name__": "request_latency_seconds", "customer": c, "job": "api"},
                  [(ts, ((ts // 15_000) * 7919 % 1000) / 1000 * (i + 1)) for ts in stamps])
                 for i, c in enumerate(CUSTOMERS)]
        batch.append(({"__name__": "requests_total", "job": "api"}, [(ts, float(ts // 1000)) for ts in stamps]))
        r = rw.write(server.http, server.url, batch)
        assert r.status_code == 204, r.text
        n += sum(len(samples) for _, samples in batch)
    return n


def sql(server, query):
    r = server.post("/api/v1/sql", data={"query": query})
    assert r.status_code == 200, r.text
    return r.json()["data"]["rows"]


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_spark_reads_the_table_in_object_storage(tmp_path, moto, bucket, spark):  # noqa: F811
    from pyspark.sql import functions as F
    server = s3_server(tmp_path, moto.url, bucket).start()
    first = ingest_latency(server, T0, T0 + 3 * HOUR)
    assert server.post("/api/v1/admin/flush").status_code == 204
    second = ingest_latency(server, T0 + 3 * HOUR, T0 + 6 * HOUR)
    assert server.post("/api/v1/admin/flush").status_code == 204

    hadoop = spark.sparkContext._jsc.hadoopConfiguration()
    for key, value in {"endpoint": moto.url, "endpoint.region": "us-east-1",
                       "path.style.access": "true", "connection.ssl.enabled": "false",
                       "access.key": CREDENTIALS["AWS_ACCESS_KEY_ID"],
                       "secret.key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}.items():
        hadoop.set(f"fs.s3a.bucket.{bucket}.{key}", value)
    url = f"s3a://{bucket}/tsdb"
    df = spark.read.format("delta").load(url) \
        .withColumn("value", F.coalesce("value", F.col("value_int") / F.col("value_div")))

    # Everything, each sample once.
    assert df.count() == first + second == sql(server, "SELECT count(*) FROM samples")[0][0]

    # A filtered aggregate: one customer, a time range across both commits.
    lo, hi = T0 + 2 * HOUR, T0 + 4 * HOUR
    ours = sql(server, "SELECT count(*), sum(value), max(value) FROM samples "
                       "WHERE metric = 'request_latency_seconds' AND customer = 'c3' "
                       f"AND ts >= epoch_ms({lo}) AND ts < epoch_ms({hi})")[0]
    theirs = df.filter((F.col("metric") == "request_latency_seconds") & (F.col("customer") == "c3")
                       & (F.unix_millis("ts") >= lo) & (F.unix_millis("ts") < hi)) \
        .agg(F.count("*"), F.sum("value"), F.max("value")).first()
    assert theirs[0] == ours[0] == 2 * 240
    assert close(theirs[1], ours[1]) and bits(theirs[2]) == bits(ours[2]), (theirs, ours)

    # Time travel: version 0 is the first flush alone.
    assert spark.read.format("delta").option("versionAsOf", 0).load(url).count() == first
    history = spark.sql(f"DESCRIBE HISTORY delta.`{url}`").select("version").collect()
    assert sorted(r.version for r in history) == [0, 1]

    # P99 by label, as docs/SQL.md's first example asks it.
    ours = sql(server, "SELECT customer, quantile_cont(value, 0.99) AS p99 FROM samples "
                       "WHERE metric = 'request_latency_seconds' GROUP BY customer ORDER BY customer")
    theirs = df.filter(F.col("metric") == "request_latency_seconds").groupBy("customer") \
        .agg(F.expr("percentile(value, 0.99)").alias("p99")).orderBy("customer").collect()
    assert [r.customer for r in theirs] == [c for c, _ in ours] == CUSTOMERS
    for (customer, p99), row in zip(ours, theirs):
        assert close(row.p99, p99), (customer, row.p99, p99)
    assert len({round(p, 6) for _, p in ours}) == len(CUSTOMERS)  # distinct answers, not one repeated
