#!/usr/bin/env python3
"""Trend alerts over the cold tier (issue 13, point 7): a group of 100
week-over-week rules over 10,000 series, with and without the cold sample
cache.

Writes two stretches of `requests_total{customer, instance}` (100 customers x
100 instances, one sample a minute): the day around a week ago (14.4 M
samples), flushed to the Parquet tier, and the last two hours, left in the
head. (The other days of the week would be files that no read of this group
opens.) Ten customers' traffic
is 40% of what it was a week ago. The group holds one rule per customer:

    sum by (customer) (rate(requests_total{customer="c-K"}[1h]))
      < 0.5 * sum by (customer) (rate(requests_total{customer="c-K"}[1h] offset 1w))

so each cycle reads 10,000 series' hour from the head and 10,000 series' hour
a week ago from Parquet. The server runs the group every `--interval`, first
with the cache (--rules.cold-cache-size, default 256MiB) and then without
it (0), and the script records every cycle's duration
(`prometheus_rule_group_last_duration_seconds`), the cache's hits and misses,
and checks that exactly the ten customers' alerts fire.

    .venv/bin/python bench/trend_rules.py --out bench/results/trend-rules.json
"""
import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "test" / "integration"))
from cold_read import Server  # noqa: E402
from compare import machine  # noqa: E402
import remote_write as rw  # noqa: E402

CUSTOMERS = 100
INSTANCES = 100
STEP_MS = 60_000
WEEK_MS = 7 * 86_400_000
DROPPED = {c for c in range(CUSTOMERS) if c % 10 == 3}


def log(msg):
    print(f"trend_rules: {msg}", file=sys.stderr, flush=True)


def rules_yaml(interval):
    lines = ["groups:", "  - name: week-over-week", f"    interval: {interval}", "    rules:"]
    for c in range(CUSTOMERS):
        sel = f'requests_total{{customer="c-{c}"}}'
        lines += [
            "      - alert: TrafficBelowHalfOfLastWeek",
            f"        expr: sum by (customer) (rate({sel}[1h])) < 0.5 * sum by (customer) (rate({sel}[1h] offset 1w))",
        ]
    return "\n".join(lines) + "\n"


def send(url, start_ms, end_ms, week_ago):
    """Writes every series' samples in [start_ms, end_ms) a chunk of time at a time."""
    session = requests.Session()
    sent = 0
    chunk = 30 * STEP_MS
    for lo in range(start_ms, end_ms, chunk):
        hi = min(end_ms, lo + chunk)
        series = []
        for c in range(CUSTOMERS):
            per_second = 1 + c % 7
            if not week_ago and c in DROPPED:
                per_second *= 0.4
            for i in range(INSTANCES):
                samples = []
                for t in range(lo, hi, STEP_MS):
                    k = (t - start_ms) // STEP_MS
                    samples.append((t, per_second * 60 * k + (i * 7 + k) % 13))
                series.append(({"__name__": "requests_total", "customer": f"c-{c}", "instance": f"i-{i}"},
                               samples))
        r = rw.write(session, url, series, timeout=300)
        r.raise_for_status()
        sent += sum(len(s) for _, s in series)
    return sent


def scrape(url):
    out = {}
    for line in requests.get(url + "/metrics", timeout=30).text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        out[name.split("{", 1)[0]] = float(value)
    return out


def measure(url, cycles):
    """Durations of the group's first `cycles` evaluations, each seen once
    (polled faster than the interval: one missed is an error)."""
    durations = {}
    deadline = time.time() + cycles * 120
    while len(durations) < cycles and time.time() < deadline:
        m = scrape(url)
        # Counted with the duration, when an evaluation ends.
        n = int(m.get("prometheus_rule_evaluations_total", 0)) // CUSTOMERS
        if 1 <= n <= cycles and n not in durations:
            durations[n] = m["prometheus_rule_group_last_duration_seconds"]
            if n > 1 and n - 1 not in durations:
                raise SystemExit(f"evaluation {n - 1} was not seen: poll faster")
        time.sleep(0.1)
    durations = [durations[n] for n in sorted(durations)]
    m = scrape(url)
    alerts = requests.get(url + "/api/v1/alerts", timeout=30).json()["data"]["alerts"]
    firing = sorted(int(a["labels"]["customer"][2:]) for a in alerts if a["state"] == "firing")
    return durations, m, firing


def summary(durations):
    """The first cycle (nothing cached) apart from the others."""
    ms = [d * 1000 for d in durations]
    rest = ms[1:] or ms
    return {"cycles": len(ms), "first_ms": round(ms[0], 1), "median_ms": round(statistics.median(rest), 1),
            "p90_ms": round(sorted(rest)[math.ceil(0.9 * len(rest)) - 1], 1), "max_ms": round(max(rest), 1),
            "all_ms": [round(x, 1) for x in ms]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--interval", default="5s", help="the group's evaluation interval")
    ap.add_argument("--cycles", type=int, default=24)
    ap.add_argument("--cache-size", default="256MiB")
    ap.add_argument("--workdir")
    ap.add_argument("--out")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-trend-rules-"))
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    (work / "rules.yml").write_text(rules_yaml(args.interval))
    (work / "mytsdb.yml").write_text("rule_files: [rules.yml]\n")
    now = int(time.time() * 1000) // STEP_MS * STEP_MS

    # The data, without rules running yet.
    server = Server(data).start()
    t = time.time()
    old = send(server.url, now - WEEK_MS - 12 * 3600_000, now - WEEK_MS + 12 * 3600_000, week_ago=True)
    requests.post(server.url + "/api/v1/admin/flush", timeout=3600).raise_for_status()
    recent = send(server.url, now - 2 * 3600_000, now + STEP_MS, week_ago=False)
    log(f"loaded {old:,} samples a week ago (flushed to Parquet) and {recent:,} recent ones "
        f"in {time.time() - t:.0f} s")
    server.stop()

    result = {"series": CUSTOMERS * INSTANCES, "rules": CUSTOMERS, "interval": args.interval,
              "samples_week_ago": old, "samples_recent": recent, "machine": machine()}
    for name, size in (("cached", args.cache_size), ("uncached", "0")):
        server = Server(data, ["--config", str(work / "mytsdb.yml"), "--rules.cold-cache-size", size]).start()
        durations, m, firing = measure(server.url, args.cycles)
        server.stop()
        if firing != sorted(DROPPED):
            raise SystemExit(f"{name}: firing for customers {firing}, expected {sorted(DROPPED)}")
        result[name] = summary(durations)
        result[name].update({
            "cache_hits": m.get("mytsdb_cold_sample_cache_hits_total", 0),
            "cache_misses": m.get("mytsdb_cold_sample_cache_misses_total", 0),
            "cache_bytes": m.get("mytsdb_cold_sample_cache_bytes", 0),
            "iterations_missed": m.get("prometheus_rule_group_iterations_missed_total", 0),
            "firing": len(firing)})
        log(f"{name}: {result[name]}")
    result["median_ratio_uncached_to_cached"] = round(result["uncached"]["median_ms"] / result["cached"]["median_ms"], 2)
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
