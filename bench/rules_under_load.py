#!/usr/bin/env python3
"""Rule evaluation under heavy query load (issue 13, point 2): does ad-hoc
PromQL load delay alerts?

Loads an hour of the `node` workload ending now (default 2,000 series at
15 s: 480,000 samples), runs a
rule group every second (five recording rules over the data and an alert
on a series this script flips), and measures, first idle and then with
`--clients` threads sending heavy range queries (an hour at 15 s steps of
rate/sum/quantile over every series) without pause, and then with
`--sql-clients` threads sending heavy SQL (aggregations over every sample,
a self-join) without pause:

  * the group's evaluation duration (`prometheus_rule_group_last_duration_seconds`,
    sampled every 0.2 s: median and max),
  * missed iterations (`prometheus_rule_group_iterations_missed_total`),
  * the delay from flipping the alert's condition to the alert firing in
    /api/v1/alerts (the rule has `for: 1s`, so 1-3 s is the floor).

    .venv/bin/python bench/rules_under_load.py --out bench/results/rules-under-load.json
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "test" / "integration"))
from cold_read import BUILD, Server  # noqa: E402
from compare import machine  # noqa: E402
import remote_write as rw  # noqa: E402

RULES = """groups:
  - name: load
    interval: 1s
    rules:
      - record: instance:cpu:rate1m
        expr: sum by (instance) (rate(node_cpu_seconds_total[1m]))
      - record: job:memory:avg
        expr: avg by (job) (node_memory_MemAvailable_bytes)
      - record: instance:network:rate1m
        expr: sum by (instance) (rate(node_network_receive_bytes_total[1m]))
      - record: job:filesystem:min
        expr: min by (job) (node_filesystem_avail_bytes)
      - record: up:count
        expr: count(node_cpu_seconds_total)
      - alert: Flipped
        expr: flip_switch == 1
        for: 1s
"""

QUERIES = [
    "sum by (instance) (rate(node_cpu_seconds_total[5m]))",
    "quantile_over_time(0.99, node_memory_MemAvailable_bytes[10m])",
    "topk(10, sum by (instance, device) (rate(node_network_receive_bytes_total[5m])))",
    "avg_over_time(node_filesystem_avail_bytes[15m])",
]


# Heavy SQL: every sample of the hour, aggregated, joined with itself.
SQL_QUERIES = [
    "SELECT metric, instance, avg(value), quantile_cont(value, 0.99), count(*) FROM samples GROUP BY ALL",
    "SELECT a.instance, corr(a.value, b.value) FROM samples a JOIN samples b USING (series_id, ts) "
    "WHERE a.metric = 'node_load1' GROUP BY ALL",
    "SELECT series_id, max(value) - min(value) FROM samples GROUP BY series_id ORDER BY 2 DESC LIMIT 10",
]


def log(msg):
    print(f"rules_under_load: {msg}", file=sys.stderr, flush=True)


def metric(url, name):
    for line in requests.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def measure(url, seconds, flips):
    """Samples the group's duration and times alert flips during `seconds`."""
    durations = []
    delays = []
    missed_before = metric(url, "prometheus_rule_group_iterations_missed_total") or 0
    end = time.time() + seconds
    session = requests.Session()
    # Start from the condition cleared and the alert gone.
    rw.write(session, url, [({"__name__": "flip_switch"}, [(int(time.time() * 1000), 0.0)])])
    while any(a["state"] == "firing" for a in session.get(url + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]):
        time.sleep(0.1)
    next_flip = time.time() + 2
    state = 0
    while time.time() < end:
        d = metric(url, "prometheus_rule_group_last_duration_seconds")
        if d is not None:
            durations.append(d)
        if time.time() >= next_flip and len(delays) < flips:
            state = 1 - state
            t = int(time.time() * 1000)
            rw.write(session, url, [({"__name__": "flip_switch"}, [(t, float(state))])])
            started = time.time()
            want = state == 1
            while time.time() - started < 30:
                alerts = session.get(url + "/api/v1/alerts", timeout=10).json()["data"]["alerts"]
                if any(a["state"] == "firing" for a in alerts) == want:
                    break
                time.sleep(0.05)
            if want:
                delays.append(time.time() - started)
            next_flip = time.time() + 1
        time.sleep(0.2)
    missed = (metric(url, "prometheus_rule_group_iterations_missed_total") or 0) - missed_before
    return {"duration_median_ms": round(statistics.median(durations) * 1000, 2),
            "duration_max_ms": round(max(durations) * 1000, 2),
            "iterations_missed": missed,
            "alert_delays_s": [round(d, 2) for d in delays],
            "alert_delay_max_s": round(max(delays), 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--sql-clients", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--flips", type=int, default=6)
    ap.add_argument("--out")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mytsdb-rules-load-"))
    data = work / "data"
    data.mkdir()
    (work / "rules.yml").write_text(RULES)
    (work / "mytsdb.yml").write_text("rule_files: [rules.yml]\n")
    server = Server(data, ["--config", str(work / "mytsdb.yml")]).start()
    start_ms = int(time.time() * 1000) - 3600_000
    bodies = work / "bodies"
    subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", "node", "--series", str(args.series),
                    "--duration", "1h", "--interval", "15s", "--seed", "1", "--start-ms", str(start_ms),
                    "--out", str(bodies)], check=True, stderr=subprocess.DEVNULL)
    sent = json.loads(subprocess.run([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies), "--url",
                                      server.url + "/api/v1/write"], check=True, capture_output=True,
                                     text=True).stdout)
    log(f"loaded {sent['samples']:,} samples")

    idle = measure(server.url, args.seconds, args.flips)
    log(f"idle: {idle}")

    def under_load(name, clients, request):
        """Measures while `clients` threads send `request(session, i)`."""
        stop = threading.Event()
        completed = [0]

        def client(i):
            session = requests.Session()
            while not stop.is_set():
                if request(session, i).status_code == 200:
                    completed[0] += 1

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        time.sleep(3)
        loaded = measure(server.url, args.seconds, args.flips)
        loaded["queries_completed"] = completed[0]
        stop.set()
        for t in threads:
            t.join(timeout=600)
        log(f"{name}: {loaded}")
        return loaded

    def promql(session, i):
        now = time.time()
        return session.get(server.url + "/api/v1/query_range",
                           params={"query": QUERIES[i % len(QUERIES)], "start": now - 3600, "end": now,
                                   "step": "15s"}, timeout=300)

    def sql(session, i):
        return session.post(server.url + "/api/v1/sql", data={"query": SQL_QUERIES[i % len(SQL_QUERIES)]},
                            timeout=300)

    loaded = under_load("PromQL load", args.clients, promql)
    sql_loaded = under_load("SQL load", args.sql_clients, sql)
    server.stop()
    result = {"series": args.series, "samples": sent["samples"], "clients": args.clients,
              "sql_clients": args.sql_clients, "machine": machine(),
              "idle": idle, "under_load": loaded, "under_sql_load": sql_loaded}
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
