"""What ingestion refuses, and that refusing keeps everything else: samples
dated too far in the future, samples older than the retention period, and
backfill that would crowd out recent ingestion."""
import threading
import time

import remote_write as rw

MIN = 60_000
DAY = 86_400_000


def now_ms():
    return int(time.time() * 1000)


def exported(server, match):
    return rw.export(server.http, server.url, match, hex_values=False)


def test_one_future_sample_is_refused_and_deletes_nothing(server):
    """Issue 10's reproduction: old samples backfilled, a recent one, then a
    sample dated 30 days ahead. Before the fix it was acknowledged, and the
    next retention pass, counted back from it, deleted every file."""
    now = now_ms()
    r = rw.write(server.http, server.url, [({"__name__": "recent"}, [(now, 1.0)])])
    assert r.status_code == 204, r.text
    old = [(now - 3 * DAY + i * MIN, float(i)) for i in range(240)]
    r = rw.write(server.http, server.url, [({"__name__": "backfilled"}, old)])
    assert r.status_code == 204, r.text

    future = now + 30 * DAY
    r = rw.write(server.http, server.url, [({"__name__": "recent", "job": "x"}, [(now + 1000, 2.0)]),
                                           ({"__name__": "skewed"}, [(future, 3.0)])])
    assert r.status_code == 400, r.text
    assert "1 too far in the future" in r.text
    assert 'skewed' in r.text and str(future) in r.text, r.text
    assert r.headers["X-Prometheus-Remote-Write-Samples-Written"] == "1"
    assert server.metric("mytsdb_ingest_samples_rejected_total", {"reason": "too_far_in_future"}) == 1
    assert server.metric("mytsdb_remote_write_samples_rejected_total",
                         {"reason": "too_far_in_future"}) == 1

    assert server.post("/api/v1/admin/flush").status_code == 204
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert server.metric("mytsdb_cold_samples") == 242
    assert len(exported(server, "backfilled")[frozenset({"__name__": "backfilled"}.items())]) == 240
    assert len(exported(server, "recent")) == 2
    assert exported(server, "skewed") == {}


def test_samples_older_than_retention_are_refused(server_factory):
    server = server_factory(extra_args=["--retention", "2d"])
    now = now_ms()
    assert rw.write(server.http, server.url, [({"__name__": "m"}, [(now, 1.0)])]).status_code == 204
    r = rw.write(server.http, server.url, [({"__name__": "m"}, [(now - 3 * DAY, 1.0), (now - DAY, 2.0)])])
    assert r.status_code == 400, r.text
    assert "1 older than the retention period" in r.text
    assert r.headers["X-Prometheus-Remote-Write-Samples-Written"] == "1"
    assert server.metric("mytsdb_ingest_samples_rejected_total", {"reason": "beyond_retention"}) == 1
    got = exported(server, "m")[frozenset({"__name__": "m"}.items())]
    assert [t for t, _ in got] == [now - DAY, now]
    # A retention pass keeps what is within the period.
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert len(exported(server, "m")[frozenset({"__name__": "m"}.items())]) == 2


def test_backfill_storm_does_not_starve_recent_ingestion(server):
    """Many senders backfilling small old batches at once: recent writes keep
    being answered quickly, backfills are group-committed or told to retry,
    and every acknowledged backfilled sample is stored."""
    now = now_ms()
    assert rw.write(server.http, server.url, [({"__name__": "live"}, [(now, 0.0)])]).status_code == 204
    stop = threading.Event()
    acked = [[] for _ in range(12)]
    refused = [0] * 12

    def storm(k):
        import requests
        session = requests.Session()
        i = 0
        while not stop.is_set():
            ts = now - DAY + k * 3_600_000 + i * 10  # an hour of its own per sender
            r = rw.write(session, server.url, [({"__name__": "old", "sender": str(k)}, [(ts, float(i))])])
            if r.status_code == 204:
                acked[k].append(ts)
            else:
                assert r.status_code == 503, r.text
                refused[k] += 1
            i += 1

    threads = [threading.Thread(target=storm, args=(k,), daemon=True) for k in range(12)]
    for t in threads:
        t.start()
    latencies = []
    import requests
    live = requests.Session()
    for i in range(1, 101):
        t0 = time.monotonic()
        r = rw.write(live, server.url, [({"__name__": "live"}, [(now + i * 10, float(i))])])
        latencies.append(time.monotonic() - t0)
        assert r.status_code == 204, r.text
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    # Liveness, not speed: a starved writer would wait for the whole storm.
    assert max(latencies) < 5, latencies
    total_acked = sum(len(a) for a in acked)
    assert total_acked > 50, (total_acked, refused)
    got = exported(server, "old")
    for k in range(12):
        stored = {t for t, _ in got.get(frozenset({"__name__": "old", "sender": str(k)}.items()), [])}
        assert set(acked[k]) <= stored, k
    # Group commit: far fewer commits than acknowledged backfill requests.
    assert server.metric("mytsdb_cold_table_version") < total_acked


def test_cardinality_limits_refuse_new_series_and_name_the_metric(server_factory):
    server = server_factory(extra_args=["--storage.max-series", "3",
                                        "--storage.max-series-per-metric", "2"])
    now = now_ms()
    r = rw.write(server.http, server.url, [({"__name__": "x", "i": str(i)}, [(now, 1.0)]) for i in range(3)])
    assert r.status_code == 400, r.text
    assert "max-series-per-metric (2)" in r.text and 'metric "x"' in r.text, r.text
    assert r.headers["X-Prometheus-Remote-Write-Samples-Written"] == "2"
    # Existing series keep taking samples; one more series of another metric fits.
    r = rw.write(server.http, server.url, [({"__name__": "x", "i": "0"}, [(now + 1000, 2.0)]),
                                           ({"__name__": "y"}, [(now, 1.0)])])
    assert r.status_code == 204, r.text
    r = rw.write(server.http, server.url, [({"__name__": "z"}, [(now, 1.0)])])
    assert r.status_code == 400 and "--storage.max-series (3)" in r.text and 'metric "z"' in r.text
    assert server.metric("mytsdb_storage_max_series") == 3
    assert server.metric("mytsdb_storage_max_series_per_metric") == 2
    assert server.metric("mytsdb_ingest_samples_rejected_total", {"reason": "series_per_metric_limit"}) == 1
    assert server.metric("mytsdb_ingest_samples_rejected_total", {"reason": "series_limit"}) == 1
    assert server.metric("mytsdb_head_series") == 3
