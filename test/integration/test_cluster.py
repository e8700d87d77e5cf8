"""Several servers on one Delta table in object storage (issue 18, point 2;
docs/SCALING.md): three writers, each with its own series, head and WAL,
and a compactor elected through the log, under concurrent load while
writers and the compactor are SIGKILLed and restarted.

What must hold: every acknowledged sample is in the table exactly once (as
delta-rs reads it, and as every writer reads it), the log's versions run
without a gap, only the lease holder compacts, and a writer that does not
hold the lease refuses an admin compaction with a message that says why.
"""
import re
import subprocess
import threading
import time
from collections import Counter

import requests

import remote_write as rw
from conftest import BINARY
from helpers import wait_for
from test_cold_tier import MIN, T0, bits, exported
from test_object_storage import (bucket, delta_rows, log_versions, moto, s3_server,  # noqa: F401
                                 stop_s3_servers)

HOUR = 60 * MIN
ROUNDS = 7  # of two hours of samples each: two 6 h windows complete


def series_of(shard):
    return [{"__name__": "node_cpu_seconds_total", "instance": f"h{h}", "cpu": str(c),
             "mode": "idle", "shard": shard} for h in range(3) for c in range(2)]


def send_round(server, session, shard, start, end):
    """Writes [start, end) of the shard's series, ten minutes per request;
    returns what was acknowledged. A request that fails (the server was
    killed) is not acknowledged; the next waits for the server to be back."""
    acknowledged = set()
    for t in range(start, end, 10 * MIN):
        batch = [(labels, [(ts, float(ts // 1000 % 9973) + i)
                           for ts in range(t, min(t + 10 * MIN, end), 15_000)])
                 for i, labels in enumerate(series_of(shard))]
        try:
            r = rw.write(session, server.url, batch, timeout=10)
            ok = r.status_code == 204
        except requests.RequestException:
            ok = False
        if not ok:
            wait_for(lambda: ready(server, session), timeout=60)
            continue
        for labels, samples in batch:
            key = frozenset(labels.items())
            acknowledged.update((key, ts, bits(v)) for ts, v in samples)
    return acknowledged


def ready(server, session):
    try:
        return session.get(server.url + "/-/ready", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def flushed(server, session):
    try:
        if session.post(server.url + "/api/v1/admin/flush", timeout=60).status_code == 204:
            return True
    except requests.RequestException:
        pass
    wait_for(lambda: ready(server, session), timeout=60)
    return False


def log_text(server):
    return server.log_path.read_text(errors="replace")


def test_three_writers_and_a_compactor_survive_sigkills(tmp_path, moto, bucket):  # noqa: F811
    def start(name, *extra):
        return s3_server(tmp_path, moto.url, bucket, name=name, maintenance_interval="1s",
                         extra=["--cluster.writer", name, *extra]).start()

    # The compactor first, so that it holds the lease; w3 stands for it too
    # and must stand by while the lease lasts.
    compactor = start("c", "--cluster.compactor")
    wait_for(lambda: "holds the compactor's lease" in log_text(compactor), timeout=30)
    writers = {"w1": start("w1"), "w2": start("w2"), "w3": start("w3", "--cluster.compactor")}
    acknowledged = {name: set() for name in writers}
    rounds_done = {name: 0 for name in writers}

    def load(name):
        session = requests.Session()
        for round_ in range(ROUNDS):
            begin = T0 + round_ * 2 * HOUR
            acknowledged[name] |= send_round(writers[name], session, name, begin, begin + 2 * HOUR)
            # Each round is persisted on its own (by the restarted server if
            # the flush met a kill), so that files stay within the windows.
            wait_for(lambda: flushed(writers[name], session), timeout=60)
            rounds_done[name] = round_ + 1

    threads = [threading.Thread(target=load, args=(name,), daemon=True) for name in writers]
    for t in threads:
        t.start()
    # SIGKILLs while the load runs: a writer mid-round, the compactor as it
    # starts its first merge, another writer later.
    for victim, after_rounds in (("w2", 2), ("c", None), ("w1", 6)):
        if victim == "c":
            wait_for(lambda: "cold: compacting" in log_text(compactor), timeout=120, interval=0.02)
        else:
            wait_for(lambda: min(rounds_done.values()) >= after_rounds, timeout=120)
        server = compactor if victim == "c" else writers[victim]
        server.kill()
        time.sleep(0.5)
        server.start()
    for t in threads:
        t.join(timeout=180)
        assert not t.is_alive()
    for server in writers.values():
        r = server.post("/api/v1/admin/flush", timeout=120)
        assert r.status_code == 204, r.text
    written = set().union(*acknowledged.values())
    # Most of the load was acknowledged (the kills cost a few requests).
    assert len(written) >= 0.8 * 3 * ROUNDS * 2 * 60 * 4 * 6, len(written)

    # The compactor merges every complete 6 h window of all three writers.
    def merged():
        return sum(1 for line in log_text(compactor).splitlines() if "(OPTIMIZE)" in line)
    wait_for(lambda: merged() >= 2, timeout=60)
    rows, version = delta_rows(moto, bucket)
    assert rows == Counter(written)  # every acknowledged sample, each exactly once
    assert log_versions(moto, bucket) == list(range(version + 1))
    for server in writers.values():
        wait_for(lambda: exported(server) == written, timeout=30)
    # Only the lease holder compacted; w3 stood by.
    for server in writers.values():
        assert "(OPTIMIZE)" not in log_text(server)
    assert "stands by" in log_text(writers["w3"])
    r = writers["w1"].post("/api/v1/admin/compact", timeout=60)
    assert r.status_code == 503 and "compactor's lease" in r.json()["error"], r.text
    # Each writer's watermark and the compactor's lease are in the log.
    txns = set()
    for key in moto.keys(bucket, "tsdb/_delta_log/"):
        if key.endswith(".json"):
            txns |= set(re.findall(r'"appId":"([^"]+)"', moto.get(bucket, key).decode()))
    assert {"mytsdb.head/w1", "mytsdb.head/w2", "mytsdb.head/w3", "mytsdb.compactor/c"} <= txns
    assert "mytsdb.compactor/w3" not in txns


def test_the_compactor_needs_a_writer_name(tmp_path):
    out = subprocess.run(
        [str(BINARY), "serve", "--data-dir", str(tmp_path / "data"), "--listen", "127.0.0.1:0",
         "--cluster.compactor"], capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL)
    assert out.returncode != 0
    assert "--cluster.compactor stands for the compactor" in out.stdout + out.stderr
