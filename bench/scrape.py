#!/usr/bin/env python3
"""Scraping side by side: MyTSDB, Prometheus and VictoriaMetrics
(-promscrape.config) scrape the same fake exporter with the same
configuration, one after the other, in one run.

    .venv/bin/python bench/scrape.py                      # 1,000 targets x 1,000 series at 15 s
    .venv/bin/python bench/scrape.py --targets 20 --series 50 --interval 1s --window 5s   # quick

The exporter (`mytsdb-loadgen exporter`, C++) answers every target on one
port: targets t0..tN-1 are its query strings, set by relabeling as a
blackbox configuration does. Each server starts on an empty data
directory, scrapes until every target has been scraped twice, then is
measured over --window: its CPU seconds (utime + stime) per scraped
sample, and its RSS at the end. Each server's own `up` and
`scrape_samples_scraped` must show every target scraped in full.
Writes bench/results/scrape-latest.json and prints the MyTSDB/peer ratios.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from compare import (BUILD, cpu_seconds, free_port, log, machine, memory_kib,  # noqa: E402
                     package_version, parse_duration, run_record)


def config(args, exporter_address):
    return {
        "global": {"scrape_interval": args.interval, "scrape_timeout": args.timeout},
        "scrape_configs": [{
            "job_name": "bench",
            "static_configs": [{"targets": [f"t{i}" for i in range(args.targets)]}],
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"target_label": "__address__", "replacement": exporter_address},
            ],
        }],
    }


def command(name, workdir, port, config_path):
    data = workdir / name / "data"
    if name == "mytsdb":
        return [str(BUILD / "mytsdb"), "serve", "--data-dir", str(data), "--listen", f"127.0.0.1:{port}",
                "--config", str(config_path), "--log-level", "warn"], "/-/ready"
    if name == "prometheus":
        return ["prometheus", f"--config.file={config_path}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], "/-/ready"
    return ["victoria-metrics", f"-promscrape.config={config_path}", f"-storageDataPath={data}",
            f"-httpListenAddr=127.0.0.1:{port}", "-loggerLevel=WARN", "-search.latencyOffset=0s"], "/health"


def query(url, q):
    r = requests.get(url + "/api/v1/query", params={"query": q, "nocache": "1"}, timeout=60)
    r.raise_for_status()
    result = r.json()["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def measure(name, args, workdir, exporter_address):
    (workdir / name).mkdir(parents=True, exist_ok=True)
    config_path = workdir / name / "scrape.yml"
    config_path.write_text(yaml.safe_dump(config(args, exporter_address)))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd, ready = command(name, workdir, port, config_path)
    log_file = open(workdir / name / "server.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {workdir / name / 'server.log'}")
            try:
                if requests.get(url + ready, timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"{name} not ready in 60 s")
            time.sleep(0.2)
        interval = parse_duration(args.interval) / 1000
        # Warm-up: every target scraped (its series created), then one more
        # interval so that the window holds steady-state scrapes only.
        log(f"{name}: warming up")
        warm_deadline = time.time() + max(300, 10 * interval)
        while query(url, 'count(up{job="bench"} == 1)') < args.targets:
            if time.time() > warm_deadline:
                raise RuntimeError(f"{name}: not every target is up")
            time.sleep(min(interval, 5))
        time.sleep(2 * interval)
        window = parse_duration(args.window) / 1000
        log(f"{name}: measuring for {window:.0f} s")
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        time.sleep(window)
        cpu1, t1 = cpu_seconds(proc.pid), time.time()
        samples = args.targets * args.series * (t1 - t0) / interval
        up = query(url, 'count(up{job="bench"} == 1)')
        scraped = query(url, 'sum(scrape_samples_scraped{job="bench"})')
        result = {
            "cpu_seconds": cpu1 - cpu0,
            "window_seconds": t1 - t0,
            "scraped_samples": samples,
            "cpu_us_per_sample": (cpu1 - cpu0) / samples * 1e6,
            "cores_used": (cpu1 - cpu0) / (t1 - t0),
            "rss_bytes": memory_kib(proc.pid, "VmRSS") * 1024,
            "rss_peak_bytes": memory_kib(proc.pid, "VmHWM") * 1024,
            "targets_up": up,
            "samples_per_scrape_round": scraped,
        }
        if up != args.targets or scraped != args.targets * args.series:
            raise RuntimeError(f"{name}: {up} targets up and {scraped} samples a round, "
                               f"expected {args.targets} and {args.targets * args.series}")
        return result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--targets", type=int, default=1000)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--interval", default="15s")
    p.add_argument("--timeout", default="10s")
    p.add_argument("--window", default="5m", help="how long each server is measured, after its warm-up")
    p.add_argument("--servers", default="mytsdb,prometheus,victoria-metrics")
    p.add_argument("--workdir", default=str(REPO / ".deps" / "bench-scrape"))
    p.add_argument("--out", default=str(REPO / "bench" / "results" / "scrape-latest.json"))
    args = p.parse_args()
    if parse_duration(args.timeout) > parse_duration(args.interval):
        args.timeout = args.interval
    workdir = Path(args.workdir)
    subprocess.run(["rm", "-rf", str(workdir)], check=True)
    workdir.mkdir(parents=True)
    exporter = subprocess.Popen([str(BUILD / "mytsdb-loadgen"), "exporter", "--series", str(args.series),
                                 "--threads", "4"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        line = exporter.stdout.readline().decode()
        address = line.rsplit(" ", 1)[-1].strip()
        if not line.startswith("exporter listening on"):
            raise RuntimeError(f"the exporter did not start: {line!r}")
        record = run_record(vars(args))
        record["versions"] = {"prometheus": package_version("prometheus"),
                              "victoria-metrics": package_version("victoria-metrics")}
        record["results"] = {}
        for name in args.servers.split(","):
            exporter_cpu0 = cpu_seconds(exporter.pid)
            record["results"][name] = measure(name, args, workdir, address)
            record["results"][name]["exporter_cpu_seconds"] = cpu_seconds(exporter.pid) - exporter_cpu0
    finally:
        exporter.terminate()
        exporter.wait(timeout=30)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")
    results = record["results"]
    print(f"{'server':<18}{'CPU µs/sample':>15}{'cores':>8}{'RSS MiB':>10}{'peak MiB':>10}")
    for name, r in results.items():
        print(f"{name:<18}{r['cpu_us_per_sample']:>15.3f}{r['cores_used']:>8.3f}{r['rss_bytes'] / 2**20:>10.0f}"
              f"{r['rss_peak_bytes'] / 2**20:>10.0f}")
    if "mytsdb" in results:
        for peer in (n for n in results if n != "mytsdb"):
            m, o = results["mytsdb"], results[peer]
            print(f"MyTSDB/{peer}: CPU per sample {m['cpu_us_per_sample'] / o['cpu_us_per_sample']:.2f}, "
                  f"RSS {m['rss_bytes'] / o['rss_bytes']:.2f}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
