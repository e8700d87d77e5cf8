"""Two (or more) builds of MyTSDB ingesting the same data, one after the other, in rounds.

    .venv/bin/python bench/ab_ingest.py --workload churn --rounds 2 OLD_BINARY NEW_BINARY

Each run starts the binary on an empty data directory on 127.0.0.1, sends
the bench's request bodies (`mytsdb-loadgen send`, 4 connections, made by
`make bench-compare` under .deps/bench-data/) and reads the server's CPU
seconds over the send, its RSS right after it (as compare.py does) and
jemalloc's allocated bytes; then stops it. The builds alternate within each
round, so that they see the same drift of a shared machine. This is how
docs/BENCHMARKS.md ("Memory per series and ingestion CPU, again") compared
the builds before and after a change.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from ab_query import wait_ready  # noqa: E402
from compare import BUILD, cpu_seconds, free_port, memory_kib  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def allocated_bytes(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("mytsdb_allocator_allocated_bytes "):
                return float(line.split()[1])
    return float("nan")


def run_once(binary, bodies, connections):
    workdir = tempfile.mkdtemp(prefix="ab-ingest-")
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--data-dir", os.path.join(workdir, "data"), "--listen",
                             f"127.0.0.1:{port}", "--log-level", "warn", "--retention", "100y"])
    try:
        wait_ready(port, proc)
        cpu0 = cpu_seconds(proc.pid)
        send = subprocess.run([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
                               f"http://127.0.0.1:{port}/api/v1/write", "--connections", str(connections)],
                              capture_output=True, text=True)
        if send.returncode != 0:
            sys.exit(f"ab_ingest: mytsdb-loadgen send failed: {send.stderr.strip()[-500:]}")
        cpu = cpu_seconds(proc.pid) - cpu0
        rss = memory_kib(proc.pid, "VmRSS") * 1024
        allocated = allocated_bytes(port)
        return cpu, rss, allocated
    finally:
        proc.terminate()
        proc.wait(timeout=120)
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binaries", nargs="+")
    p.add_argument("--workload", default="node", choices=["node", "churn"])
    p.add_argument("--bodies", help="request bodies (default: the bench's 100,000-series, 2 h set)")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--connections", type=int, default=4)
    args = p.parse_args()
    bodies = Path(args.bodies or ROOT / ".deps" / "bench-data" / f"g2-{args.workload}-100000-2h-15s-42-c4")
    if not (bodies / "manifest.json").exists():
        sys.exit(f"ab_ingest: no request bodies in {bodies}: run `make bench-compare` once, or give --bodies")
    results = {b: [] for b in args.binaries}
    for round_ in range(args.rounds):
        for binary in args.binaries:
            cpu, rss, allocated = run_once(binary, bodies, args.connections)
            results[binary].append((cpu, rss, allocated))
            print(f"ab_ingest: round {round_ + 1}: {binary}: {cpu:.2f} CPU s, RSS {rss / 1e6:.1f} MB, "
                  f"allocated {allocated / 1e6:.1f} MB", file=sys.stderr, flush=True)
    for binary, runs in results.items():
        cpus = ", ".join(f"{c:.1f}" for c, _, _ in runs)
        rsss = ", ".join(f"{r / 1e6:.1f}" for _, r, _ in runs)
        print(f"{binary}: CPU s {cpus} (median {statistics.median(c for c, _, _ in runs):.1f}); "
              f"RSS MB {rsss}; allocated MB {statistics.median(a for _, _, a in runs) / 1e6:.1f}")


if __name__ == "__main__":
    main()
