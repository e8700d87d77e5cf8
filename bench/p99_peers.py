"""The P99-latency-by-customer question of bench/sql_p99.py asked of
Prometheus and VictoriaMetrics in PromQL, on the same data (issue 12, point 7).

    quantile_over_time(0.99, request_latency_seconds[<the year>])

at the year's last sample, first with each peer's default limits (a failure is
recorded with its message: that is how it fails), then, if it failed, with the
limit it hit raised, to measure what the answer costs. Each answer is checked
against MyTSDB's SQL: per customer the same sample count (count_over_time) and
the same P99 (exact for Prometheus, whose quantile_over_time interpolates as
DuckDB's quantile_cont does; VictoriaMetrics' largest relative difference is
reported).

The data goes to the peers from MyTSDB's own interfaces, so it is the same by
construction: OpenMetrics text built by /api/v1/sql (format=arrow) for
`promtool tsdb create-blocks-from openmetrics`, one file per 28-day block; and
/api/v1/export streamed into VictoriaMetrics' /api/v1/import, a week at a time.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import requests

sys.path.insert(0, str(Path(__file__).parent))
from compare import Prometheus, VictoriaMetrics, du, memory_kib, package_version, reset_peak_rss  # noqa: E402

METRIC = "request_latency_seconds"
HOUR_MS = 3600 * 1000
# promtool cuts blocks at multiples of --max-block-duration since the epoch
# and reads its whole input once per block: one file per block keeps it to
# one pass. 28 days is above Prometheus's largest compaction range (486 h with
# a long retention), so the blocks stay as written.
BLOCK_MS = 672 * HOUR_MS
WEEK_MS = 168 * HOUR_MS
QUERY_TIMEOUT_S = 3600


def log(msg):
    print(f"p99_peers: {msg}", file=sys.stderr, flush=True)


def rfc3339(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def write_openmetrics(mytsdb_url, lo_ms, hi_ms, path):
    """Writes the samples of [lo_ms, hi_ms) as OpenMetrics text, each series'
    samples in time order (promtool appends them in file order). Returns the
    number of samples."""
    labels = ("array_to_string(list_transform(map_entries(labels), "
              "e -> e.key || '=\"' || replace(replace(e.value, '\\', '\\\\'), '\"', '\\\"') || '\"'), ',')")
    query = (f"SELECT metric || '{{' || {labels} || '}} ' || CAST(value AS VARCHAR) || ' ' "
             f"|| (epoch_ms(ts) // 1000) || '.' || lpad(CAST(epoch_ms(ts) % 1000 AS VARCHAR), 3, '0') "
             f"|| chr(10) AS line FROM samples WHERE metric = '{METRIC}' "
             f"AND ts >= TIMESTAMPTZ '{rfc3339(lo_ms)}' AND ts < TIMESTAMPTZ '{rfc3339(hi_ms)}' "
             f"ORDER BY series_id, ts")
    rows = 0
    with requests.post(mytsdb_url + "/api/v1/sql", data={"query": query, "format": "arrow"},
                       stream=True, timeout=QUERY_TIMEOUT_S) as r:
        if r.status_code != 200:
            raise RuntimeError(f"/api/v1/sql: {r.status_code} {r.text[:500]}")
        with open(path, "wb") as out:
            out.write(f"# TYPE {METRIC} gauge\n".encode())
            for batch in pa.ipc.open_stream(r.raw):
                lines = batch.column(0)
                # The lines end in '\n': write the string array's bytes as they are.
                width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
                offsets = np.frombuffer(lines.buffers()[1], dtype=width)
                offsets = offsets[lines.offset: lines.offset + len(lines) + 1]
                out.write(memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]])
                rows += len(lines)
            out.write(b"# EOF\n")
    return rows


def load_prometheus(mytsdb_url, first_ms, last_ms, prom, work):
    t0 = time.time()
    om = Path(work) / "block.om"
    samples = 0
    lo = first_ms // BLOCK_MS * BLOCK_MS
    while lo <= last_ms:
        rows = write_openmetrics(mytsdb_url, lo, lo + BLOCK_MS, om)
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                        f"--max-block-duration={BLOCK_MS // HOUR_MS}h", str(om), str(prom.data)],
                       check=True, stdout=subprocess.DEVNULL)
        samples += rows
        log(f"prometheus: block from {rfc3339(lo)}, {samples:,} samples, {time.time() - t0:.0f} s")
        lo += BLOCK_MS
    om.unlink(missing_ok=True)
    return {"samples": samples, "load_seconds": round(time.time() - t0, 1),
            "load_note": "OpenMetrics text from /api/v1/sql, promtool tsdb create-blocks-from openmetrics",
            "disk_bytes": du(prom.data)}


def load_victoria(mytsdb_url, first_ms, last_ms, vm):
    t0 = time.time()
    lo = first_ms
    while lo <= last_ms:
        hi = min(lo + WEEK_MS, last_ms + 1)
        params = {"match[]": METRIC, "start": f"{lo / 1000:.3f}", "end": f"{(hi - 1) / 1000:.3f}"}
        with requests.get(mytsdb_url + "/api/v1/export", params=params, stream=True,
                          timeout=QUERY_TIMEOUT_S) as exported:
            exported.raise_for_status()
            r = requests.post(vm.url + "/api/v1/import", data=exported.iter_content(1 << 20),
                              timeout=QUERY_TIMEOUT_S)
            r.raise_for_status()
        log(f"victoria-metrics: imported up to {rfc3339(hi)}, {time.time() - t0:.0f} s")
        lo = hi
    requests.get(vm.url + "/internal/force_flush", timeout=600).raise_for_status()
    return {"load_seconds": round(time.time() - t0, 1),
            "load_note": "/api/v1/export of MyTSDB streamed into /api/v1/import"}


def ask(target, promql, at_s, extra_params=None):
    """Runs one instant query; returns ({seconds, peak_rss_bytes}, result) or
    ({seconds, error}, None)."""
    reset_peak_rss(target.proc.pid)
    params = {"query": promql, "time": f"{at_s:.3f}", **(extra_params or {})}
    t = time.time()
    try:
        r = requests.get(target.url + "/api/v1/query", params=params, timeout=QUERY_TIMEOUT_S)
        elapsed = time.time() - t
        body = r.json() if r.headers.get("content-type", "").startswith("application/json") else None
    except requests.RequestException as e:
        return {"seconds": round(time.time() - t, 2), "error": f"request failed: {e}"}, None
    peak = memory_kib(target.proc.pid, "VmHWM") * 1024
    if r.status_code != 200 or not body or body.get("status") != "success":
        message = (body or {}).get("error") or r.text[:300]
        return {"seconds": round(elapsed, 2), "error": f"HTTP {r.status_code}: {message}"}, None
    by_customer = {s["metric"].get("customer_id"): float(s["value"][1]) for s in body["data"]["result"]}
    return {"seconds": round(elapsed, 2), "peak_rss_bytes": peak}, by_customer


def best(target, promql, at_s, runs, extra_params):
    outcome, answer = ask(target, promql, at_s, extra_params)
    for _ in range(runs - 1):
        if "error" in outcome:
            break
        again, answer = ask(target, promql, at_s, extra_params)
        outcome["seconds"] = min(outcome["seconds"], again["seconds"])
        outcome["peak_rss_bytes"] = max(outcome["peak_rss_bytes"], again["peak_rss_bytes"])
    return outcome, answer


def check(name, counts, p99s, expected_counts, expected_p99, exact):
    """Asserts the peer holds every sample MyTSDB holds and answers the
    question for every customer; returns the largest relative difference of
    the P99s."""
    assert counts == expected_counts, f"{name}: per-customer sample counts differ from MyTSDB's"
    assert set(p99s) == set(expected_p99), f"{name}: not the same customers"
    worst = max(abs(p99s[c] - expected_p99[c]) / abs(expected_p99[c]) for c in expected_p99)
    if exact:
        assert worst <= 1e-9, f"{name}: P99 differs from MyTSDB's quantile_cont by {worst:.3g}"
    return worst


def measure(target, first_ms, last_ms, runs, expected_counts, expected_p99, raise_limit, extra_params, exact):
    """The question with the peer's defaults, then, if that failed, with
    raise_limit's arguments."""
    at_s = last_ms / 1000
    window = f"{(last_ms - first_ms) // 1000 + 60}s"  # (at - window, at] holds the year
    question = f"quantile_over_time(0.99, {METRIC}[{window}])"
    result = {"version": package_version(target.name), "query": question}
    target.start()
    counts = ask(target, f"count_over_time({METRIC}[{window}])", at_s, extra_params)[1]
    outcome, answer = best(target, question, at_s, runs, extra_params)
    result["defaults"] = outcome
    log(f"{target.name}, defaults: {outcome}")
    target.stop()
    if answer is None:
        target.extra_args = raise_limit
        target.start()
        counts = ask(target, f"count_over_time({METRIC}[{window}])", at_s, extra_params)[1]
        outcome, answer = best(target, question, at_s, runs, extra_params)
        outcome["flags"] = raise_limit
        result["raised"] = outcome
        log(f"{target.name}, {' '.join(raise_limit)}: {outcome}")
        target.stop()
    if answer is not None:
        counts = {c: int(n) for c, n in (counts or {}).items()}
        result["max_relative_difference"] = check(target.name, counts, answer, expected_counts,
                                                  expected_p99, exact)
    return result


def run(mytsdb_url, work, first_ms, last_ms, runs, expected_counts, expected_p99, reuse=False):
    """Loads the peers (unless reuse and an earlier run's data is there) and
    asks them; returns {peer: result}."""
    results = {}
    prom = Prometheus(work, keep_data=reuse)
    loaded = reuse and (prom.dir / "loaded.json").exists()
    load = json.loads((prom.dir / "loaded.json").read_text()) if loaded else None
    if not loaded:
        load = load_prometheus(mytsdb_url, first_ms, last_ms, prom, work)
        (prom.dir / "loaded.json").write_text(json.dumps(load))
    results["prometheus"] = {**load, **measure(prom, first_ms, last_ms, runs, expected_counts, expected_p99,
                                               ["--query.timeout=1h"], None, exact=True)}

    vm = VictoriaMetrics(work, keep_data=reuse)
    loaded = reuse and (vm.dir / "loaded.json").exists()
    load = json.loads((vm.dir / "loaded.json").read_text()) if loaded else None
    if not loaded:
        vm.start()
        load = load_victoria(mytsdb_url, first_ms, last_ms, vm)
        vm.stop()
        load["disk_bytes"] = du(vm.data)
        (vm.dir / "loaded.json").write_text(json.dumps(load))
    # nocache: every run computes the answer (VictoriaMetrics caches rollups).
    results["victoria-metrics"] = {**load, **measure(vm, first_ms, last_ms, runs, expected_counts, expected_p99,
                                                     ["-search.maxQueryDuration=1h"], {"nocache": "1"},
                                                     exact=False)}
    return results
