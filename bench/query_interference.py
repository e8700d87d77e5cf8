"""Do heavy queries slow down ingestion? (issue 10: 20 heavy queries at once
must raise remote-write p99 latency by less than 2x.)

  .venv/bin/python bench/query_interference.py            # make bench-interference

1. MyTSDB is started on a fresh data directory and loaded with the `node`
   workload (mytsdb-loadgen, 20,000 series x 1 h by default) so that the
   queries have work to do.
2. A writer process sends small remote-write requests (200 samples each, to
   series of a metric the queries read, 20 per second, timestamps after the
   loaded data) and times each one.
   Phase A: the writer alone. Phase B: the writer while 20 clients run
   heavy range queries over the whole hour back to back (the clients, which
   stand in for dashboards on other machines, run at nice 19 so that on a
   small machine they do not take the writer's own CPU).
3. Prints and writes (bench/results/interference-latest.json) the writer's
   latency percentiles in both phases, their ratio, and how many queries
   completed.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import statistics
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
from compare import GENERATOR_VERSION, free_port, run_record  # noqa: E402

HEAVY_QUERIES = [
    "sum by (instance) (rate(node_cpu_seconds_total[5m]))",
    "topk(5, sum by (instance, mode) (rate(node_cpu_seconds_total[5m])))",
    "quantile_over_time(0.9, node_load1[10m])",
    "sum(rate(node_network_receive_bytes_total[5m])) by (device)",
]


def log(msg):
    print(f"[interference] {msg}", flush=True)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def writer(url, start_ms, seconds, rate, series, out_queue):
    """Sends `rate` requests per second for `seconds`; puts the latencies (s)."""
    session = requests.Session()
    latencies, errors = [], 0
    interval = 1.0 / rate
    t = start_ms
    deadline = time.monotonic() + seconds
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        # Series of a metric the heavy queries read (quantile_over_time over
        # node_load1): writes and queries meet on the same index entries.
        batch = [({"__name__": "node_load1", "instance": f"probe-{i}", "job": "node"}, [(t, float(i))])
                 for i in range(series)]
        body = rw.encode(batch)
        begin = time.perf_counter()
        r = session.post(url + "/api/v1/write", data=body, headers=rw.HEADERS, timeout=60)
        latencies.append(time.perf_counter() - begin)
        if r.status_code != 204:
            errors += 1
        t += 1000
        next_send += interval
        time.sleep(max(0.0, next_send - time.monotonic()))
    out_queue.put({"latencies": latencies, "errors": errors, "next_ms": t})


def query_clients(url, clients, query_window, nice, stop, out_queue):
    """`clients` threads sending heavy range queries back to back until
    `stop` is set; puts (completed, failed)."""
    os.nice(nice)
    completed, failed = [0], [0]

    def querier(k):
        session = requests.Session()
        i = k
        while not stop.is_set():
            query = HEAVY_QUERIES[i % len(HEAVY_QUERIES)]
            i += 1
            r = session.get(url + "/api/v1/query_range",
                            params={"query": query, "start": query_window[0], "end": query_window[1],
                                    "step": 15}, timeout=600)
            if r.status_code == 200:
                completed[0] += 1
            else:
                failed[0] += 1

    threads = [threading.Thread(target=querier, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out_queue.put((completed[0], failed[0]))


def run_phase(url, start_ms, args, with_queries, query_window):
    q = multiprocessing.Queue()
    proc = multiprocessing.Process(target=writer, args=(url, start_ms, args.phase_seconds, args.rate,
                                                        args.write_series, q))
    stop = multiprocessing.Event()
    counts = multiprocessing.Queue()
    clients = None
    if with_queries:
        clients = multiprocessing.Process(target=query_clients, args=(url, args.queries, query_window,
                                                                      args.client_nice, stop, counts))
        clients.start()
        time.sleep(2)  # the queries are running before the writer starts
    proc.start()
    result = q.get()
    proc.join()
    stop.set()
    completed, failed = counts.get() if clients else (0, 0)
    if clients:
        clients.join()
    lat = result["latencies"]
    return {
        "requests": len(lat),
        "errors": result["errors"],
        "p50_ms": percentile(lat, 50) * 1000,
        "p90_ms": percentile(lat, 90) * 1000,
        "p99_ms": percentile(lat, 99) * 1000,
        "max_ms": max(lat) * 1000,
        "mean_ms": statistics.mean(lat) * 1000,
        "queries_completed": completed,
        "queries_failed": failed,
        "next_ms": result["next_ms"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--series", type=int, default=20000, help="series of the loaded node workload")
    ap.add_argument("--duration", default="1h", help="time span of the loaded data")
    ap.add_argument("--queries", type=int, default=20, help="concurrent heavy query clients")
    ap.add_argument("--rate", type=float, default=20, help="write requests per second")
    ap.add_argument("--write-series", type=int, default=200, help="samples per write request")
    ap.add_argument("--phase-seconds", type=float, default=60)
    ap.add_argument("--client-nice", type=int, default=19,
                    help="nice value of the query clients' process (they stand in for dashboards on "
                         "other machines; on a small machine they would otherwise take the writer's CPU)")
    ap.add_argument("--server-arg", action="append", default=[],
                    help="extra server flag, e.g. --server-arg=--query.threads=20 (repeatable)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "interference-latest.json"))
    args = ap.parse_args()
    for tool in [BUILD / "mytsdb", BUILD / "mytsdb-loadgen"]:
        if not tool.exists():
            sys.exit(f"bench: {tool} missing: run `make build` first")

    workdir = Path(tempfile.mkdtemp(prefix="mytsdb-interference-"))
    bodies = REPO / ".deps" / "bench-data" / f"g{GENERATOR_VERSION}-node-{args.series}-{args.duration}-15s-1-c4"
    if not (bodies / "manifest.json").exists():
        log(f"generating request bodies into {bodies}")
        subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "node", "--series",
                        str(args.series), "--duration", args.duration, "--interval", "15s", "--seed", "1",
                        "--shards", "4", "--out", str(bodies)], check=True)
    manifest = json.loads((bodies / "manifest.json").read_text())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([str(BUILD / "mytsdb"), "serve", "--data-dir", str(workdir / "data"),
                               "--listen", f"127.0.0.1:{port}", "--retention", "100y",
                               "--log-level", "warn", "--query.max-samples", "500000000", *args.server_arg],
                              stdout=open(workdir / "server.log", "wb"), stderr=subprocess.STDOUT)
    try:
        for _ in range(600):
            try:
                if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        log(f"loading {manifest['samples']} samples of {args.series} series")
        subprocess.run([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
                        url + "/api/v1/write", "--connections", "4"], check=True, capture_output=True)
        end_ms = manifest["end_ms"]
        window = ((manifest["start_ms"] + 600_000) / 1000, (end_ms - 1) / 1000)
        log("phase A: writes alone")
        alone = run_phase(url, end_ms + 1000, args, False, window)
        log(f"  p50 {alone['p50_ms']:.1f} ms, p99 {alone['p99_ms']:.1f} ms over {alone['requests']} requests")
        log(f"phase B: writes with {args.queries} heavy queries at once")
        loaded = run_phase(url, alone["next_ms"], args, True, window)
        log(f"  p50 {loaded['p50_ms']:.1f} ms, p99 {loaded['p99_ms']:.1f} ms over {loaded['requests']} "
            f"requests; {loaded['queries_completed']} queries completed, {loaded['queries_failed']} failed")
        ratio = loaded["p99_ms"] / alone["p99_ms"]
        log(f"remote-write p99 with queries / without: {ratio:.2f}x")
        result = {
            **run_record(vars(args)),
            "alone": alone,
            "with_queries": loaded,
            "p99_ratio": ratio,
            "p50_ratio": loaded["p50_ms"] / alone["p50_ms"],
        }
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        log(f"wrote {args.out}")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
