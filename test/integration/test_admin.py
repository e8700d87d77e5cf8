"""Prometheus's admin API: off unless --web.enable-admin-api; delete_series
as a way out for data that should not be there (e.g. samples dated in the
future by an earlier version), and snapshots with a restore."""
import shutil
import time

import remote_write as rw

MIN = 60_000
DAY = 86_400_000


def now_ms():
    return int(time.time() * 1000)


def write(server, series):
    r = rw.write(server.http, server.url, series)
    assert r.status_code == 204, r.text


def exported(server, match='{__name__=~".+"}'):
    return rw.export(server.http, server.url, match)


def test_admin_endpoints_are_off_by_default(server_factory):
    server = server_factory(admin=False)
    for path in ["/api/v1/admin/tsdb/delete_series?match[]=up", "/api/v1/admin/tsdb/snapshot",
                 "/api/v1/admin/tsdb/clean_tombstones", "/api/v1/admin/flush",
                 "/api/v1/admin/compact"]:
        r = server.post(path)
        assert r.status_code == 503, (path, r.text)
        assert r.json() == {"status": "error", "errorType": "unavailable",
                            "error": "admin APIs disabled"}, path
    # Reads and writes are not affected.
    write(server, [({"__name__": "up"}, [(now_ms(), 1.0)])])


def test_delete_series_in_both_tiers_with_prometheus_parameters(server):
    t0 = now_ms() - 3 * 3600_000
    keep = {"__name__": "requests_total", "job": "api"}
    doomed = {"__name__": "requests_total", "job": "batch"}
    samples = [(t0 + i * MIN, float(i)) for i in range(120)]
    write(server, [(keep, samples), (doomed, samples)])
    assert server.post("/api/v1/admin/flush").status_code == 204  # now in the cold tier
    later = [(t0 + (120 + i) * MIN, float(i)) for i in range(60)]
    write(server, [(keep, later), (doomed, later)])                 # and in the head
    assert server.post("/api/v1/admin/tsdb/delete_series").status_code == 400  # match[] required
    r = server.post("/api/v1/admin/tsdb/delete_series",
                    params={"match[]": '{job="batch"}', "start": str((t0 + 100 * MIN) / 1000),
                            "end": str((t0 + 150 * MIN) / 1000)})
    assert r.status_code == 204, r.text
    key_keep, key_doomed = frozenset(keep.items()), frozenset(doomed.items())
    got = exported(server)
    assert len(got[key_keep]) == 180
    left = [t for t, _ in got[key_doomed]]
    assert len(left) == 180 - 51 and all(not (t0 + 100 * MIN <= t <= t0 + 150 * MIN) for t in left)
    # For good: after a restart (the WAL replays the deletion), a flush and
    # a compaction.
    server.stop()
    server.start()
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert [t for t, _ in exported(server)[key_doomed]] == left
    # Without start/end, everything of the series goes; clean_tombstones is
    # accepted (there are none to clean).
    r = server.post("/api/v1/admin/tsdb/delete_series", params={"match[]": 'requests_total{job="batch"}'})
    assert r.status_code == 204, r.text
    assert key_doomed not in exported(server)
    assert server.post("/api/v1/admin/tsdb/clean_tombstones").status_code == 204
    values = server.get("/api/v1/label/job/values").json()["data"]
    assert values == ["api"]


def test_snapshot_is_a_data_directory_to_restore(server_factory, tmp_path):
    server = server_factory()
    t0 = now_ms() - 3 * 3600_000
    write(server, [({"__name__": "m", "i": str(i)}, [(t0 + k * MIN, float(k)) for k in range(100)])
                   for i in range(3)])
    assert server.post("/api/v1/admin/flush").status_code == 204
    write(server, [({"__name__": "m", "i": "0"}, [(t0 + 100 * MIN, 100.0)])])  # head only
    at_snapshot = exported(server)
    r = server.post("/api/v1/admin/tsdb/snapshot")
    assert r.status_code == 200, r.text
    name = r.json()["data"]["name"]
    assert (server.data_dir / "snapshots" / name / "parquet" / "_delta_log").is_dir()
    # Changes after the snapshot.
    write(server, [({"__name__": "m", "i": "0"}, [(t0 + 101 * MIN, 101.0)])])
    assert server.post("/api/v1/admin/tsdb/delete_series", params={"match[]": '{i="1"}'}).status_code == 204
    assert server.post("/api/v1/admin/flush").status_code == 204
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert exported(server) != at_snapshot
    # Restore (docs/OPERATIONS.md): copy the snapshot to a new data directory.
    restored = tmp_path / "restored"
    shutil.copytree(server.data_dir / "snapshots" / name, restored)
    copy = server_factory(data_dir=restored)
    assert exported(copy) == at_snapshot
    assert len(at_snapshot) == 3
    # skip_head: only what the cold tier held.
    r = server.post("/api/v1/admin/tsdb/snapshot", params={"skip_head": "true"})
    assert r.status_code == 200 and not (server.data_dir / "snapshots" / r.json()["data"]["name"] / "wal").exists()
    assert server.post("/api/v1/admin/tsdb/snapshot", params={"skip_head": "maybe"}).status_code == 400


def test_samples_dated_in_the_future_by_an_older_version_can_be_removed(server):
    """The way out for installations that stored far-future samples before
    they were refused: delete_series over the future range."""
    # Simulate such a sample being present: write it while the server
    # accepts up to a year ahead.
    server.stop()
    server.extra_args += ["--ingest.max-future", "400d"]
    server.start()
    now = now_ms()
    write(server, [({"__name__": "skewed"}, [(now, 1.0), (now + 30 * DAY, 2.0)])])
    assert server.post("/api/v1/admin/flush").status_code == 204
    r = server.post("/api/v1/admin/tsdb/delete_series",
                    params={"match[]": '{__name__=~".+"}', "start": str((now + 11 * MIN) / 1000)})
    assert r.status_code == 204, r.text
    assert [t for t, _ in exported(server)[frozenset({"__name__": "skewed"}.items())]] == [now]
