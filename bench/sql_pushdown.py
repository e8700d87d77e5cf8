#!/usr/bin/env python3
"""SQL pushdown: what a one-metric, one-day SQL query reads of a month of data.

Builds a month of the `node` workload (default 2,000 series every 60 s:
86 M samples) in MyTSDB's cold tier, a day at a time (generate, send,
flush), compacts it into day files, restarts the server, and runs on
/api/v1/sql, for a small and for the largest metric:

    SELECT count(*), avg(value) FROM samples
    WHERE metric = '<metric>' AND ts >= '<day>' AND ts < '<day + 1>'

measuring the bytes the server read (/proc/PID/io `rchar`: bytes returned by
read/pread, page-cache hits included) as a share of the table's bytes (its
live files, from the manifest), and the same query's answer and bytes from
DuckDB reading the manifest's files itself (read_parquet), as a check.

    .venv/bin/python bench/sql_pushdown.py --out bench/results/sql-pushdown.json
    .venv/bin/python bench/sql_pushdown.py --series 200 --days 7     # quick
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import requests

sys.path.insert(0, str(Path(__file__).parent))
from cold_read import BUILD, Server, rchar  # noqa: E402

DAY_MS = 24 * 3600 * 1000


def log(msg):
    print(f"sql_pushdown: {msg}", file=sys.stderr, flush=True)


def sql(url, query):
    r = requests.post(url + "/api/v1/sql", data={"query": query}, timeout=3600)
    r.raise_for_status()
    return r.json()["data"]["rows"]


def own_rchar():
    return rchar(os.getpid())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--interval", default="60s")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=None, help="JSON result file")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-sql-pushdown-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    # Whole UTC days ending yesterday, within the server's retention (100y).
    start_ms = (int(time.time() * 1000) // DAY_MS - args.days - 1) * DAY_MS

    server = Server(data).start()
    for day in range(args.days):
        bodies = work / f"bodies-{day}"
        subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "node",
                        "--series", str(args.series), "--duration", "24h", "--interval", args.interval,
                        "--seed", str(day + 1), "--start-ms", str(start_ms + day * DAY_MS),
                        "--shards", "2", "--out", str(bodies)], check=True, stderr=subprocess.DEVNULL)
        sent = json.loads(subprocess.run(
            [str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
             server.url + "/api/v1/write", "--connections", "2"],
            check=True, capture_output=True, text=True).stdout)
        assert sent["failures"] == 0, sent
        requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
        subprocess.run(["rm", "-rf", str(bodies)], check=True)
        log(f"day {day + 1}/{args.days}: {sent['samples']:,} samples")
    log("compacting")
    requests.post(server.url + "/api/v1/admin/compact", timeout=3600).raise_for_status()
    server.stop()
    server = Server(data).start()  # the replaced files are deleted at start

    table = data / "parquet"
    manifest = json.loads((table / "_mytsdb_files.json").read_text())
    table_bytes = sum(f["bytes"] for f in manifest["files"])
    files = [str(table / f["path"]) for f in manifest["files"]]
    samples = sum(f["rows"] for f in manifest["files"])
    con = duckdb.connect()
    con.execute("SET threads = 2")
    counts = con.execute("SELECT metric, count(*) FROM read_parquet(?, union_by_name = true) "
                         "GROUP BY metric ORDER BY 2", [files]).fetchall()
    small, large = counts[0][0], counts[-1][0]
    day = datetime.datetime.fromtimestamp((start_ms + (args.days // 2) * DAY_MS) / 1000, datetime.timezone.utc)
    next_day = day + datetime.timedelta(days=1)
    results = []
    for metric in (small, large):
        where = (f"metric = '{metric}' AND ts >= TIMESTAMPTZ '{day.isoformat()}' "
                 f"AND ts < TIMESTAMPTZ '{next_day.isoformat()}'")
        query = f"SELECT count(*), avg(value) FROM samples WHERE {where}"
        sql(server.url, query)  # warm: the same bytes are read, faster
        before = rchar(server.proc.pid)
        t = time.time()
        got = sql(server.url, query)
        seconds = time.time() - t
        read = rchar(server.proc.pid) - before
        before = own_rchar()
        duck = con.execute(
            "SELECT count(*), avg(coalesce(value, value_int / value_div)) FROM "
            f"read_parquet(?, union_by_name = true) WHERE {where}", [files]).fetchone()
        duck_read = own_rchar() - before
        assert got[0][0] == duck[0] and got[0][0] > 0, (got, duck)
        results.append({"metric": metric, "rows": got[0][0], "seconds": round(seconds, 4),
                        "bytes_read": read, "share_of_table": read / table_bytes,
                        "duckdb_read_parquet_bytes_read": duck_read,
                        "duckdb_share_of_table": duck_read / table_bytes})
        log(f"{metric}: {got[0][0]:,} rows in {seconds:.3f} s, read {read:,} bytes = "
            f"{100 * read / table_bytes:.3f}% of the table (DuckDB over the files: "
            f"{100 * duck_read / table_bytes:.3f}%)")
    server.stop()
    result = {"series": args.series, "days": args.days, "interval": args.interval,
              "samples": samples, "files": len(files), "table_bytes": table_bytes,
              "day": day.date().isoformat(), "queries": results}
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
