"""Soak: an hour of ingestion with crashes (issue 10; `make soak`).

  make soak                                                    # the full hour
  make soak SOAK_ARGS="--duration 10m --kill-every 2m --retention 6m --block-duration 1m --max-block-duration 3m"

1. Capacity: the writers send as fast as they can to a scratch server for
   20 s (one sample per series per tick, ticks in the recent past, 200,000
   series); the soak then runs at half the samples per second reached. The
   writers patch prebuilt protobuf bodies, so that their CPU, on the same
   machine as the server, is small next to the server's.
2. Soak: every series gets a sample per --interval with the wall clock's
   time, so that blocks of --block-duration persist, compactions merge them
   into windows of up to --max-block-duration and --retention removes those,
   many times within the run; dashboard range
   queries run every --query-every seconds; every --kill-every the server gets
   SIGKILL and is restarted at once. Writers retry what was not acknowledged,
   as Prometheus's remote write does, and keep ticks in order.
3. Checks: after every restart, every sample acknowledged since the previous
   check is read back (count_over_time and sum_over_time per series; values
   follow from series and time, so a wrong value shows), and at the end the
   rest, plus 50 series sample by sample through /api/v1/export; after a
   final flush the Delta table holds no (series, ts) twice; queries failed
   only while the server was restarting (sent during a restart, or in flight
   across one); the server's anonymous RSS (sampled every --rss-every
   seconds; its peak in each window of max(--kill-every,
   --block-duration), whole windows after a warm-up of --retention, when
   the cold tier has reached its steady size) stays within 10%; the Delta
   log shows persists
   (WRITE), compactions (OPTIMIZE) and retention (DELETE) three times each
   at least.
4. Writes bench/results/soak-latest.json and docs/bench/soak-rss.png; exits
   non-zero when any check fails.
"""
import argparse
import atexit
import json
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
sys.path.insert(0, str(REPO / "test" / "integration"))
sys.path.insert(0, str(REPO / "bench"))
import remote_write as rw  # noqa: E402
from compare import free_port, run_record  # noqa: E402

BATCH = 1000  # series per request
# Dashboard panels. Each stays under the default --query.max-samples (50 M)
# whatever the soak's size: the panels over one zone (a tenth of the series)
# cover 10 minutes, the one over every series as many seconds as keep it
# near 20 M samples (see dashboard_queries).
ZONE_QUERIES = [
    ('sum(rate(soak_requests_total{zone="z1"}[1m]))', 600),
    ('topk(5, soak_requests_total{zone="z2"})', 600),
    ('count(soak_requests_total{zone="z3"})', 600),
]


def dashboard_queries(num_series, interval_s):
    """(query, range in seconds) for the soak's size; the rate panel over all
    series reads its range plus one minute of samples per series."""
    samples_per_s = num_series / interval_s
    all_series_s = max(15, min(300, int(20e6 / samples_per_s) - 60))
    return ZONE_QUERIES + [("sum by (zone) (rate(soak_requests_total[1m]))", all_series_s)]


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def values_of(series_ids, t):
    """Every sample's value follows from its series and time: a sample read
    back can be checked, not just counted. Integers below 2**20, so that sums
    over an hour are exact in float64."""
    return ((series_ids * 7919 + t // 1000) % 1_000_003).astype(np.float64)


def labels_of(i):
    return {"__name__": "soak_requests_total", "series": f"s{i:07d}", "zone": f"z{i % 10}"}


class Server:
    def __init__(self, data_dir, args, port, binary):
        self.data_dir, self.args, self.port, self.binary = data_dir, args, port, binary
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None
        atexit.register(self.stop)  # also when the soak fails half-way
        self.log = open(Path(data_dir).parent / "server.log", "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--data-dir", str(self.data_dir),
             "--listen", f"127.0.0.1:{self.port}", "--block-duration", self.args.block_duration,
             "--retention", self.args.retention, "--max-block-duration", self.args.max_block_duration,
             "--maintenance-interval", "20s",
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

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(number, payload):
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


class BatchTemplate:
    """One request's uncompressed protobuf (remote write 1.0: WriteRequest of
    TimeSeries with one Sample each) built once; every tick only patches the
    8 value bytes and the timestamp varint of each sample in place. Encoding
    with the protobuf library costs more CPU than the server spends storing
    the samples, and the writers share the server's machine."""

    TS_BYTES = len(_varint(int(time.time() * 1000)))  # 6 from 2004 to 2039

    def __init__(self, series_ids):
        self.ids = np.asarray(series_ids, dtype=np.int64)
        body, value_at, ts_at = bytearray(), [], []
        for i in series_ids:
            labels = b"".join(_field(1, _field(1, k.encode()) + _field(2, v.encode()))
                              for k, v in sorted(labels_of(i).items()))
            sample_payload_len = 1 + 8 + 1 + self.TS_BYTES
            series_payload = labels + _varint(2 << 3 | 2) + _varint(sample_payload_len)
            head = _varint(1 << 3 | 2) + _varint(len(series_payload) + sample_payload_len)
            start = len(body) + len(head) + len(series_payload)
            value_at.append(start + 1)
            ts_at.append(start + 1 + 8 + 1)
            body += head + series_payload + b"\x09" + bytes(8) + b"\x10" + bytes(self.TS_BYTES)
        self.body = np.frombuffer(body, dtype=np.uint8).copy()
        self.value_idx = np.asarray(value_at)[:, None] + np.arange(8)
        self.ts_idx = np.asarray(ts_at)[:, None] + np.arange(self.TS_BYTES)

    def encode(self, t):
        ts = _varint(t)
        assert len(ts) == self.TS_BYTES
        self.body[self.value_idx] = values_of(self.ids, t).astype("<f8").view(np.uint8).reshape(-1, 8)
        self.body[self.ts_idx] = np.frombuffer(ts, dtype=np.uint8)
        return rw.snappy_compress(self.body.tobytes())


def writer_process(*args):
    """writer_loop, reporting an exception instead of leaving the soak waiting."""
    out = args[-1]
    try:
        writer_loop(*args)
    except Exception as e:  # noqa: BLE001
        out.put({"error": f"{type(e).__name__}: {e}"})


def collect(queue, procs):
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError("writer failed: " + errors[0])
    return results


def writer_loop(url, shard, shards, num_series, interval_ms, tick0, stop_at, progress, out):
    """Sends each tick's sample of this shard's series, in order, and retries
    a request until it is acknowledged (as Prometheus's remote write does), so
    every tick up to progress[shard] is acknowledged for every series."""
    session = requests.Session()
    mine = list(range(shard, num_series, shards))
    templates = [BatchTemplate(mine[k:k + BATCH]) for k in range(0, len(mine), BATCH)]
    requests_sent, retries, t = 0, 0, tick0
    while time.time() < stop_at:
        wait = t / 1000 - time.time()
        if wait > 0:
            time.sleep(wait)
        for template in templates:
            body = template.encode(t)
            backoff = 0.1
            while True:
                try:
                    r = session.post(url + "/api/v1/write", data=body, headers=rw.HEADERS, timeout=30)
                    if r.status_code == 204:
                        requests_sent += 1
                        break
                    if 400 <= r.status_code < 500:
                        raise RuntimeError(f"write refused: {r.status_code} {r.text}")
                except requests.RequestException:
                    session = requests.Session()
                retries += 1
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
        progress[shard] = t
        t += interval_ms
    out.put({"shard": shard, "requests": requests_sent, "retries": retries, "last_tick": t - interval_ms})


def measure_capacity(args, workdir, binary):
    """Samples per second the writers reach against a scratch server."""
    (workdir / "capacity").mkdir(parents=True)
    server = Server(workdir / "capacity" / "data", args, free_port(), binary)
    server.start()
    try:
        q, progress = mp.Queue(), mp.Array("q", args.writers)
        series = 200_000
        # Ticks from 30 s ago (inside the head's window even with a short
        # --block-duration), so that the writers rarely wait for the clock.
        tick0 = (int(time.time()) - 30) * 1000
        begin = time.time()
        stop_at = begin + 20
        procs = [mp.Process(target=writer_process, args=(server.url, s, args.writers, series, 1000, tick0,
                                                      stop_at, progress, q)) for s in range(args.writers)]
        for p in procs:
            p.start()
        results = collect(q, procs)
        elapsed = time.time() - begin
        return sum(r["requests"] for r in results) * BATCH / elapsed
    finally:
        server.stop()


# ---- verification ---------------------------------------------------------------

def expected_over(ids, ticks):
    """Per series: how many samples and their sum for the given ticks."""
    total = np.zeros(len(ids), dtype=np.int64)
    for t in ticks:
        total += (ids * 7919 + int(t) // 1000) % 1_000_003
    return len(ticks), total


def instant(url, query, at):
    r = requests.get(url + "/api/v1/query", params={"query": query, "time": f"{at / 1000:.3f}"}, timeout=600)
    if r.status_code != 200:
        raise RuntimeError(f"{query}: {r.status_code} {r.text[:300]}")
    return {int(e["metric"]["series"][1:]): float(e["value"][1]) for e in r.json()["data"]["result"]}


def verify_window(url, num_series, interval_ms, first_tick, last_tick):
    """Every sample of ticks first_tick..last_tick of every series, read back
    through PromQL: count_over_time and sum_over_time over a range whose ends
    fall between ticks (so left-open or closed ranges agree), 10,000 series per
    query (under the default sample limit). Returns (missing or wrong series,
    samples checked)."""
    if last_tick < first_tick:
        return 0, 0
    at = last_tick + interval_ms // 2
    window = last_tick - first_tick + interval_ms
    ticks = np.arange(first_tick, last_tick + 1, interval_ms, dtype=np.int64)
    bad = 0
    for prefix in range(0, (num_series + 9_999) // 10_000):
        ids = np.arange(prefix * 10_000, min(num_series, (prefix + 1) * 10_000), dtype=np.int64)
        selector = f'soak_requests_total{{series=~"s{prefix:03d}.*"}}[{window}ms]'
        counts = instant(url, f"count_over_time({selector})", at)
        sums = instant(url, f"sum_over_time({selector})", at)
        n, want_sums = expected_over(ids, ticks)
        for i, want_sum in zip(ids.tolist(), want_sums.tolist()):
            if counts.get(i) != n or sums.get(i) != float(want_sum):
                bad += 1
                if bad <= 5:
                    log(f"series s{i:07d}: count {counts.get(i)} (want {n}), sum {sums.get(i)} (want {want_sum})")
        bad += len(set(counts) - set(ids.tolist()))
    return bad, n * num_series


def verify_export(url, ids, interval_ms, first_tick, last_tick):
    """The exact timestamps and value bits of a sample of series, through
    /api/v1/export: no sample missing, none twice, none extra."""
    ticks = list(range(first_tick, last_tick + 1, interval_ms))
    bad = 0
    for i in ids:
        r = requests.get(url + "/api/v1/export",
                         params={"match[]": f'soak_requests_total{{series="s{i:07d}"}}',
                                 "start": first_tick / 1000, "end": last_tick / 1000, "value_encoding": "hex"},
                         timeout=600)
        r.raise_for_status()
        got = []
        for line in r.text.splitlines():
            obj = json.loads(line)
            got += [(t, int(v, 16)) for t, v in zip(obj["timestamps"], obj["values"])]
        want = [(t, rw.float_to_bits(v)) for t, v in zip(ticks, values_of(np.full(len(ticks), i), np.array(ticks)))]
        if got != want:
            bad += 1
            log(f"export of s{i:07d}: {len(got)} samples, want {len(want)}")
    return bad


def duplicates(data_dir):
    import duckdb
    from deltalake import DeltaTable
    files = DeltaTable(str(data_dir / "parquet")).file_uris()
    if not files:
        return 0, 0
    listing = ", ".join(f"'{f}'" for f in files)
    con = duckdb.connect()
    rows, distinct = con.sql(
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
    # Short blocks and windows, so that an hour sees each maintenance step
    # many times: a persist every 2 minutes, a compaction every 6, and
    # retention dropping a 6-minute window every 6 minutes after 26.
    ap.add_argument("--block-duration", default="2m")
    ap.add_argument("--max-block-duration", default="6m")
    ap.add_argument("--retention", default="20m")
    ap.add_argument("--interval", type=int, default=1, help="seconds between a series' samples")
    ap.add_argument("--writers", type=int, default=2, help="writer processes")
    ap.add_argument("--rate", type=float, default=0, help="samples/s (default: half the capacity)")
    ap.add_argument("--query-every", type=float, default=5)
    ap.add_argument("--rss-every", type=float, default=2, help="seconds between RSS samples")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "soak-latest.json"))
    ap.add_argument("--png", default=str(REPO / "docs" / "bench" / "soak-rss.png"))
    args = ap.parse_args()
    duration, kill_every = parse_minutes(args.duration), parse_minutes(args.kill_every)
    retention_ms = int(parse_minutes(args.retention) * 1000)
    interval_ms = args.interval * 1000
    if kill_every * 1000 > retention_ms - 120_000:
        sys.exit("soak: --kill-every must be at least 2 minutes shorter than --retention "
                 "(each cycle's samples are checked after the next restart)")
    workdir = Path(tempfile.mkdtemp(prefix="mytsdb-soak-"))
    log(f"working in {workdir}")
    # Every restart runs the binary of the soak's start, even if build/ is
    # rebuilt meanwhile.
    binary = workdir / "mytsdb"
    shutil.copy2(BUILD / "mytsdb", binary)

    capacity = measure_capacity(args, workdir, binary)
    rate = args.rate or capacity / 2
    num_series = max(BATCH, int(rate * args.interval) // BATCH * BATCH)
    log(f"capacity {capacity:,.0f} samples/s; soak at {num_series / args.interval:,.0f} samples/s "
        f"({num_series} series every {args.interval} s) for {duration / 60:.0f} min")

    data_dir = workdir / "soak" / "data"
    data_dir.parent.mkdir(parents=True)
    server = Server(data_dir, args, free_port(), binary)
    server.start()
    start = time.time()
    stop_at = start + duration
    events = {"kills": [], "query_errors": [], "queries": 0, "rss": [], "checks": []}
    restarting = threading.Event()
    done = threading.Event()

    tick0 = (int(start) + 2) * 1000 // interval_ms * interval_ms + interval_ms
    q, progress = mp.Queue(), mp.Array("q", [tick0 - interval_ms] * args.writers)
    writers = [mp.Process(target=writer_process, args=(server.url, s, args.writers, num_series, interval_ms,
                                                    tick0, stop_at, progress, q))
               for s in range(args.writers)]
    for w in writers:
        w.start()

    queries = dashboard_queries(num_series, args.interval)

    def querier():
        session = requests.Session()
        while not done.is_set():
            now = time.time()
            for query, seconds in queries:
                # A query overlaps a restart if one was under way when it was
                # sent or when it ended, or began and ended in between.
                restarts_at_send, restarting_at_send = len(events["kills"]), restarting.is_set()
                sent = time.time() - start
                try:
                    r = session.get(server.url + "/api/v1/query_range",
                                    params={"query": query, "start": now - seconds, "end": now, "step": 15},
                                    timeout=30)
                    error = None if r.status_code == 200 else f"{r.status_code} {r.text[:200]}"
                except requests.RequestException as e:
                    error = f"{type(e).__name__}: {e}"
                    session = requests.Session()
                events["queries"] += 1
                if error:
                    in_restart = (restarting_at_send or restarting.is_set()
                                  or len(events["kills"]) != restarts_at_send)
                    events["query_errors"].append({"t": sent, "ended": time.time() - start, "query": query,
                                                   "error": error, "in_restart": in_restart})
            done.wait(args.query_every)

    def sampler():
        while not done.is_set():
            pid = server.proc.pid
            r = rss_anon(pid)
            if r is not None:
                events["rss"].append({"t": time.time() - start, "rss_anon": r, "pid": pid})
            done.wait(args.rss_every)

    checked_through = tick0 - interval_ms
    lost = checked = 0

    def check():
        """Reads back every tick acknowledged since the last check."""
        nonlocal checked_through, lost, checked
        through = min(progress[:])
        t0 = time.time()
        bad, n = verify_window(server.url, num_series, interval_ms, checked_through + interval_ms, through)
        events["checks"].append({"t": t0 - start, "first_tick": checked_through + interval_ms,
                                 "last_tick": through, "samples": n, "bad_series": bad,
                                 "seconds": time.time() - t0})
        log(f"check: {n:,} samples of {(through - checked_through) // interval_ms} ticks, "
            f"{bad} series wrong, {time.time() - t0:.1f} s")
        lost += bad
        checked += n
        checked_through = through

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
            check()
            next_kill += kill_every
    try:
        results = collect(q, writers)
    finally:
        done.set()
    for t in threads:
        t.join(timeout=60)
    check()
    last_tick = min(progress[:])
    # A sample of series, sample by sample, over what retention still keeps.
    first_kept = max(tick0, last_tick - retention_ms + 120_000)
    export_ids = list(range(0, num_series, max(1, num_series // 50)))
    export_bad = verify_export(server.url, export_ids, interval_ms, first_kept, last_tick)
    requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
    dup, rows = duplicates(data_dir)
    history = []
    try:
        from deltalake import DeltaTable
        history = [h.get("operation") for h in DeltaTable(str(data_dir / "parquet")).history()]
    except Exception as e:  # noqa: BLE001
        log(f"history: {e}")
    server.stop()

    # RSS: its peak in each window of max(--kill-every, --block-duration)
    # (the head grows from one block to one and a half between persists, and
    # each kill empties the process), after the warm-up: --retention, the
    # time the cold tier takes to reach its steady size (until retention
    # first removes a file, every persist adds rows and every file its
    # entries; the first windows' peaks are lower by that, not flatter).
    # The peaks after two blocks (the head's own warm-up) are reported too.
    # Only whole windows count: a last, shorter one may miss the kill and
    # the persist that set the others' peaks.
    window_s = max(kill_every, parse_minutes(args.block_duration))
    end_s = max((s["t"] for s in events["rss"]), default=0)

    def window_peaks(warmup_s):
        windows = {}
        for s in events["rss"]:
            if s["t"] >= warmup_s:
                windows.setdefault(int((s["t"] - warmup_s) // window_s), []).append(s["rss_anon"])
        return [max(v) for k, v in sorted(windows.items())
                if len(v) >= 3 and warmup_s + (k + 1) * window_s <= end_s + args.rss_every]

    head_warmup_s = 2 * parse_minutes(args.block_duration)
    warmup_s = max(head_warmup_s, retention_ms / 1000)
    peaks = window_peaks(warmup_s)
    early_peaks = window_peaks(head_warmup_s)
    flat = (max(peaks) / min(peaks)) if len(peaks) >= 2 else float("nan")
    outside = [e for e in events["query_errors"] if not e["in_restart"]]
    ticks = (last_tick - tick0) // interval_ms + 1
    summary = {
        **run_record(vars(args)),
        "capacity_samples_per_s": capacity,
        "rate_samples_per_s": num_series / args.interval,
        "series": num_series,
        "acknowledged_samples": ticks * num_series,
        "writer_retries": sum(r["retries"] for r in results),
        "kills": len(events["kills"]),
        "max_restart_s": max((k["down_s"] for k in events["kills"]), default=0),
        "checked_samples": checked,
        "series_windows_wrong": lost,
        "export_series_checked": len(export_ids),
        "export_series_wrong": export_bad,
        "table_rows": rows,
        "duplicate_samples": dup,
        "queries": events["queries"],
        "query_errors_outside_restarts": len(outside),
        "query_errors_outside_restarts_first": outside[:10],
        "query_errors_during_restarts": len(events["query_errors"]) - len(outside),
        "delta_operations": {op: history.count(op) for op in sorted(set(history))},
        "rss_anon_window_s": window_s,
        "rss_anon_warmup_s": warmup_s,
        "rss_anon_window_peaks_mib": [round(p / 2**20, 1) for p in peaks],
        "rss_anon_head_warmup_s": head_warmup_s,
        "rss_anon_window_peaks_after_head_warmup_mib": [round(p / 2**20, 1) for p in early_peaks],
        "rss_flatness": flat,
        "checks": events["checks"],
        "kill_times": events["kills"],
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
        ax.set_ylim(bottom=0)
        ax.set_xlabel("minutes (red: SIGKILL and restart)")
        ax.set_ylabel("server RssAnon (MiB)")
        ax.set_title(f"soak: {num_series:,} series, {num_series / args.interval:,.0f} samples/s")
        fig.tight_layout()
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.png, dpi=110)
    except ImportError:
        log("matplotlib missing: no PNG")
    log(f"acknowledged {ticks * num_series:,} samples, checked {checked:,}: {lost} series windows wrong, "
        f"{export_bad} of {len(export_ids)} exported series wrong; duplicates {dup} of {rows} rows; "
        f"query errors outside restarts {len(outside)}; RSS flatness {flat:.2f}; "
        f"Delta operations {summary['delta_operations']}")
    log(f"wrote {args.out}")
    maintenance = {op: history.count(op) for op in ("WRITE", "OPTIMIZE", "DELETE")}
    if min(maintenance.values()) < 3:
        log(f"maintenance steps ran too rarely to be soaked: {maintenance}")
    ok = (lost == 0 and export_bad == 0 and dup == 0 and not outside and checked == ticks * num_series
          and (flat != flat or flat <= 1.10) and min(maintenance.values()) >= 3)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
