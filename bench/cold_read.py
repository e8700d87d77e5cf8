#!/usr/bin/env python3
"""Cold-tier read efficiency: bytes read for a selective query, and the speed
of rebuilding the series catalog at start-up.

Generates the `node` workload (default 100,000 series x 2 h), ingests it into
MyTSDB, flushes the head to Parquet, restarts the server and measures, from the
server's /proc/PID/io (`rchar`: bytes returned by read/pread, page-cache hits
included, so the figure does not depend on a cold cache):

  * start-up: bytes read and time to rebuild the catalog (the metric, series_id
    and label columns are read; ts and value must stay untouched);
  * a query for 1 series over the whole partition (/api/v1/export): bytes
    read, as a share of the partition's bytes.

    .venv/bin/python bench/cold_read.py                 # default size
    .venv/bin/python bench/cold_read.py --series 5000   # quick
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import requests

REPO = Path(__file__).resolve().parents[1]
BUILD = REPO / "build"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def log(msg):
    print(f"cold_read: {msg}", file=sys.stderr, flush=True)


def rchar(pid):
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/PID/io")


class Server:
    def __init__(self, data, extra_args=()):
        self.data = data
        self.extra_args = list(extra_args)
        self.proc = None
        self.url = None

    def start(self):
        self.log = open(self.data.parent / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(BUILD / "mytsdb"), "serve", "--data-dir", str(self.data), "--listen",
             "127.0.0.1:0", "--maintenance-interval", "1h", "--retention", "100y", "--web.enable-admin-api",
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        lines = []
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace")
            lines.append(line)
            self.log.write(raw)
            m = re.search(r"listening on [^ ]+:(\d+),", line)
            if m:
                self.url = f"http://127.0.0.1:{m.group(1)}"
            if "] ready" in line:
                break
        else:
            raise RuntimeError("server did not start:\n" + "".join(lines))
        self.startup_log = "".join(lines)
        return self

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=100_000)
    ap.add_argument("--duration", default="2h")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--out", default=None, help="JSON result file")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-cold-read-"))
    bodies, data = work / "bodies", work / "data"

    log(f"generating node workload: {args.series:,} series x {args.duration}")
    subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "node",
                    "--series", str(args.series), "--duration", args.duration, "--interval", "15s",
                    "--seed", "1", "--start-ms", str(START_MS), "--shards", "2", "--out",
                    str(bodies)], check=True, stderr=subprocess.DEVNULL)
    server = Server(data).start()
    log("ingesting")
    sent = json.loads(subprocess.run(
        [str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
         server.url + "/api/v1/write", "--connections", "2"],
        check=True, capture_output=True, text=True).stdout)
    log("flushing the head to Parquet")
    t = time.time()
    requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
    flush_s = time.time() - t
    server.stop()

    files = sorted((data / "parquet").glob("day=*/*.parquet"))
    partition_bytes = sum(f.stat().st_size for f in files)
    key_bytes = value_bytes = 0
    for f in files:
        md = pq.ParquetFile(f).metadata
        for rg in range(md.num_row_groups):
            for c in range(md.num_columns):
                col = md.row_group(rg).column(c)
                if col.path_in_schema in ("ts", "value", "value_int", "value_div"):
                    value_bytes += col.total_compressed_size
                else:
                    key_bytes += col.total_compressed_size

    log("restarting: catalog rebuild")
    server = Server(data)
    t = time.time()
    server.start()
    startup_s = time.time() - t
    startup_read = rchar(server.proc.pid)
    m = re.search(r"(\d+) rows, (\d+) series, catalog loaded in ([\d.]+) s", server.startup_log)
    rows, series, catalog_s = int(m.group(1)), int(m.group(2)), float(m.group(3))

    log("querying one series")
    before = rchar(server.proc.pid)
    t = time.time()
    r = requests.get(server.url + "/api/v1/export",
                     params={"match[]": 'node_cpu_seconds_total{instance="host-42:9100",cpu="0",mode="idle"}'},
                     timeout=600)
    r.raise_for_status()
    query_s = time.time() - t
    query_read = rchar(server.proc.pid) - before
    lines = r.text.splitlines()
    points = len(json.loads(lines[0])["timestamps"]) if lines else 0
    server.stop()

    result = {
        "series": args.series, "duration": args.duration, "samples": sent["samples"],
        "flush_seconds": flush_s,
        "partition_bytes": partition_bytes, "bytes_per_sample": partition_bytes / sent["samples"],
        "key_column_bytes": key_bytes, "ts_value_column_bytes": value_bytes,
        "startup_seconds": startup_s, "startup_bytes_read": startup_read,
        "catalog_rows": rows, "catalog_series": series, "catalog_seconds": catalog_s,
        "catalog_rows_per_second": rows / catalog_s if catalog_s > 0 else None,
        "query_series": len(lines), "query_points": points, "query_seconds": query_s,
        "query_bytes_read": query_read, "query_share_of_partition": query_read / partition_bytes,
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    if len(lines) != 1:
        sys.exit(f"cold_read: expected 1 series, got {len(lines)} (host label format changed?)")


if __name__ == "__main__":
    main()
