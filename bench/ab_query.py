"""Two builds of MyTSDB answering the same query on the same data, side by side.

    .venv/bin/python bench/ab_query.py --data DIR --runs 20 \\
        --query 'sum by (mode) (rate(node_cpu_seconds_total[5m]))' OLD_BINARY NEW_BINARY

Each binary serves its own copy of DIR (made once, next to it, as
DIR-ab0, DIR-ab1, ...) on 127.0.0.1; the query is sent to each in turn, so
that both see the same machine noise, and the median and minimum latency of
each are printed. A range query by default (--start/--end/--step, the
bench workloads' two hours); --instant for an instant query at --end.

This is how the query-path changes of docs/BENCHMARKS.md were measured one by
one: on a shared two-core virtual machine, runs of one build after the other
differed by more than most of the changes did.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from compare import free_port  # noqa: E402


def query(port, args):
    params = {"query": args.query}
    if args.instant:
        path, params["time"] = "/api/v1/query", args.end
    else:
        path = "/api/v1/query_range"
        params.update(start=args.start, end=args.end, step=args.step)
    body = urllib.parse.urlencode(params).encode()
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", body, timeout=600) as r:
        out = r.read()
    if b'"success"' not in out:
        sys.exit(f"ab_query: port {port} answered {out[:300]!r}")
    if b'"result":[]' in out:  # timing an empty answer measures nothing
        sys.exit(f"ab_query: the query selects no data on port {port}: check --start/--end")
    return (time.perf_counter() - t) * 1000


def wait_ready(port, proc):
    for _ in range(3000):
        if proc.poll() is not None:
            sys.exit(f"ab_query: the server on port {port} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.2)
    sys.exit(f"ab_query: the server on port {port} was not ready after 10 minutes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binaries", nargs="+")
    p.add_argument("--data", required=True, help="a MyTSDB data directory (copied, never modified)")
    p.add_argument("--query", required=True)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--instant", action="store_true")
    p.add_argument("--start", default="1767225600")
    p.add_argument("--end", default="1767232785")
    p.add_argument("--step", default="60")
    args = p.parse_args()

    procs, ports = [], []
    try:
        for i, binary in enumerate(args.binaries):
            copy = f"{args.data.rstrip('/')}-ab{i}"
            if not os.path.exists(copy):
                print(f"ab_query: copying {args.data} to {copy}", file=sys.stderr)
                shutil.copytree(args.data, copy)
            port = free_port()
            procs.append(subprocess.Popen([binary, "serve", "--data-dir", copy, "--listen",
                                           f"127.0.0.1:{port}", "--log-level", "warn",
                                           "--retention", "100y"]))
            ports.append(port)
        for port, proc in zip(ports, procs):
            wait_ready(port, proc)
        time.sleep(5)  # start-up work (WAL replay's aftermath, catalog) settles
        times = [[] for _ in ports]
        for run in range(args.warmup + args.runs):
            for i, port in enumerate(ports):
                ms = query(port, args)
                if run >= args.warmup:
                    times[i].append(ms)
        for binary, ts in zip(args.binaries, times):
            print(f"{binary}: median {statistics.median(ts):.1f} ms, min {min(ts):.1f} ms "
                  f"({len(ts)} runs)")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


if __name__ == "__main__":
    main()
