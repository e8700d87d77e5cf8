"""Differential PromQL test: the same generated data goes into MyTSDB and into
a real Prometheus server (the Debian package) through remote write; a
generated corpus of queries (functions, aggregations, operators, matchers,
offsets, @, subqueries) is evaluated by both, as instant queries at several
times and as range queries, and compared value by value.

The Debian package is Prometheus 2.x, MyTSDB follows 3.x. Their documented
differences are kept out of the comparison, not hidden in it:
- 2.x range selectors and lookback are closed on the left, 3.x's left-open:
  samples sit 1.234 s off every multiple of 15 s and evaluation times and
  subquery steps never meet them, so no sample is on a window boundary;
- functions added after 2.42 (limitk, sort_by_label, mad_over_time,
  double_exponential_smoothing, ...) are not in the corpus; the conformance
  suite covers them;
- 2.x sums without Kahan compensation: values compare with a relative 1e-9;
- KNOWN_DIFFERENCES below: each names the query, the difference and how the
  reference answer is adjusted to 3.x before comparing.
Anything else that differs fails the test.
"""
import math
import random
import shutil
import socket
import subprocess
import time

import pytest
import requests

import remote_write as rw

BASE = 1_700_000_000_000 + 1_234  # ms: off every whole second
STEP_MS = 15_000
POINTS = 480  # two hours
END = BASE + (POINTS - 1) * STEP_MS
STALE = rw.bits_to_float(0x7FF0000000000002)


def generate_series():
    rnd = random.Random(20261128)
    series = []

    def add(labels, values):
        series.append((labels, [(BASE + i * STEP_MS, v) for i, v in values if v is not None]))

    for job in ("api", "web"):
        for inst in ("i-1", "i-2", "i-3"):
            for method in ("GET", "POST"):
                for code in ("200", "500"):
                    v, vals = 0.0, []
                    reset_at = rnd.randrange(100, POINTS) if rnd.random() < 0.3 else -1
                    for i in range(POINTS):
                        v = 0.0 if i == reset_at else v + rnd.randrange(0, 20 if code == "200" else 3)
                        vals.append((i, v))
                    add({"__name__": "http_requests_total", "job": job, "instance": inst,
                         "method": method, "code": code}, vals)
            # Gauges: random walks with limited precision.
            m = rnd.uniform(1e9, 4e9)
            vals = []
            for i in range(POINTS):
                m = round(m + rnd.uniform(-5e7, 5e7), -3)
                vals.append((i, m))
            add({"__name__": "node_memory_free_bytes", "job": job, "instance": inst}, vals)
            add({"__name__": "up", "job": job, "instance": inst},
                [(i, 0.0 if (inst == "i-3" and 200 <= i < 230) else 1.0) for i in range(POINTS)])
    for sensor in ("a", "b", "c", "d"):
        t, vals = rnd.uniform(-10, 30), []
        for i in range(POINTS):
            t = round(t + rnd.uniform(-0.5, 0.5), 2)
            vals.append((i, t))
        add({"__name__": "temperature_celsius", "sensor": sensor, "room": "r1" if sensor < "c" else "r2"}, vals)
    # Classic histograms: cumulative buckets, _sum and _count.
    bounds = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"]
    for inst in ("i-1", "i-2"):
        counts, total_sum, total = [0] * len(bounds), 0.0, 0
        per_bucket = {b: [] for b in bounds}
        sums, cnts = [], []
        for i in range(POINTS):
            for _ in range(rnd.randrange(0, 30)):
                x = rnd.expovariate(5)
                total += 1
                total_sum += x
                for k, b in enumerate(bounds):
                    if x <= float(b):
                        counts[k] += 1
            for k, b in enumerate(bounds):
                per_bucket[b].append((i, float(counts[k])))
            sums.append((i, round(total_sum, 6)))
            cnts.append((i, float(total)))
        for b in bounds:
            add({"__name__": "request_duration_seconds_bucket", "job": "api", "instance": inst, "le": b},
                per_bucket[b])
        add({"__name__": "request_duration_seconds_sum", "job": "api", "instance": inst}, sums)
        add({"__name__": "request_duration_seconds_count", "job": "api", "instance": inst}, cnts)
    # A series that ends (lookback runs out), and one with a staleness marker and a restart.
    add({"__name__": "batch_last_success_seconds", "job": "batch"},
        [(i, (BASE + i * STEP_MS) / 1000) for i in range(0, 300, 4)])
    add({"__name__": "process_open_fds", "instance": "z"},
        [(i, STALE if i == 240 else (None if 240 < i < 360 else float(40 + i % 7))) for i in range(POINTS)])
    return series


def corpus():
    counters = ['http_requests_total', 'http_requests_total{job="api"}', 'http_requests_total{code=~"5.."}',
                'http_requests_total{method!="GET",instance!~"i-1|i-2"}', 'request_duration_seconds_count']
    gauges = ['node_memory_free_bytes', 'temperature_celsius', 'up', 'process_open_fds',
              'batch_last_success_seconds', 'temperature_celsius{room="r2"}']
    q = []
    for c in counters:
        for f in ("rate", "irate", "increase", "resets", "changes", "idelta", "deriv", "delta"):
            for r in ("1m", "5m", "17m"):
                q.append(f"{f}({c}[{r}])")
    for g in gauges:
        for f in ("avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                  "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "changes",
                  "deriv", "absent_over_time"):
            q.append(f"{f}({g}[10m])")
        q.append(f"quantile_over_time(0.3, {g}[10m])")
        q.append(f"predict_linear({g}[30m], 600)")
        q.append(g)
        q.append(f"timestamp({g})")
    for agg in ("sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"):
        for grouping in ("", " by (job)", " without (instance)", " by (job, code)", " without ()"):
            q.append(f"{agg}{grouping} (rate(http_requests_total[5m]))")
        q.append(f"{agg} by (room) (temperature_celsius)")
    for k in ("topk(3, {s})", "bottomk(2, {s})", "quantile(0.9, {s})", "quantile by (job) (0.25, {s})",
              'count_values("value", {s})', "topk by (job) (1, {s})"):
        for s in ("up", "rate(http_requests_total[5m])", "node_memory_free_bytes"):
            q.append(k.format(s=s))
    binops = [
        "rate(http_requests_total[5m]) / on(job, instance, method) group_left sum without (code) (rate(http_requests_total[5m]))",
        'sum by (job) (rate(http_requests_total{code="500"}[5m])) / sum by (job) (rate(http_requests_total[5m]))',
        "node_memory_free_bytes / 1024 / 1024",
        "node_memory_free_bytes > 2e9", "node_memory_free_bytes > bool 2e9", "2e9 < node_memory_free_bytes",
        "up == 0", "up != bool 1", "temperature_celsius % 3", "temperature_celsius ^ 2", "-temperature_celsius",
        "temperature_celsius atan2 10", "up and on(instance) node_memory_free_bytes > 2.5e9",
        "up or process_open_fds", "node_memory_free_bytes unless on(job) up{job=\"web\"}",
        "up * on(job, instance) group_right node_memory_free_bytes",
        "node_memory_free_bytes - ignoring(job) group_left up",
        "sum(up) by (job) + on(job) group_left count by (job) (node_memory_free_bytes)",
        "scalar(sum(up)) * up", "time() - batch_last_success_seconds", "vector(1) + vector(2)",
        "(temperature_celsius > 0) + 0", "temperature_celsius >= -1 <= 25",
        "max by (job) (node_memory_free_bytes) == bool on(job) group_left min by (job) (node_memory_free_bytes)",
    ]
    q += binops
    for f in ("abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn", "sin", "cos", "tan",
              "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "deg", "rad"):
        q.append(f"{f}(temperature_celsius / 10)")
    q += ["round(temperature_celsius)", "round(temperature_celsius, 0.25)", "clamp(temperature_celsius, 0, 20)",
          "clamp_min(temperature_celsius, 5)", "clamp_max(temperature_celsius, 5)",
          "histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
          "histogram_quantile(0.9, rate(request_duration_seconds_bucket[5m]))",
          "histogram_quantile(0.99, sum by (le, instance) (rate(request_duration_seconds_bucket[10m])))",
          "histogram_quantile(0.5, request_duration_seconds_bucket)",
          "sum(rate(request_duration_seconds_sum[5m])) / sum(rate(request_duration_seconds_count[5m]))",
          'label_replace(up, "host", "$1", "instance", "i-(.*)")',
          'label_replace(rate(http_requests_total[5m]), "status", "${1}xx", "code", "(.).*")',
          'label_join(up, "id", "/", "job", "instance")',
          "absent(nonexistent_metric)", 'absent(up{job="nope"})', "absent(up)",
          "sort(node_memory_free_bytes)", "sort_desc(rate(http_requests_total[5m]))",
          "day_of_week()", "hour(batch_last_success_seconds)", "minute()", "month()", "year()",
          "days_in_month()", "day_of_month()", "day_of_year()", "time()", "pi()", "scalar(up)",
          "vector(time())", "count(up) > 3", "sum(up) == bool count(up)"]
    # Offsets, @ and subqueries.
    at = (BASE + 3_600_000) / 1000 + 7
    q += ["rate(http_requests_total[5m] offset 10m)", "node_memory_free_bytes offset 30m",
          "up offset -5m", f"node_memory_free_bytes @ {at:.3f}", f"rate(http_requests_total[5m] @ {at:.3f})",
          f"sum(rate(http_requests_total[5m] @ {at:.3f} offset 5m))",
          "max_over_time(rate(http_requests_total[1m])[10m:1m])",
          "avg_over_time(sum by (room) (temperature_celsius)[30m:5m])",
          "min_over_time(node_memory_free_bytes[20m:30s])",
          "rate(http_requests_total[5m:1m])", "deriv(sum(node_memory_free_bytes)[15m:1m])",
          "max_over_time(deriv(temperature_celsius[5m])[10m:2m] offset 3m)",
          f"sum_over_time(up[10m:1m] @ {at:.3f})", "count_over_time((up == 1)[10m:])",
          "quantile_over_time(0.5, rate(http_requests_total[2m])[10m:1m])"]
    return q


def drop_name(data):
    for s in data["result"]:
        s["metric"].pop("__name__", None)
    return data


def values_per_time(data):
    """The selected values at each timestamp, without the series identities."""
    out = {}
    for s in data["result"]:
        for t, v in ([s["value"]] if "value" in s else s["values"]):
            out.setdefault(t, []).append(float(v))
    return {"resultType": "values", "result": {t: sorted(vs) for t, vs in out.items()}}


TIES = ("topk/bottomk break ties between equal values with a binary heap that changed between 2.x "
        "(pop and push) and 3.x (replace the root and fix): the same values are selected, not always "
        "the same series; compared: the selected values at every step")

# query -> (why, how Prometheus 2.x's answer becomes comparable with 3.x's;
# the same function is applied to MyTSDB's answer)
KNOWN_DIFFERENCES = {
    "temperature_celsius atan2 10": (
        "3.x drops the metric name on atan2 like on other arithmetic (changesMetricSchema); 2.x kept it",
        drop_name),
    "topk(3, rate(http_requests_total[5m]))": (TIES, values_per_time),
    "bottomk(2, rate(http_requests_total[5m]))": (TIES, values_per_time),
    "topk by (job) (1, rate(http_requests_total[5m]))": (TIES, values_per_time),
    "topk(3, up)": (TIES, values_per_time),
    "bottomk(2, up)": (TIES, values_per_time),
    "topk by (job) (1, up)": (TIES, values_per_time),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/setup.sh (make does it)")
    d = tmp_path_factory.mktemp("prometheus")
    (d / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(d / "log", "wb")
    proc = subprocess.Popen(["prometheus", f"--config.file={d / 'prometheus.yml'}", f"--storage.tsdb.path={d / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                             "--storage.tsdb.retention.time=100y", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError(f"prometheus did not start: see {d / 'log'}")
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def both(prometheus, tmp_path_factory):
    import conftest
    # The data is from 2023: keep it, as Prometheus is told to.
    srv = conftest.Server(tmp_path_factory.mktemp("mytsdb"), ["--retention", "100y"])
    srv.start()
    series = generate_series()
    session = requests.Session()
    # Requests in time order, 10 minutes of every series each, as a
    # Prometheus sending remote write would: Prometheus's head refuses
    # samples more than an hour behind the newest.
    window = 600_000
    for url in (prometheus, srv.url):
        for lo in range(BASE, END + 1, window):
            batch = [(labels, [(t, v) for t, v in samples if lo <= t < lo + window]) for labels, samples in series]
            r = rw.write(session, url, [b for b in batch if b[1]])
            assert r.status_code in (200, 204), (url, r.text)
    yield srv.url, prometheus
    srv.stop()


def close(a, b):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == b:
        return True
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) or abs(a - b) < 1e-12


def compare(ours, ref):
    """None when the two `data` objects agree, else a description."""
    if ours["resultType"] != ref["resultType"]:
        return f"result type {ours['resultType']} vs {ref['resultType']}"
    kind = ours["resultType"]
    if kind == "values":
        a, b = ours["result"], ref["result"]
        if a.keys() != b.keys():
            return f"timestamps differ: {len(a)} vs {len(b)}"
        for t in a:
            if len(a[t]) != len(b[t]) or not all(close(x, y) for x, y in zip(a[t], b[t])):
                return f"values at {t}: {a[t]} vs {b[t]}"
        return None
    if kind in ("scalar", "string"):
        ok = ours["result"][0] == ref["result"][0] and (
            close(ours["result"][1], ref["result"][1]) if kind == "scalar" else ours["result"][1] == ref["result"][1])
        return None if ok else f"{ours['result']} vs {ref['result']}"
    key = "value" if kind == "vector" else "values"

    def index(result):
        return {tuple(sorted(s["metric"].items())): ([s[key]] if kind == "vector" else s[key]) for s in result}

    a, b = index(ours["result"]), index(ref["result"])
    if a.keys() != b.keys():
        return f"series: only ours {sorted(a.keys() - b.keys())[:2]}, only Prometheus {sorted(b.keys() - a.keys())[:2]}"
    for k in a:
        pa, pb = a[k], b[k]
        if [p[0] for p in pa] != [p[0] for p in pb]:
            return f"timestamps of {dict(k)}: {len(pa)} vs {len(pb)} points"
        for (t, x), (_, y) in zip(pa, pb):
            if not close(x, y):
                return f"{dict(k)} at {t}: {x} vs {y}"
    return None


def test_corpus_is_large_enough():
    queries = corpus()
    assert len(queries) >= 300, len(queries)
    assert len(set(queries)) == len(queries)


def test_known_differences_are_in_the_corpus():
    assert set(KNOWN_DIFFERENCES) <= set(corpus())


def test_compare_detects_differences():
    a = {"resultType": "vector", "result": [{"metric": {"a": "1"}, "value": [1, "1"]}]}
    b = {"resultType": "vector", "result": [{"metric": {"a": "1"}, "value": [1, "1.1"]}]}
    assert compare(a, a) is None and compare(a, b) is not None


def test_against_prometheus_head(both):
    """All of MyTSDB's data in the head (the in-memory tier)."""
    run_corpus(*both)


def test_against_prometheus_cold_tier(both):
    """The same after the whole head went to the cold tier (Parquet)."""
    ours_url, ref_url = both
    assert requests.post(ours_url + "/api/v1/admin/flush", data="", timeout=300).status_code == 204
    run_corpus(ours_url, ref_url)


def run_corpus(ours_url, ref_url):
    session = requests.Session()
    instant_times = [(BASE + k) / 1000 for k in (1_800_000 + 7_000, 3_900_000 + 11_000, END - BASE + 40_000)]
    range_params = {"start": (BASE + 1_500_000 + 7_000) / 1000, "end": (END - 300_000 + 7_000) / 1000, "step": 60}
    mismatches, evaluations, with_data = [], 0, 0
    for q in corpus():
        requests_ = [("query", {"query": q, "time": t}) for t in instant_times]
        requests_.append(("query_range", dict(range_params, query=q)))
        for endpoint, params in requests_:
            ref = session.get(f"{ref_url}/api/v1/{endpoint}", params=params, timeout=60)
            ours = session.get(f"{ours_url}/api/v1/{endpoint}", params=params, timeout=60)
            evaluations += 1
            if ref.status_code != 200 or ours.status_code != 200:
                if ref.status_code != ours.status_code:
                    mismatches.append(f"{endpoint} {q}: status {ours.status_code} vs {ref.status_code}: "
                                      f"{ours.text[:200]} / {ref.text[:200]}")
                continue
            ours_data, ref_data = ours.json()["data"], ref.json()["data"]
            if has_data(ours_data) and has_data(ref_data):
                with_data += 1
            if q in KNOWN_DIFFERENCES:
                ref_data = KNOWN_DIFFERENCES[q][1](ref_data)
                ours_data = KNOWN_DIFFERENCES[q][1](ours_data)
            diff = compare(ours_data, ref_data)
            if diff:
                mismatches.append(f"{endpoint} {params.get('time', '')} {q}: {diff}")
    print(f"{len(corpus())} queries, {evaluations} evaluations, {with_data} with data on both sides, "
          f"{len(mismatches)} mismatches")
    assert not mismatches, f"{len(mismatches)} of {evaluations} differ:\n" + "\n".join(mismatches[:40])
    # Both sides returning nothing would pass the comparison: most
    # evaluations must carry data on both.
    assert with_data >= 0.9 * evaluations, f"only {with_data} of {evaluations} evaluations carry data"


def has_data(data):
    """Whether a query result holds at least one value."""
    if data["resultType"] in ("scalar", "string"):
        return True
    return any(s.get("value") or s.get("values") for s in data["result"])
