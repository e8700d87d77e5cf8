"""Soak: an hour of ingestion with crashes (issue 10; `make soak`).

  .venv/bin/python bench/soak.py                       # the full hour
  .venv/bin/python bench/soak.py --duration 6m --kill-every 2m   # a short look

1. Capacity: writers send as fast as they can to a scratch server for 15 s;
   the soak then runs at half the samples per second they reached.
2. Soak: series get a sample every --interval with the wall clock's time
   (so that blocks of --block-duration 10m persist, compactions merge them
   and --retention 30m removes them, many times within the hour); dashboard
   range queries run every few seconds; every --kill-every the server gets
   SIGKILL and is restarted at once. Writers retry what was not acknowledged,
   as Prometheus's remote write does.
3. Checks: before every kill and at the end, every acknowledged sample that
   retention may not have removed yet is read back with its value (lost must
   be 0); the Delta table has no sample twice (duplicates 0); queries failed
   only while the server was restarting; the server's anonymous RSS, at the
   same point of each cycle after warm-up, stays within 10%.
4. Writes bench/results/soak-latest.json and docs/bench/soak-rss.png.
"""
import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
sys.path.insert(0, str(REPO / "test" / "integration"))
sys.path.insert(0, str(REPO / "bench"))
import remote_write as rw  # noqa: E402
from compare import free_port, machine  # noqa: E402

BATCH = 1000  # series per request
QUERIES = [
    "sum by (zone) (rate(soak_requests_total[2m]))",
    "topk(5, soak_requests_total)",
    "count(soak_requests_total)",
]


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def value_of(i, t):
    """Every sample's value follows from its series and time: a sample read
    back can be checked, not just counted."""
    return float((i * 7919 + t // 1000) % 1_000_003)


def labels_of(i):
    return {"__name__": "soak_requests_total", "series": f"s{i:07d}", "zone": f"z{i % 10}"}


class Server:
    def __init__(self, data_dir, args, port):
        self.data_dir, self.args, self.port = data_dir, args, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None
        self.log = open(Path(data_dir).parent / "server.log", "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [str(BUILD / "mytsdb"), "serve", "--data-dir", str(self.data_dir),
             "--listen", f"127.0.0.1:{self.port}", "--block-duration", self.args.block_duration,
             "--retention", self.args.retention, "--maintenance-interval", "20s",
             "--web.enable-admin-api", "--log-level", "info"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: see server.log")
            try:
                if requests.get(self.url + "/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError("server not ready in 300 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=120)


# ---- writers (one process each, a shard of the series) -------------------------

def writer_loop(url, shard, shards, num_series, interval_ms, stop_at, out, tick0=None):
    """Sends each tick's sample of this shard's series, in order; retries a
    request until it is acknowledged. Reports the acknowledged (batch, t)."""
    session = requests.Session()
    mine = list(range(shard, num_series, shards))
    batches = [mine[k:k + BATCH] for k in range(0, len(mine), BATCH)]
    label_sets = [[labels_of(i) for i in b] for b in batches]
    acked, retries = [], 0
    t = tick0 if tick0 is not None else (int(time.time() * 1000) // interval_ms) * interval_ms
    while time.time() < stop_at:
        wait = t / 1000 - time.time()
        if wait > 0:
            time.sleep(wait)
        for b, batch in enumerate(batches):
            body = rw.encode([(label_sets[b][k], [(t, value_of(i, t))]) for k, i in enumerate(batch)])
            backoff = 0.1
            while True:
                try:
                    r = session.post(url + "/api/v1/write", data=body, headers=rw.HEADERS, timeout=30)
                    if r.status_code == 204:
                        acked.append((b, t))
                        break
                    if 400 <= r.status_code < 500:
                        raise RuntimeError(f"write refused: {r.status_code} {r.text}")
                except requests.RequestException:
                    session = requests.Session()
                retries += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
        t += interval_ms
    out.put({"shard": shard, "acked": acked, "retries": retries,
             "batches": [b for b in batches]})


def measure_capacity(args, workdir):
    """Samples per second the writers reach against a scratch server."""
    server = Server(workdir / "capacity" / "data", args, free_port())
    (workdir / "capacity").mkdir(parents=True)
    server.start()
    try:
        q = mp.Queue()
        series = 200_000
        stop_at = time.time() + 15
        # Ticks in the past, so that the writers never wait for the clock.
        start = int(time.time() * 1000) - 3600_000
        procs = [mp.Process(target=writer_loop, args=(server.url, s, args.writers, series, 1000, stop_at,
                                                      q, start)) for s in range(args.writers)]
        begin = time.time()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.time() - begin
        samples = sum(len(r["acked"]) for r in results) * BATCH
        return samples / elapsed
    finally:
        server.stop()


# ---- verification ---------------------------------------------------------------

def verify(url, acked, batches, lo, hi):
    """Acknowledged samples with lo <= t <= hi that are missing or wrong."""
    want = {}
    for shard, pairs in acked.items():
        for b, t in pairs:
            if lo <= t <= hi:
                for i in batches[shard][b]:
                    want.setdefault(i, set()).add(t)
    if not want:
        return 0, 0
    r = requests.get(url + "/api/v1/export", params={"match[]": "soak_requests_total", "start": lo / 1000,
                                                     "end": hi / 1000, "value_encoding": "hex"},
                     timeout=600)
    r.raise_for_status()
    got = {}
    for line in r.text.splitlines():
        obj = json.loads(line)
        i = int(obj["metric"]["series"][1:])
        got[i] = {t: int(v, 16) for t, v in zip(obj["timestamps"], obj["values"])}
    lost = 0
    checked = 0
    for i, times in want.items():
        have = got.get(i, {})
        for t in times:
            checked += 1
            if have.get(t) != rw.float_to_bits(value_of(i, t)):
                lost += 1
    return lost, checked


def duplicates(data_dir):
    import duckdb
    from deltalake import DeltaTable
    files = DeltaTable(str(data_dir / "parquet")).file_uris()
    if not files:
        return 0, 0
    listing = ", ".join(f"'{f}'" for f in files)
    rows, distinct = duckdb.connect().sql(
        f"SELECT count(*), count(DISTINCT (series_id, ts)) FROM read_parquet([{listing}], union_by_name=true)"
    ).fetchone()
    return rows - distinct, rows


def rss_anon(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def parse_minutes(s):
    return float(s[:-1]) * (60 if s.endswith("m") else 3600 if s.endswith("h") else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="60m")
    ap.add_argument("--kill-every", default="5m")
    ap.add_argument("--block-duration", default="10m")
    ap.add_argument("--retention", default="30m")
    ap.add_argument("--interval", type=int, default=10, help="seconds between a series' samples")
    ap.add_argument("--writers", type=int, default=2, help="writer processes")
    ap.add_argument("--rate", type=float, default=0, help="samples/s (default: half the capacity)")
    ap.add_argument("--query-every", type=float, default=5)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "soak-latest.json"))
    ap.add_argument("--png", default=str(REPO / "docs" / "bench" / "soak-rss.png"))
    args = ap.parse_args()
    duration, kill_every = parse_minutes(args.duration), parse_minutes(args.kill_every)
    retention_ms = int(parse_minutes(args.retention) * 1000)
    workdir = Path(tempfile.mkdtemp(prefix="mytsdb-soak-"))

    capacity = measure_capacity(args, workdir)
    rate = args.rate or capacity / 2
    num_series = max(BATCH, int(rate * args.interval) // BATCH * BATCH)
    log(f"capacity {capacity:,.0f} samples/s; soak at {num_series / args.interval:,.0f} samples/s "
        f"({num_series} series every {args.interval} s) for {duration / 60:.0f} min")

    data_dir = workdir / "soak" / "data"
    data_dir.parent.mkdir(parents=True)
    server = Server(data_dir, args, free_port())
    server.start()
    start = time.time()
    stop_at = start + duration
    events = {"kills": [], "query_errors": [], "queries": 0, "rss": [], "checks": []}
    restarting = threading.Event()
    done = threading.Event()

    q = mp.Queue()
    writers = [mp.Process(target=writer_loop, args=(server.url, s, args.writers, num_series,
                                                    args.interval * 1000, stop_at, q))
               for s in range(args.writers)]
    for w in writers:
        w.start()

    def querier():
        session = requests.Session()
        while not done.is_set():
            now = time.time()
            for query in QUERIES:
                try:
                    r = session.get(server.url + "/api/v1/query_range",
                                    params={"query": query, "start": now - 600, "end": now, "step": 15},
                                    timeout=30)
                    ok = r.status_code == 200
                except requests.RequestException:
                    ok = False
                    session = requests.Session()
                events["queries"] += 1
                if not ok:
                    events["query_errors"].append({"t": time.time() - start, "in_restart": restarting.is_set()})
            done.wait(args.query_every)

    def sampler():
        while not done.is_set():
            pid = server.proc.pid
            r = rss_anon(pid)
            if r is not None:
                events["rss"].append({"t": time.time() - start, "rss_anon": r, "pid": pid})
            done.wait(10)

    threads = [threading.Thread(target=querier, daemon=True), threading.Thread(target=sampler, daemon=True)]
    for t in threads:
        t.start()
    next_kill = start + kill_every
    while time.time() < stop_at:
        time.sleep(min(1.0, max(0.0, stop_at - time.time())))
        if time.time() >= next_kill and time.time() < stop_at - 30:
            restarting.set()
            t0 = time.time()
            server.kill()
            server.start()
            time.sleep(3)  # queries in flight at the kill finish failing
            restarting.clear()
            events["kills"].append({"t": t0 - start, "down_s": time.time() - t0})
            log(f"kill {len(events['kills'])}: back in {time.time() - t0:.1f} s")
            next_kill += kill_every
    results = [q.get() for _ in writers]
    for w in writers:
        w.join()
    done.set()
    for t in threads:
        t.join(timeout=60)

    acked = {r["shard"]: r["acked"] for r in results}
    batches = {r["shard"]: r["batches"] for r in results}
    end_ms = int(time.time() * 1000)
    # What retention may have removed is not checked: the last retention
    # window, less a margin for the clock between the writer and the check.
    lo = end_ms - retention_ms + 120_000
    lost, checked = verify(server.url, acked, batches, lo, end_ms)
    requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
    dup, rows = duplicates(data_dir)
    history = []
    try:
        from deltalake import DeltaTable
        history = [h.get("operation") for h in DeltaTable(str(data_dir / "parquet")).history()]
    except Exception as e:  # noqa: BLE001
        log(f"history: {e}")
    server.stop()

    # RSS at the same point of each cycle (its largest value), after a
    # warm-up of two cycles.
    cycles = {}
    for s in events["rss"]:
        cycles.setdefault(int(s["t"] // kill_every), []).append(s["rss_anon"])
    peaks = [max(v) for k, v in sorted(cycles.items()) if k >= 2 and len(v) >= 3]
    flat = (max(peaks) / min(peaks)) if peaks else float("nan")
    outside = [e for e in events["query_errors"] if not e["in_restart"]]
    summary = {
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "params": vars(args),
        "capacity_samples_per_s": capacity,
        "rate_samples_per_s": num_series / args.interval,
        "series": num_series,
        "acknowledged_samples": sum(len(a) for a in acked.values()) * BATCH,
        "writer_retries": sum(r["retries"] for r in results),
        "kills": len(events["kills"]),
        "max_restart_s": max((k["down_s"] for k in events["kills"]), default=0),
        "checked_samples": checked,
        "lost_samples": lost,
        "table_rows": rows,
        "duplicate_samples": dup,
        "queries": events["queries"],
        "query_errors_outside_restarts": len(outside),
        "query_errors_during_restarts": len(events["query_errors"]) - len(outside),
        "delta_operations": {op: history.count(op) for op in sorted(set(history))},
        "rss_anon_cycle_peaks_mib": [round(p / 2**20, 1) for p in peaks],
        "rss_flatness": flat,
        "rss": events["rss"],
    }
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(9, 3.5))
        ax.plot([s["t"] / 60 for s in events["rss"]], [s["rss_anon"] / 2**20 for s in events["rss"]], lw=1)
        for k in events["kills"]:
            ax.axvline(k["t"] / 60, color="red", lw=0.6, alpha=0.5)
        ax.set_xlabel("minutes (red: SIGKILL and restart)")
        ax.set_ylabel("server RssAnon (MiB)")
        ax.set_title(f"soak: {num_series} series, {num_series / args.interval:,.0f} samples/s")
        fig.tight_layout()
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.png, dpi=110)
    except ImportError:
        pass
    log(f"lost {lost} of {checked} checked, duplicates {dup} of {rows} rows, "
        f"query errors outside restarts {len(outside)}, RSS flatness {flat:.2f}, "
        f"Delta operations {summary['delta_operations']}")
    log(f"wrote {args.out}")
    ok = lost == 0 and dup == 0 and not outside and (flat != flat or flat <= 1.10)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
