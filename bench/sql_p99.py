#!/usr/bin/env python3
"""Issue 12's question, "P99 latency by customer over the last year", asked
of MyTSDB's SQL and of DuckDB reading the same files.

Builds a year (52 weeks) of the `latency` workload (default 1,000 series:
1,000 customers, one sample a minute: 524 M samples) in MyTSDB's cold tier,
a week at a time (generate, send, flush), restarts the server, then asks

    SELECT customer_id, approx_quantile(value, 0.99) AS p99 FROM samples
    WHERE metric = 'request_latency_seconds' AND ts >= <a year ago>
    GROUP BY customer_id

(and the same with the exact quantile_cont) on /api/v1/sql, and the same
question of DuckDB (the same version, through Python, 2 threads, timed
in-process) over the live files the manifest lists, with the value rule
coalesce(value, value_int / value_div). Reports each time (best of 3),
their ratio, the samples scanned per second, and checks that the answers
agree.

    .venv/bin/python bench/sql_p99.py --out bench/results/sql-p99.json
    .venv/bin/python bench/sql_p99.py --series 100 --weeks 4      # quick
    .venv/bin/python bench/sql_p99.py --reuse --workdir DIR     # the queries again

A plain filtered aggregate, count(*) and avg(value) by customer over the
year, is measured too: the scan's rate, without a quantile's cost.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import requests

sys.path.insert(0, str(Path(__file__).parent))
from cold_read import BUILD, Server  # noqa: E402
from compare import machine  # noqa: E402
import p99_peers  # noqa: E402

DAY_MS = 24 * 3600 * 1000
WEEK_MS = 7 * DAY_MS


def log(msg):
    print(f"sql_p99: {msg}", file=sys.stderr, flush=True)


def best_of(n, fn):
    best, result = None, None
    for _ in range(n):
        t = time.time()
        result = fn()
        elapsed = time.time() - t
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=1000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=None, help="JSON result file")
    ap.add_argument("--reuse", action="store_true",
                    help="query the data an earlier run left in --workdir instead of building it")
    ap.add_argument("--peers", action="store_true",
                    help="also ask Prometheus and VictoriaMetrics in PromQL (bench/p99_peers.py)")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-sql-p99-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    end_ms = int(time.time() * 1000) // DAY_MS * DAY_MS - DAY_MS
    start_ms = end_ms - args.weeks * WEEK_MS

    # Both engines get the same memory: the exact quantile holds every value.
    memory = ["--sql.memory-limit", "12GiB"]
    if args.reuse:
        server = Server(data, memory).start()
    else:
        server = Server(data, memory).start()
        samples = 0
        t0 = time.time()
        for week in range(args.weeks):
            bodies = work / f"bodies-{week}"
            subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "latency",
                            "--series", str(args.series), "--duration", "168h", "--interval", args.interval,
                            "--seed", str(week + 1), "--start-ms", str(start_ms + week * WEEK_MS),
                            "--shards", "2", "--batch", "20000", "--out", str(bodies)],
                           check=True, stderr=subprocess.DEVNULL)
            sent = json.loads(subprocess.run(
                [str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
                 server.url + "/api/v1/write", "--connections", "2"],
                check=True, capture_output=True, text=True).stdout)
            assert sent["failures"] == 0, sent
            samples += sent["samples"]
            requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
            subprocess.run(["rm", "-rf", str(bodies)], check=True)
            log(f"week {week + 1}/{args.weeks}: {samples:,} samples, {time.time() - t0:.0f} s")
        requests.post(server.url + "/api/v1/admin/compact", timeout=3600).raise_for_status()
        server.stop()
        server = Server(data, memory).start()

    table = data / "parquet"
    manifest = json.loads((table / "_mytsdb_files.json").read_text())
    files = [str(table / f["path"]) for f in manifest["files"]]
    samples = sum(f["rows"] for f in manifest["files"])
    start_ms = min(f["min_ts"] for f in manifest["files"])
    table_bytes = sum(f["bytes"] for f in manifest["files"])
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start_ms / 1000))
    where = f"metric = 'request_latency_seconds' AND ts >= TIMESTAMPTZ '{since}'"
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '12GiB'")
    results, answers = {}, {}
    for name, fn in (("approx_quantile", "approx_quantile({v}, 0.99)"),
                     ("quantile_cont", "quantile_cont({v}, 0.99)"),
                     ("count_avg", "count(*) AS n, avg({v})")):
        ours_sql = (f"SELECT customer_id, {fn.format(v='value')} AS p99 FROM samples WHERE {where} "
                    f"GROUP BY customer_id ORDER BY customer_id")
        duck_sql = (f"SELECT customer_id, {fn.format(v='coalesce(value, value_int / value_div)')} AS p99 "
                    f"FROM read_parquet(?, union_by_name = true) WHERE {where} "
                    f"GROUP BY customer_id ORDER BY customer_id")

        def ours():
            r = requests.post(server.url + "/api/v1/sql", data={"query": ours_sql}, timeout=3600)
            r.raise_for_status()
            return r.json()["data"]["rows"]

        ours_s, ours_rows = best_of(args.runs, ours)
        duck_s, duck_rows = best_of(args.runs, lambda: con.execute(duck_sql, [files]).fetchall())
        assert len(ours_rows) == len(duck_rows) == min(args.series, 1000), (len(ours_rows), len(duck_rows))
        # The same customers; exact quantiles equal, t-digest ones close.
        tolerance = 0.05 if name == "approx_quantile" else 1e-9
        for ours_row, duck_row in zip(ours_rows, duck_rows):
            assert ours_row[0] == duck_row[0]
            for a, b in zip(ours_row[1:], duck_row[1:]):
                assert abs(a - b) <= tolerance * abs(b), (ours_row, duck_row)
        answers[name] = ours_rows
        results[name] = {"mytsdb_seconds": round(ours_s, 3), "duckdb_seconds": round(duck_s, 3),
                         "ratio": round(ours_s / duck_s, 3),
                         "mytsdb_samples_per_second": round(samples / ours_s),
                         "duckdb_samples_per_second": round(samples / duck_s)}
        log(f"{name}: MyTSDB {ours_s:.2f} s, DuckDB {duck_s:.2f} s ({ours_s / duck_s:.2f}x), "
            f"{samples / ours_s / 1e6:.0f} M samples/s")
    peers = None
    if args.peers:
        last_ms = max(f["max_ts"] for f in manifest["files"])
        peers = p99_peers.run(server.url, work, start_ms, last_ms, args.runs,
                              expected_counts={row[0]: row[1] for row in answers["count_avg"]},
                              expected_p99={row[0]: row[1] for row in answers["quantile_cont"]},
                              reuse=args.reuse)
    server.stop()
    result = {"series": args.series, "weeks": args.weeks, "interval": args.interval, "samples": samples,
              "files": len(files), "table_bytes": table_bytes, "machine": machine(), "queries": results}
    if peers:
        result["peers"] = peers
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
