#!/usr/bin/env python3
"""Several writers on one table in object storage (issue 18, point 5;
docs/SCALING.md, "Capacity"): for 1, 2 and 3 writers on this machine, each
with its own series (mytsdb-loadgen's node workload with a shard label), all
persisting into one Delta table on moto's S3 server through a proxy that
counts requests and bytes as an object store bills them.

Measured per writer count: the aggregate ingest rate (every writer's sender
at once), the time to persist everything, the compactor's merge rate, range
query and SQL latency on one writer over every writer's data, and the object
store's requests and bytes per million samples; then the table's shape (log
versions, checkpoint bytes per file entry). Writes
bench/results/scale-latest.json and prints a table.

    make bench-scale
    bench/scale.py --writers 1,2,3 --series 10000 --duration 6h
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
sys.path.insert(0, str(REPO / "test" / "integration"))
from conftest import Server  # noqa: E402
from s3_helpers import CREDENTIALS, FaultProxy, Moto  # noqa: E402

DAY = 86_400_000


def log(msg):
    print(f"[scale] {msg}", file=sys.stderr, flush=True)


def generate(name, args, start_ms, workdir):
    out = workdir / f"bodies-{name}"
    subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "node",
                    "--series", str(args.series), "--duration", args.duration,
                    "--start-ms", str(start_ms), "--label", f"shard={name}", "--shards", "2",
                    "--out", str(out)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out, json.loads((out / "manifest.json").read_text())


def start_writer(name, workdir, endpoint, bucket, compactor):
    """A writer of the shared table (the tests' Server: its log in
    workdir/<name>.log)."""
    args = ["--retention", "30d", "--maintenance-interval", "1s", "--cluster.writer", name,
            "--storage.cold-url", f"s3://{bucket}/tsdb", "--storage.s3.endpoint", endpoint]
    if compactor:
        args.append("--cluster.compactor")
    workdir.mkdir(parents=True, exist_ok=True)
    return Server(workdir / name, args, env={**os.environ, **CREDENTIALS}).start(timeout=60)


def sql(server, query):
    r = requests.post(server.url + "/api/v1/sql", data={"query": query}, timeout=300)
    r.raise_for_status()
    return r.json()["data"]["rows"]


def timed(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def merges(writer):
    """(rows, seconds) of each merge in the writer's log."""
    out, started = [], None
    for line in writer.log_path.read_text(errors="replace").splitlines():
        stamp = line[1:24]
        if "cold: compacting" in line:
            started = (time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + float(stamp[19:]),
                       int(line.split("(")[1].split(" rows")[0]))
        elif "(OPTIMIZE)" in line and started:
            ended = time.mktime(time.strptime(stamp[:19], "%Y-%m-%d %H:%M:%S")) + float(stamp[19:])
            out.append((started[1], ended - started[0]))
            started = None
    return out


def run(n, args, moto, workdir, start_ms):
    bucket = f"scale-{n}"
    moto.create_bucket(bucket)
    proxy = FaultProxy(moto.port)
    names = [f"w{i + 1}" for i in range(n)]
    bodies = {name: generate(name, args, start_ms, workdir) for name in names}
    writers = [start_writer(name, workdir / f"n{n}", proxy.url, bucket, compactor=(i == 0))
               for i, name in enumerate(names)]
    try:
        # Every sender at once: the aggregate rate on this machine's cores.
        began = time.perf_counter()
        senders = [subprocess.Popen([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies[name][0]),
                                     "--url", w.url + "/api/v1/write", "--connections", "2"],
                                    stdout=subprocess.PIPE, text=True) for name, w in zip(names, writers)]
        summaries = [json.loads(s.communicate()[0].strip().splitlines()[-1]) for s in senders]
        ingest_s = time.perf_counter() - began
        samples = sum(s["samples"] for s in summaries)
        log(f"{n} writer(s): {samples} samples in {ingest_s:.1f} s")
        began = time.perf_counter()
        for w in writers:
            r = requests.post(w.url + "/api/v1/admin/flush", timeout=600)
            assert r.status_code == 204, r.text
        persist_s = time.perf_counter() - began
        # The compactor merges what every writer persisted; then the first
        # writer must read every writer's samples.
        deadline = time.time() + 1800
        settled, last = 0, None
        while settled < 5:
            assert time.time() < deadline, "the compactor did not finish in 30 minutes"
            text = writers[0].log_path.read_text(errors="replace")
            running = text.count("cold: compacting") - text.count("(OPTIMIZE)") - text.count("dropped:")
            now = len(merges(writers[0]))
            settled = settled + 1 if now == last and running == 0 else 0
            last = now
            time.sleep(1)
        # What writing cost the store: ingest, persists, merges, leases and
        # the writers reading each other's commits and files.
        write_requests = dict(proxy.requests)
        write_up, write_down = proxy.bytes_in, proxy.bytes_out
        reader = writers[0]
        while sql(reader, "SELECT count(*) FROM samples")[0][0] != samples:
            assert time.time() < deadline, "the first writer never saw every sample"
            time.sleep(1)
        end_ms = max(b[1]["end_ms"] for b in bodies.values())
        range_query = {"query": "sum by (shard, mode) (rate(node_cpu_seconds_total[5m]))",
                       "start": start_ms / 1000 + 600, "end": end_ms / 1000, "step": "60"}
        promql_s = timed(lambda: requests.get(reader.url + "/api/v1/query_range", params=range_query,
                                              timeout=300).raise_for_status(), 3)
        sql_s = timed(lambda: sql(
            reader, "SELECT shard, quantile_cont(value, 0.99) FROM samples "
            "WHERE metric = 'node_network_receive_bytes_total' GROUP BY shard"), 3)
        keys = moto.keys(bucket, "tsdb/")
        log_versions = [k for k in keys if k.startswith("tsdb/_delta_log/") and k.endswith(".json")]
        checkpoints = {k: v for k, v in keys.items() if k.endswith(".checkpoint.parquet")}
        files = [k for k in keys if k.endswith(".parquet") and "/day=" in k]
        status = requests.get(reader.url + "/api/v1/status/cold", timeout=60).json()["data"]
        newest_checkpoint = max(checkpoints, default=None)
        merged = merges(writers[0])
        per_million = {k: v / (samples / 1e6) for k, v in sorted(write_requests.items())}
        query_requests = {k: v - write_requests.get(k, 0) for k, v in proxy.requests.items()
                          if v != write_requests.get(k, 0)}
        result = {
            "writers": n, "series_per_writer": args.series, "samples": samples,
            "ingest_seconds": ingest_s, "ingest_samples_per_s": samples / ingest_s,
            "persist_seconds": persist_s,
            "merges": len(merged),
            "merge_rows_per_s": sum(r for r, _ in merged) / sum(s for _, s in merged) if merged else None,
            "promql_range_seconds": promql_s, "sql_p99_seconds": sql_s,
            "write_requests": write_requests, "requests_per_million_samples": per_million,
            "uploaded_bytes_per_million_samples": write_up / (samples / 1e6),
            "downloaded_bytes_per_million_samples": write_down / (samples / 1e6),
            "query_requests": query_requests, "query_downloaded_bytes": proxy.bytes_out - write_down,
            "objects": len(keys), "data_files_in_bucket": len(files), "live_files": status.get("files"),
            "log_versions": len(log_versions),
            "checkpoint_bytes": checkpoints.get(newest_checkpoint),
            "rss_bytes": [int(Path(f"/proc/{w.proc.pid}/status").read_text().split("VmRSS:")[1].split()[0]) * 1024
                          for w in writers],
        }
        return result
    finally:
        for w in writers:
            w.stop()
        proxy.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--writers", default="1,2,3")
    p.add_argument("--series", type=int, default=10000, help="series per writer")
    # 7 h 15 min: the head persists its blocks of the first 6 h by itself,
    # so that the first 6 h window is complete and merged (the final flush
    # writes the rest, 6 h to 7 h 15 min, as one file).
    p.add_argument("--duration", default="435m")
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "scale-latest.json"))
    args = p.parse_args()
    for tool in (BUILD / "mytsdb", BUILD / "mytsdb-loadgen"):
        if not tool.exists():
            sys.exit(f"scale: {tool} not built; run make build")
    # Two days ago at midnight: within retention, whole UTC day.
    start_ms = (int(time.time() * 1000) // DAY - 2) * DAY
    results = []
    with tempfile.TemporaryDirectory(prefix="mytsdb-scale-") as tmp:
        workdir = Path(tmp)
        moto = Moto(workdir / "moto.log")
        try:
            for n in [int(x) for x in args.writers.split(",")]:
                results.append(run(n, args, moto, workdir, start_ms))
        finally:
            moto.stop()
    record = {"machine": f"{os.cpu_count()} cores, {os.uname().release}", "when": time.strftime("%Y-%m-%d"),
              "command": " ".join(sys.argv), "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(f"{'writers':>7} {'ingest/s':>10} {'persist s':>9} {'merge rows/s':>12} {'range q s':>9} "
          f"{'sql s':>6} {'PUT+/M':>7} {'GET/M':>7} {'up MB/M':>8} {'versions':>8} {'ckpt B':>8}")
    for r in results:
        req = r["requests_per_million_samples"]
        puts = sum(v for k, v in req.items() if k.startswith("PUT") or k == "POST")
        print(f"{r['writers']:>7} {r['ingest_samples_per_s']:>10.0f} {r['persist_seconds']:>9.1f} "
              f"{(r['merge_rows_per_s'] or 0):>12.0f} {r['promql_range_seconds']:>9.3f} {r['sql_p99_seconds']:>6.3f} "
              f"{puts:>7.1f} {req.get('GET', 0):>7.1f} {r['uploaded_bytes_per_million_samples'] / 1e6:>8.2f} "
              f"{r['log_versions']:>8} {r['checkpoint_bytes'] or 0:>8}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
