#!/usr/bin/env python3
"""Dashboard-query latency of MyTSDB (head and cold tier) and
VictoriaMetrics, measured interleaved: all three servers up at once, on the
same data, each query sent to one after the other, run after run.

    .venv/bin/python bench/interleaved.py                    # node, 100k series, 2h
    .venv/bin/python bench/interleaved.py --workload churn --runs 30

bench/compare.py measures one server after the other, minutes apart; on a
shared two-core virtual machine a small query's latency drifts by 10-20%
over minutes (the same build's `disk_io_util` on the head took 10.1 ms in
one run and 11.5 in the next; VictoriaMetrics' 11.5 and 9.6), which is as
large as the differences being measured. Interleaving puts every server
under the same noise, as bench/ab_query.py does for two builds of MyTSDB.

The servers: MyTSDB with everything in its head (ingested last, so that
nothing reaches the cold tier while the others are prepared), MyTSDB after
/api/v1/admin/flush (everything in the Parquet tier), VictoriaMetrics after
/internal/force_flush. The order within a round rotates. MyTSDB's head and
cold answers must agree with each other (VictoriaMetrics' rate() differs from
Prometheus's by design; compare.py checks MyTSDB against Prometheus), and
every query must return data.
"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import (BUILD, GENERATOR_VERSION, REPO, MyTSDB, VictoriaMetrics,  # noqa: E402
                     compare_matrix, compare_selected_values, du_settled, generate, log,
                     memory_kib, run_record)
from queries import TIE_SENSITIVE, queries_for  # noqa: E402


class MyTSDBCold(MyTSDB):
    name = "mytsdb-cold"


def ingest(target, bodies, connections, series):
    send = subprocess.run([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies),
                           "--url", target.url + target.write_path(),
                           "--connections", str(connections)],
                          capture_output=True, text=True, check=True)
    summary = json.loads(send.stdout.strip().splitlines()[-1])
    if summary["failures"]:
        sys.exit(f"bench: {target.name}: {summary['failures']} writes failed: {summary['first_error']}")
    rss = memory_kib(target.proc.pid, "VmRSS") * 1024
    log(f"{target.name}: ingested {summary['samples']:,} samples, RSS {rss / 2**20:.0f} MiB "
        f"({rss / series:,.0f} bytes per active series)")
    return {"ingest": summary, "rss_bytes": rss, "rss_bytes_per_active_series": rss / series}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=["node", "churn"], default="node")
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--duration", default="2h")
    ap.add_argument("--interval", default="15s")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--runs", type=int, default=20, help="timed runs of each query on each server")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=None, help="JSON results (default: print only)")
    args = ap.parse_args()

    for tool in [BUILD / "mytsdb", BUILD / "mytsdb-loadgen"]:
        if not tool.exists():
            sys.exit(f"bench: {tool} missing: run `make build` first")
    if not shutil.which("victoria-metrics"):
        sys.exit("bench: victoria-metrics not installed: run scripts/setup.sh")
    bodies = REPO / ".deps" / "bench-data" / (
        f"g{GENERATOR_VERSION}-{args.workload}-{args.series}-{args.duration}-{args.interval}-"
        f"{args.seed}-c{args.connections}")
    manifest = generate(args, bodies)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-interleaved-"))
    head, cold, vm = MyTSDB(workdir), MyTSDBCold(workdir), VictoriaMetrics(workdir)
    servers = [head, cold, vm]
    results = {**run_record({k: getattr(args, k) for k in ("workload", "series", "duration", "runs")}),
               "servers": {}, "queries": {}}
    try:
        for target in (vm, cold, head):  # the head last: see the docstring
            log(f"{target.name}: starting on {target.url}")
            target.start()
            results["servers"][target.name] = ingest(target, bodies, args.connections, manifest["series"])
            if target is vm:
                requests.get(vm.url + "/internal/force_flush", timeout=600).raise_for_status()
                du_settled(vm.data)  # its background merges done before anything is timed
                # How many parts its data ended in: its query latency varies
                # from run to run with this.
                metrics = requests.get(vm.url + "/metrics", timeout=60).text
                results["servers"][vm.name]["parts"] = {
                    line.split("{")[1].split("}")[0]: int(float(line.split()[-1]))
                    for line in metrics.splitlines() if line.startswith("vm_parts{")}
                log(f"{vm.name}: parts {results['servers'][vm.name]['parts']}")
            elif target is cold:
                requests.post(cold.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()

        end_s = manifest["end_ms"] / 1000
        start = max(end_s - 3600, manifest["start_ms"] / 1000 + 600) + 7.5  # as compare.run_queries
        end = end_s - 7.5
        sessions = {t.name: requests.Session() for t in servers}
        failures = []
        for name, q in queries_for(args.workload):
            params = {"query": q, "start": start, "end": end, "step": 60, "nocache": 1}
            times = {t.name: [] for t in servers}
            answers = {}
            for run in range(args.runs + 1):
                order = servers[run % 3:] + servers[:run % 3]
                for t in order:
                    t0 = time.perf_counter()
                    r = sessions[t.name].get(t.url + "/api/v1/query_range", params=params, timeout=300)
                    dt = time.perf_counter() - t0
                    if r.status_code != 200:
                        sys.exit(f"bench: {t.name} answered {name} with {r.status_code}: {r.text[:200]}")
                    if run == 0:  # warms caches; its answer is checked
                        answers[t.name] = r.json()["data"]["result"]
                    else:
                        times[t.name].append(dt * 1000)
            compare = compare_selected_values if name in TIE_SENSITIVE else compare_matrix
            mismatch = compare(answers["mytsdb-cold"], answers["mytsdb"])
            if mismatch:
                failures.append(f"{name}: head and cold tier differ: {mismatch}")
            if not all(answers.values()):
                failures.append(f"{name}: an empty answer")
            med = {n: statistics.median(v) for n, v in times.items()}
            results["queries"][name] = {
                "series": len(answers["mytsdb"]),
                "median_ms": med,
                "min_ms": {n: min(v) for n, v in times.items()},
                "head_vs_vm": med["mytsdb"] / med["victoria-metrics"],
                "cold_vs_vm": med["mytsdb-cold"] / med["victoria-metrics"],
            }
            log(f"{name:26s} head {med['mytsdb']:8.2f}  cold {med['mytsdb-cold']:8.2f}  "
                f"VictoriaMetrics {med['victoria-metrics']:8.2f} ms")
    finally:
        for t in servers:
            if t.proc is not None:
                t.stop()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nmedian of {args.runs} interleaved runs (ms), {args.workload}")
    print(f"{'query':26s} {'head':>9s} {'cold':>9s} {'VM':>9s} {'head/VM':>8s} {'cold/VM':>8s}")
    for name, r in results["queries"].items():
        m = r["median_ms"]
        print(f"{name:26s} {m['mytsdb']:9.2f} {m['mytsdb-cold']:9.2f} {m['victoria-metrics']:9.2f} "
              f"{r['head_vs_vm']:8.2f} {r['cold_vs_vm']:8.2f}")
    for n, s in results["servers"].items():
        print(f"{n}: {s['rss_bytes_per_active_series']:,.0f} RSS bytes per active series after ingestion")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        log(f"results written to {args.out}")
    for f in failures:
        log(f"FAILED {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
