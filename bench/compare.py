#!/usr/bin/env python3
"""Side-by-side benchmark: MyTSDB, Prometheus and VictoriaMetrics on the same
data, on the same machine, in one run.

    .venv/bin/python bench/compare.py                  # default: node, 100k series, 2h
    .venv/bin/python bench/compare.py --workload churn
    .venv/bin/python bench/compare.py --series 2000 --duration 10m --no-promtool   # quick

For every target it starts the server on 127.0.0.1 on a free port with an
empty data directory, sends the same pre-built remote-write bodies
(build/mytsdb-loadgen), and measures ingest rate, server CPU per million
samples, peak RSS and RSS per active series, bytes on disk per sample and
range-query latency. It writes a JSON result file, prints a table of
MyTSDB/peer ratios and draws PNG charts.
"""
import argparse
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from queries import TIE_SENSITIVE, queries_for  # noqa: E402

BUILD = REPO / "build"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def memory_kib(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            p = os.path.join(root, f)
            try:
                if not os.path.islink(p):
                    total += os.path.getsize(p)
            except FileNotFoundError:  # removed by a merge while we walked
                pass
    return total


def du_settled(path, quiet_s=5, limit_s=300):
    """du(path) once it has not changed for quiet_s seconds (a server merging
    its files in the background is measured after the merges), or after
    limit_s. Returns (bytes, seconds waited)."""
    start = time.time()
    last, since = du(path), time.time()
    while time.time() - start < limit_s:
        time.sleep(1)
        now = du(path)
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet_s:
            break
    return last, time.time() - start


def parse_duration(s):
    units = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}
    for u in ("ms", "s", "m", "h"):
        if s.endswith(u) and s[: -len(u)].isdigit():
            return int(s[: -len(u)]) * units[u]
    raise ValueError(f"invalid duration {s}")


def package_version(pkg):
    """The Debian package version of a peer (VictoriaMetrics' -version prints
    nothing in Debian's build)."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True)
    return r.stdout.strip() or None


def run_record(params):
    """What every result file starts with: the command, the date, the machine
    and the parameters (paths inside the repository made relative, so that a
    committed result names no checkout)."""
    def portable(v):
        if isinstance(v, str) and v.startswith(str(REPO) + "/"):
            return str(Path(v).relative_to(REPO))
        return v
    return {
        "command": " ".join([Path(sys.executable).name] + sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
        "params": {k: portable(v) for k, v in params.items()},
    }


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20, 1), "cpu": cpu,
            "os": platform.platform()}


# ---- targets -------------------------------------------------------------------

# Bump when mytsdb-loadgen's data changes, so cached request bodies are rebuilt.
GENERATOR_VERSION = 2


class Target:
    name = ""

    def __init__(self, workdir, keep_data=False, extra_args=()):
        """An empty data directory in workdir/<name>, or with keep_data the
        one an earlier run left there. extra_args go after the command's."""
        self.dir = Path(workdir) / self.name
        if not keep_data:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.extra_args = list(extra_args)

    def command(self):
        raise NotImplementedError

    def ready_path(self):
        return "/-/ready"

    def write_path(self):
        return "/api/v1/write"

    def start(self):
        self.log = open(self.dir / "server.log", "wb")
        self.proc = subprocess.Popen(self.command() + self.extra_args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.dir / 'server.log'}")
            try:
                if requests.get(self.url + self.ready_path(), timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready in 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def persist(self, result):
        """Makes the data durable on disk and records bytes on disk."""
        result["disk_bytes"] = du(self.data)

    def answers_promql(self):
        try:
            r = requests.get(self.url + "/api/v1/query", params={"query": "1+1"}, timeout=5)
            return r.status_code == 200
        except requests.RequestException:
            return False


class MyTSDB(Target):
    name = "mytsdb"

    def command(self):
        # The workload's data is dated in the past: keep it, as the peers are
        # told to (retention counts back from the clock).
        return [str(BUILD / "mytsdb"), "serve", "--data-dir", str(self.data),
                "--listen", f"127.0.0.1:{self.port}", "--log-level", "warn", "--retention", "100y", "--web.enable-admin-api"]

    def persist(self, result):
        # The whole head goes to the cold tier (Parquet files in the Delta
        # table); what is measured is the table, the WAL is then ~empty.
        t = time.time()
        r = requests.post(self.url + "/api/v1/admin/flush", timeout=3600)
        r.raise_for_status()
        result["flush_seconds"] = time.time() - t
        result["disk_bytes"] = du(self.data / "parquet")
        result["disk_note"] = "cold tier (Parquet + Delta log) after /api/v1/admin/flush"


class Prometheus(Target):
    name = "prometheus"

    def command(self):
        cfg = self.dir / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1h\n")  # no scrape jobs: remote write only
        return ["prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={self.data}",
                f"--web.listen-address=127.0.0.1:{self.port}", "--web.enable-remote-write-receiver",
                "--web.enable-admin-api", "--storage.tsdb.retention.time=100y", "--log.level=warn"]

    def persist(self, result):
        # A snapshot writes the head out as a block: Prometheus's on-disk form.
        r = requests.post(self.url + "/api/v1/admin/tsdb/snapshot", timeout=600)
        r.raise_for_status()
        snap = self.data / "snapshots" / r.json()["data"]["name"]
        result["disk_bytes"] = du(snap)
        result["disk_note"] = "TSDB block written by a snapshot of the head"


class VictoriaMetrics(Target):
    name = "victoria-metrics"

    def command(self):
        return ["victoria-metrics", f"-storageDataPath={self.data}",
                f"-httpListenAddr=127.0.0.1:{self.port}", "-retentionPeriod=100y",
                "-loggerLevel=WARN", "-search.latencyOffset=0s"]

    def ready_path(self):
        return "/health"

    def persist(self, result):
        requests.get(self.url + "/internal/force_flush", timeout=600).raise_for_status()
        # Its parts keep merging in the background after the flush: measured
        # 1 s after it, the same data took 3.02 or 1.66 bytes/sample
        # depending on how long the run had lasted.
        result["disk_bytes"], result["disk_settle_seconds"] = du_settled(self.data)
        result["disk_note"] = "storage directory after /internal/force_flush, once unchanged for 5 s"


TARGETS = {t.name: t for t in (MyTSDB, Prometheus, VictoriaMetrics)}


# ---- the run --------------------------------------------------------------------

def generate(args, manifest_dir):
    if (manifest_dir / "manifest.json").exists():
        log(f"reusing request bodies in {manifest_dir}")
    else:
        log(f"generating request bodies into {manifest_dir}")
        subprocess.run([str(BUILD / "mytsdb-loadgen"), "generate", "--workload", args.workload,
                        "--series", str(args.series), "--duration", args.duration,
                        "--interval", args.interval, "--seed", str(args.seed),
                        "--shards", str(args.connections), "--out", str(manifest_dir)],
                       check=True)
    return json.loads((manifest_dir / "manifest.json").read_text())


def compare_matrix(got, want, rel=1e-9):
    """Compares two Prometheus matrix results (lists of {metric, values}).
    Returns None when they agree: same series, same timestamps, values within
    a relative `rel` (NaN equals NaN). Otherwise a one-line description."""
    def index(result):
        return {frozenset(s["metric"].items()): s["values"] for s in result}

    a, b = index(got), index(want)
    if a.keys() != b.keys():
        only_a, only_b = a.keys() - b.keys(), b.keys() - a.keys()
        return (f"series differ: {len(only_a)} only in ours, {len(only_b)} only in reference, "
                f"e.g. {dict(next(iter(only_a or only_b)))}")
    for key, va in a.items():
        vb = b[key]
        if [t for t, _ in va] != [t for t, _ in vb]:
            return f"timestamps differ for {dict(key)}"
        for (t, x), (_, y) in zip(va, vb):
            fx, fy = float(x), float(y)
            if fx != fx and fy != fy:
                continue
            if fx == fy:
                continue
            if abs(fx - fy) > rel * max(abs(fx), abs(fy)):
                return f"value differs for {dict(key)} at {t}: {x} vs {y}"
    return None


def compare_selected_values(got, want, rel=1e-9):
    """For tie-sensitive queries (queries.TIE_SENSITIVE): the multiset of
    values selected at each timestamp must agree; which of several series
    with equal values was chosen may differ."""
    def per_step(result):
        out = {}
        for s in result:
            for t, v in s["values"]:
                out.setdefault(t, []).append(float(v))
        return {t: sorted(vs) for t, vs in out.items()}

    a, b = per_step(got), per_step(want)
    if a.keys() != b.keys():
        return f"timestamps differ: {len(a)} vs {len(b)}"
    for t in a:
        if len(a[t]) != len(b[t]):
            return f"{len(a[t])} vs {len(b[t])} values at {t}"
        for x, y in zip(a[t], b[t]):
            if not (x == y or (x != x and y != y) or abs(x - y) <= rel * max(abs(x), abs(y))):
                return f"values at {t}: {a[t]} vs {b[t]}"
    return None


def reset_peak_rss(pid):
    """Makes VmHWM start again from the current RSS (Linux clear_refs 5), so
    that a later reading is the peak of what ran in between."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def run_queries(target, manifest, args, raw=None):
    """Median and p90 latency per query over the last hour of data, and of
    the tiny instant query (TINY_QUERY); the first answer of each range
    query goes into raw[name] for the result check.
    Returns the latencies and the server's peak RSS over the query phase."""
    end_s = manifest["end_ms"] / 1000
    # The last hour, but no window reaching before the data: Prometheus 2.x
    # (the Debian package) and 3.x extrapolate rate() differently where a
    # window holds a series' first sample (3.x: at most half an interval
    # before it). The largest range in the queries is 10m.
    start = max(end_s - 3600, manifest["start_ms"] / 1000 + 600) + 7.5  # between samples (queries.py)
    end = end_s - 7.5
    if start >= end:
        sys.exit("bench: --duration must exceed 10m so that query windows stay inside the data")
    out = {}
    # One keep-alive connection, as Grafana's data source keeps its own.
    session = requests.Session()
    reset_peak_rss(target.proc.pid)
    for name, q in selected_queries(args):
        times, status, series = [], None, None
        for i in range(args.query_runs + 1):
            t0 = time.perf_counter()
            r = session.get(target.url + "/api/v1/query_range",
                             # nocache: VictoriaMetrics would otherwise answer repeats
                             # from its response cache; the others ignore it.
                             params={"query": q, "start": start, "end": end, "step": 60,
                                     "nocache": 1},
                             timeout=300)
            dt = time.perf_counter() - t0
            status = r.status_code
            if r.status_code != 200:
                break
            if i > 0:  # the first run warms caches
                times.append(dt)
            data = r.json()["data"]["result"]
            series = len(data)
            if i == 0 and raw is not None:
                raw[name] = data
        out[name] = {"status": status, "series": series}
        if times:
            out[name].update(latency_summary(times))
    out[TINY_QUERY_NAME] = run_tiny_query(target, session, end)
    return out, memory_kib(target.proc.pid, "VmHWM") * 1024


def selected_queries(args):
    """The workload's dashboard queries, or those --queries names."""
    queries = queries_for(args.workload)
    if not args.queries:
        return queries
    wanted = args.queries.split(",")
    known = [name for name, _ in queries]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        sys.exit(f"bench: unknown query {', '.join(unknown)}; known: {', '.join(known)}")
    return [(name, q) for name, q in queries if name in wanted]


def latency_summary(times):
    times = sorted(times)
    return {"median_s": statistics.median(times),
            "p90_s": times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]}


# A query whose own work is negligible (one series, one instant), so that its
# latency is the fixed cost of any query: parsing, the catalog and index
# look-ups, and on the cold tier opening the files' footers and page indexes.
TINY_QUERY_NAME = "tiny_instant_one_series"
TINY_QUERY = 'node_load1{instance="host-1:9100"}'
TINY_QUERY_RUNS = 50


def run_tiny_query(target, session, at):
    times, status, series = [], None, None
    for i in range(TINY_QUERY_RUNS + 5):
        t0 = time.perf_counter()
        r = session.get(target.url + "/api/v1/query",
                        params={"query": TINY_QUERY, "time": at, "nocache": 1}, timeout=60)
        dt = time.perf_counter() - t0
        status = r.status_code
        if r.status_code != 200:
            break
        series = len(r.json()["data"]["result"])
        if i >= 5:  # the first runs warm caches
            times.append(dt)
    if status == 200 and series != 1:
        sys.exit(f"bench: {target.name} answered {TINY_QUERY} with {series} series, want 1")
    out = {"status": status, "series": series, "instant": True}
    if times:
        out.update(latency_summary(times))
    return out


def measure(target_cls, manifest, bodies, args, workdir, raw):
    target = target_cls(workdir)
    result = {"target": target.name}
    log(f"{target.name}: starting on {target.url}")
    target.start()
    try:
        pid = target.proc.pid
        cpu0 = cpu_seconds(pid)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        send = subprocess.run([str(BUILD / "mytsdb-loadgen"), "send", "--dir", str(bodies),
                               "--url", target.url + target.write_path(),
                               "--connections", str(args.connections)],
                              capture_output=True, text=True)
        summary = json.loads(send.stdout.strip().splitlines()[-1])
        cpu1 = cpu_seconds(pid)
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # The sender only replays pre-built bodies; its CPU shows how far it
        # is from being the bottleneck.
        result["sender_cpu_seconds"] = (children1.ru_utime + children1.ru_stime) - (
            children0.ru_utime + children0.ru_stime)
        result.update({
            "ingest": summary,
            "ingest_samples_per_s": summary["samples_per_second"],
            "cpu_seconds": cpu1 - cpu0,
            "cpu_s_per_million_samples": (cpu1 - cpu0) / (summary["samples"] / 1e6)
            if summary["samples"] else None,
            "rss_peak_bytes": memory_kib(pid, "VmHWM") * 1024,
            "rss_bytes": memory_kib(pid, "VmRSS") * 1024,
        })
        result["rss_bytes_per_active_series"] = result["rss_bytes"] / manifest["series"]
        if target.proc.poll() is not None:
            raise RuntimeError(f"exited with status {target.proc.returncode} during ingestion")
        if summary["failures"]:
            log(f"{target.name}: {summary['failures']} requests failed: {summary['first_error']}")
        log(f"{target.name}: {summary['samples_per_second'] / 1e6:.2f} M samples/s, "
            f"{result['cpu_s_per_million_samples']:.2f} CPU s per M samples; sender used "
            f"{result['sender_cpu_seconds']:.1f} CPU s in {summary['seconds']:.1f} s")
        if target.name == "mytsdb" and target.answers_promql():
            # Recent data: still in the head (the in-memory tier).
            result["queries"], result["query_rss_peak_bytes"] = run_queries(
                target, manifest, args, raw)
        # Persisting first also makes everything searchable: VictoriaMetrics
        # shows freshly ingested samples to queries only after a flush.
        target.persist(result)
        result["disk_bytes_per_sample"] = result["disk_bytes"] / max(1, summary["samples"])
        if not target.answers_promql():
            result["queries"] = None
            result["queries_note"] = "no PromQL endpoint yet"
        elif target.name == "mytsdb":
            # The same queries once everything is in the cold tier (Parquet).
            raw_cold = {}
            result["queries_cold"], result["query_cold_rss_peak_bytes"] = run_queries(
                target, manifest, args, raw_cold)
            raw["cold"] = raw_cold
        else:
            result["queries"], result["query_rss_peak_bytes"] = run_queries(
                target, manifest, args, raw)
    except Exception as e:  # noqa: BLE001 -- a target falling over is a result; the others still run
        # A dropped connection can arrive before the dying process is reaped:
        # give it a moment so the record says whether the server exited.
        try:
            status = target.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = None
        result["fell_over"] = f"{type(e).__name__}: {e}" + (
            f" (server exited with status {status})" if status is not None else "")
        target.log.flush()
        tail = (target.dir / "server.log").read_text(errors="replace").splitlines()[-20:]
        result["server_log_tail"] = tail
        log(f"{target.name} fell over: {result['fell_over']}; its log ends:\n  " + "\n  ".join(tail))
    finally:
        target.stop()
        if not args.keep_data:
            shutil.rmtree(target.data, ignore_errors=True)
    return result


def promtool_block(manifest, args, workdir):
    """Builds a Prometheus block from the same data as OpenMetrics text."""
    om = Path(workdir) / "data.om"
    out = Path(workdir) / "promtool-blocks"
    shutil.rmtree(out, ignore_errors=True)
    log("writing the data as OpenMetrics for promtool (large for the default run)")
    subprocess.run([str(BUILD / "mytsdb-loadgen"), "openmetrics", "--workload", args.workload,
                    "--series", str(args.series), "--duration", args.duration,
                    "--interval", args.interval, "--seed", str(args.seed), "--out", str(om)],
                   check=True)
    log("promtool tsdb create-blocks-from openmetrics")
    t0 = time.time()
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(om), str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    size = du(out)
    om.unlink()
    shutil.rmtree(out, ignore_errors=True)
    return {"disk_bytes": size, "disk_bytes_per_sample": size / manifest["samples"],
            "seconds": time.time() - t0}


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def print_table(results):
    my = results["targets"].get("mytsdb")
    rows = [("ingest samples/s", "ingest_samples_per_s", "higher is better"),
            ("CPU s per M samples", "cpu_s_per_million_samples", "lower is better"),
            ("peak RSS MiB", "rss_peak_bytes", "lower is better"),
            ("RSS bytes / active series", "rss_bytes_per_active_series", "lower is better"),
            ("query peak RSS MiB", "query_rss_peak_bytes", "lower is better"),
            ("query peak RSS MiB (cold)", "query_cold_rss_peak_bytes", "lower is better"),
            ("disk bytes / sample", "disk_bytes_per_sample", "lower is better")]
    names = list(results["targets"])
    print()
    print(f"{'':28}" + "".join(f"{n:>18}" for n in names) +
          "".join(f"{'MyTSDB/' + n:>24}" for n in names if n != "mytsdb"))
    for label, key, _ in rows:
        vals = [results["targets"][n].get(key) for n in names]
        scale = 1 / 2**20 if key.endswith("rss_peak_bytes") else 1
        line = f"{label:28}" + "".join(
            f"{v * scale:>18,.2f}" if v is not None else f"{'n/a':>18}" for v in vals)
        if my:
            for n in names:
                if n != "mytsdb":
                    r = ratio(my.get(key), results["targets"][n].get(key))
                    line += f"{r:>24.2f}" if r is not None else f"{'n/a':>24}"
        print(line)
    if results.get("promtool_block"):
        print(f"{'promtool block bytes/sample':28}{results['promtool_block']['disk_bytes_per_sample']:>18.3f}")
    qnames = sorted({q for t in results["targets"].values() for q in (t.get("queries") or {})})
    if qnames:
        cols = [(n, "queries") for n in names]
        if my and my.get("queries_cold"):
            cols.append(("mytsdb", "queries_cold"))
        print()
        print(f"{'query median / p90 (ms)':28}" + "".join(
            f"{n + (' cold' if k == 'queries_cold' else ''):>26}" for n, k in cols) +
              "".join(f"{'MyTSDB/' + n:>20}" for n in names if n != "mytsdb") +
              (f"{'cold/head':>12}" if my and my.get("queries_cold") else ""))
        for q in qnames:
            line = f"{q:28}"
            for n, k in cols:
                qs = (results["targets"][n].get(k) or {}).get(q)
                if qs and "median_s" in qs:
                    line += f"{qs['median_s'] * 1e3:>14.1f} / {qs['p90_s'] * 1e3:>8.1f}"
                else:
                    line += f"{'n/a':>26}"
            med = lambda n, k="queries": ((results["targets"][n].get(k) or {}).get(q) or {}).get("median_s")
            if my:
                for n in names:
                    if n != "mytsdb":
                        r = ratio(med("mytsdb"), med(n))
                        line += f"{r:>20.2f}" if r is not None else f"{'n/a':>20}"
                if my.get("queries_cold"):
                    r = ratio(med("mytsdb", "queries_cold"), med("mytsdb"))
                    line += f"{r:>12.2f}" if r is not None else f"{'n/a':>12}"
            print(line)
    print()


def draw_charts(results, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(results["targets"])
    colors = {"mytsdb": "#2a7ab9", "prometheus": "#e6522c", "victoria-metrics": "#5b3a8e"}
    metrics = [("ingest_samples_per_s", "ingest (samples/s)", 1),
               ("cpu_s_per_million_samples", "server CPU s per million samples", 1),
               ("rss_bytes_per_active_series", "RSS bytes per active series", 1),
               ("disk_bytes_per_sample", "bytes on disk per sample", 1)]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6))
    for ax, (key, title, scale) in zip(axes, metrics):
        vals = [(results["targets"][n].get(key) or 0) * scale for n in names]
        bars = ax.bar(names, vals, color=[colors.get(n, "gray") for n in names])
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelsize=8, rotation=15)
        for b, v in zip(bars, vals):
            ax.annotate(f"{v:,.3g}", (b.get_x() + b.get_width() / 2, v), ha="center",
                        va="bottom", fontsize=8)
    p = results["params"]
    fig.suptitle(f"{p['workload']}: {p['series']:,} series, {p['duration']} at {p['interval']} "
                 f"({results['machine']['cores']} cores)", fontsize=11)
    fig.tight_layout()
    fig.savefig(out_dir / f"{p['workload']}-resources.png", dpi=110)
    plt.close(fig)

    qnames = sorted({q for t in results["targets"].values() for q in (t.get("queries") or {})})
    if qnames:
        fig, ax = plt.subplots(figsize=(11, 4))
        series = [(n, "queries", n) for n in names]
        if (results["targets"].get("mytsdb") or {}).get("queries_cold"):
            series.append(("mytsdb", "queries_cold", "mytsdb (cold tier)"))
        colors["mytsdb (cold tier)"] = "#8cc0e6"
        width = 0.8 / len(series)
        for i, (n, k, label) in enumerate(series):
            qs = results["targets"][n].get(k) or {}
            vals = [(qs.get(q) or {}).get("median_s", 0) * 1e3 for q in qnames]
            ax.bar([x + i * width for x in range(len(qnames))], vals, width, label=label,
                   color=colors.get(label, "gray"))
        ax.set_xticks([x + width for x in range(len(qnames))])
        ax.set_xticklabels(qnames, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("median latency (ms)")
        ax.legend(fontsize=8)
        ax.set_title("range queries over the last hour, step 60 s", fontsize=10)
        fig.tight_layout()
        fig.savefig(out_dir / f"{p['workload']}-queries.png", dpi=110)
        plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=["node", "churn"], default="node")
    ap.add_argument("--series", type=int, default=100_000, help="active series (default 100,000)")
    ap.add_argument("--duration", default="2h", help="time span of the data (default 2h)")
    ap.add_argument("--interval", default="15s")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--connections", type=int, default=4, help="sender connections (shards)")
    ap.add_argument("--targets", default="mytsdb,prometheus,victoria-metrics")
    ap.add_argument("--query-runs", type=int, default=10)
    ap.add_argument("--queries", default="",
                    help="comma-separated names of the dashboard queries to run (default: all)")
    ap.add_argument("--no-promtool", action="store_true",
                    help="skip the promtool block (it needs the data as OpenMetrics text)")
    ap.add_argument("--workdir", default=None, help="scratch space (default: a temp dir)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "latest.json"))
    ap.add_argument("--charts", default=str(REPO / "docs" / "bench"))
    ap.add_argument("--keep-data", action="store_true")
    args = ap.parse_args()

    for tool in [BUILD / "mytsdb", BUILD / "mytsdb-loadgen"]:
        if not tool.exists():
            sys.exit(f"bench: {tool} missing: run `make build` first")
    for name in args.targets.split(","):
        if name not in TARGETS:
            sys.exit(f"bench: unknown target {name!r}; known: {', '.join(TARGETS)}")
        exe = {"prometheus": "prometheus", "victoria-metrics": "victoria-metrics"}.get(name)
        if exe and not shutil.which(exe):
            sys.exit(f"bench: {exe} not installed: run scripts/setup.sh")
    parse_duration(args.duration)
    parse_duration(args.interval)
    selected_queries(args)  # unknown names fail before the long part

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="mytsdb-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bodies = REPO / ".deps" / "bench-data" / (
        f"g{GENERATOR_VERSION}-{args.workload}-{args.series}-{args.duration}-{args.interval}-{args.seed}-c{args.connections}")
    manifest = generate(args, bodies)
    results = {
        **run_record({k: getattr(args, k) for k in ("workload", "series", "duration", "interval",
                                                     "seed", "connections")}),
        "manifest": manifest,
        "versions": {pkg: package_version(pkg) for pkg in ("prometheus", "victoria-metrics")},
        "targets": {},
    }
    raw = {}
    try:
        for name in args.targets.split(","):
            raw[name] = {}
            results["targets"][name] = measure(TARGETS[name], manifest, bodies, args, workdir,
                                               raw[name])
        if not args.no_promtool and shutil.which("promtool"):
            results["promtool_block"] = promtool_block(manifest, args, workdir)
    finally:
        if not args.workdir and not args.keep_data:
            shutil.rmtree(workdir, ignore_errors=True)

    # Result check: MyTSDB's answers against Prometheus's, query by query.
    if raw.get("mytsdb") and raw.get("prometheus"):
        check = {}
        for q in raw["prometheus"]:
            for tier, answers in (("head", raw["mytsdb"]), ("cold", raw["mytsdb"].get("cold", {}))):
                key = q if tier == "head" else f"{q} (cold tier)"
                if q not in answers:
                    check[key] = "MyTSDB did not answer"
                else:
                    compare = compare_selected_values if q in TIE_SENSITIVE else compare_matrix
                    check[key] = compare(answers[q], raw["prometheus"][q]) or "ok"
        results["result_check"] = check
        bad = {q: m for q, m in check.items() if m != "ok"}
        for q, m in bad.items():
            log(f"MISMATCH {q}: {m}")
        log(f"result check: {len(check) - len(bad)}/{len(check)} queries match Prometheus")
    else:
        results["result_check"] = ("skipped: it compares MyTSDB's answers with Prometheus's, "
                                   "and this run did not query both")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"results written to {out}")
    print_table(results)
    if args.charts:
        draw_charts(results, Path(args.charts))
        log(f"charts written to {args.charts}")
    failures = sum(t.get("ingest", {}).get("failures", 0) for t in results["targets"].values())
    fell = [n for n, t in results["targets"].items() if "fell_over" in t]
    if fell:
        log(f"fell over: {', '.join(fell)}")
    return 1 if failures or "mytsdb" in fell else 0


if __name__ == "__main__":
    sys.exit(main())
