"""Memory is bounded under series churn: waves of short-lived series, each
written, persisted to the cold tier and deleted from both tiers, leave the
server's resident memory where the first wave left it. Label strings of the
head, the cold tier's catalog and metadata of series that are gone must be
freed, not kept.

make test runs 4 waves of 50,000 series; make test-full the issue's 1,000,000
(10 waves of 100,000), docs/BENCHMARKS.md records it."""
import os
import time

import requests

import remote_write as rw

WAVES = int(os.environ.get("MYTSDB_CHURN_WAVES", "4"))
PER_WAVE = int(os.environ.get("MYTSDB_CHURN_SERIES", "50000"))
BATCH = 5000


def rss(server):
    """Anonymous resident memory (heap and stacks; not the pages of the
    program's and libraries' code, which fault in as code paths first run)."""
    for line in open(f"/proc/{server.proc.pid}/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon in /proc/PID/status")


def settled_rss(server):
    """RSS once jemalloc has given freed pages back (its decay is set to 1 s)."""
    time.sleep(2.5)
    return rss(server)


def write_wave(server, wave, now):
    session = requests.Session()
    for first in range(0, PER_WAVE, BATCH):
        series = []
        for i in range(first, min(first + BATCH, PER_WAVE)):
            labels = {"__name__": f"churn_metric_{i % 7}", "pod": f"pod-{wave}-{i:07d}",
                      "wave": str(wave), "node": f"node-{i % 97}"}
            series.append((labels, [(now + k * 1000, float(k)) for k in range(3)]))
        meta = [(f"churn_metric_{wave}_family", 2, f"A family that lives for wave {wave}.", "")]
        r = rw.write(session, server.url, series, meta, timeout=120)
        assert r.status_code == 204, r.text


def test_memory_returns_after_waves_of_short_lived_series(server_factory):
    server = server_factory(extra_args=["--maintenance-interval", "1h"])
    server.stop()
    server.env = dict(os.environ, MALLOC_CONF="dirty_decay_ms:1000,muzzy_decay_ms:0")
    server.start()
    samples = []
    base_ms = int(time.time() * 1000) - 3600_000
    for wave in range(WAVES):
        now = base_ms + wave * 60_000
        write_wave(server, wave, now)
        peak = rss(server)
        assert server.metric("mytsdb_head_series") == PER_WAVE
        # The wave moves to the cold tier, then goes from both tiers.
        assert server.post("/api/v1/admin/flush", timeout=600).status_code == 204
        r = server.post("/api/v1/admin/tsdb/delete_series", params={"match[]": f'{{wave="{wave}"}}'},
                        timeout=600)
        assert r.status_code == 204, r.text
        assert server.post("/api/v1/admin/compact", timeout=600).status_code == 204
        assert server.metric("mytsdb_head_series") == 0
        assert server.metric("mytsdb_cold_catalog_series") == 0
        after = settled_rss(server)
        live = server.metric("mytsdb_allocator_allocated_bytes")
        samples.append((peak, after, live))
        print(f"wave {wave}: peak RSS {peak / 2**20:.0f} MiB, after {after / 2**20:.0f} MiB, "
              f"allocated {live / 2**20:.1f} MiB")
    # The baseline is taken once every code path has run once (after the
    # second wave: the first warms allocator caches and pools up).
    baseline, final = samples[1][1], samples[-1][1]
    live_baseline, live_final = samples[1][2], samples[-1][2]
    print(f"{WAVES * PER_WAVE} series in {WAVES} waves: RSS after the second wave "
          f"{baseline / 2**20:.0f} MiB, after the last {final / 2**20:.0f} MiB "
          f"({final / baseline:.2f}x); allocated {live_baseline / 2**20:.1f} -> "
          f"{live_final / 2**20:.1f} MiB")
    assert final <= 1.2 * baseline, samples
    # The allocator's live bytes are the sharper measure (RSS also holds
    # freed pages): what the waves leave behind must not grow with them. A
    # leak of 8 bytes per series would show.
    assert live_final <= live_baseline + 8 * PER_WAVE * (WAVES - 2) + (2 << 20), samples
    # Nothing of the waves is left to find.
    assert server.get("/api/v1/label/pod/values").json()["data"] == []
    assert server.get("/api/v1/metadata").json()["data"] == {}
