"""Scraping against Prometheus (Debian's 2.42, on 127.0.0.1): the same
scrape configuration, relabeling included, over the same targets, a
Debian node exporter and endpoints served by the test with tricky content
(escapes, NaN and ±Inf, a duplicate series, no TYPE, OpenMetrics with
# EOF, exemplars and _created, a series that goes away, a target that
times out and one that answers 500). The stored series, their values and
`up` must agree, with timestamps within one scrape interval.

Where Prometheus 2.42 differs from Prometheus 3, whose behaviour MyTSDB
follows, the comparison says so: 3 writes a histogram's `le` and a
summary's `quantile` in one form (`1` -> `1.0`), 2.42 keeps them as
written (docs/SCRAPING.md)."""
import math
import shutil
import subprocess
import time

import pytest
import requests
import yaml

from helpers import free_port, start_peer, wait_for
from scrape_helpers import TargetServer

INTERVAL = 2

TRICKY = r"""# HELP escaped Label values with every escape.
# TYPE escaped gauge
escaped{path="C:\\DIR\\FILE.TXT",msg="line one\nline \"two\"",utf8="héllo wörld ✓"} 1.458255915e9
# TYPE specials gauge
specials{kind="nan"} NaN
specials{kind="pos"} +Inf
specials{kind="neg"} -Inf
specials{kind="tiny"} 1e-300
specials{kind="exp"} -1.5E+20
untyped_without_type 42
duplicated{a="1"} 1
duplicated{a="1"} 2
# TYPE latency histogram
latency_bucket{le="0.5"} 3
latency_bucket{le="1"} 5
latency_bucket{le="+Inf"} 6
latency_sum 4.25
latency_count 6
# TYPE rpc summary
rpc{quantile="0.5"} 0.25
rpc{quantile="1"} 2
rpc_sum 10
rpc_count 7
labelled{job="scraped_job",instance="scraped_instance",env="x"} 3
dropped_by_metric_relabeling 9
with_tmp{tmp="drop me",keep="yes"} 8
"""

OPENMETRICS = """# TYPE om_events counter
# HELP om_events Events, in OpenMetrics.
om_events_total{kind="a"} 17 # {trace_id="abc"} 1 1520879607.789
om_events_created{kind="a"} 1520872607.123
# TYPE om_temp_celsius gauge
# UNIT om_temp_celsius celsius
om_temp_celsius{room="x"} 21.5
# TYPE om_info info
om_info{version="1.2.3"} 1
# EOF
"""


def scrape_configs(targets, node_address):
    timeout = f"{INTERVAL // 2}s"
    common = {"scrape_interval": f"{INTERVAL}s", "scrape_timeout": timeout}
    return [
        {"job_name": "node", **common, "static_configs": [{"targets": [node_address], "labels": {"tier": "host"}}],
         "metric_relabel_configs": [
             # Keep the comparison on the series a node exporter holds still
             # and the ones that move; drop the Go runtime's noise.
             {"source_labels": ["__name__"], "regex": "go_.*", "action": "drop"}]},
        {"job_name": "tricky", **common, "metrics_path": "/tricky",
         "static_configs": [{"targets": [targets.address], "labels": {"env": "test", "__tmp_x": "y"}}],
         "relabel_configs": [
             {"source_labels": ["__address__"], "regex": "(.*):(.*)", "target_label": "port", "replacement": "$2"},
             {"source_labels": ["env"], "target_label": "environment"},
             {"source_labels": ["__address__"], "modulus": 8, "target_label": "shard", "action": "hashmod"},
             {"regex": "__tmp_(.*)", "action": "labelmap", "replacement": "tmp_$1"},
         ],
         "metric_relabel_configs": [
             {"source_labels": ["__name__"], "regex": "dropped_by_.*", "action": "drop"},
             {"regex": "tmp", "action": "labeldrop"},
             {"source_labels": ["__name__"], "regex": "(rpc)_(.*)", "target_label": "part", "replacement": "$2"},
         ]},
        {"job_name": "honoring", **common, "metrics_path": "/tricky", "honor_labels": True,
         "static_configs": [{"targets": [targets.address]}],
         "metric_relabel_configs": [{"source_labels": ["__name__"], "regex": "labelled", "action": "keep"}]},
        {"job_name": "openmetrics", **common, "metrics_path": "/om", "static_configs": [{"targets": [targets.address]}]},
        {"job_name": "params", **common, "metrics_path": "/probe", "params": {"module": ["http_2xx"]},
         "static_configs": [{"targets": ["example.invalid"]}],
         "relabel_configs": [
             {"source_labels": ["__address__"], "target_label": "__param_target"},
             {"source_labels": ["__param_target"], "target_label": "instance"},
             {"target_label": "__address__", "replacement": targets.address}]},
        {"job_name": "going", **common, "metrics_path": "/going", "static_configs": [{"targets": [targets.address]}]},
        {"job_name": "slow", **common, "metrics_path": "/slow", "static_configs": [{"targets": [targets.address]}]},
        {"job_name": "failing", **common, "metrics_path": "/fail", "static_configs": [{"targets": [targets.address]}]},
        {"job_name": "gzipped", **common, "metrics_path": "/gzip", "static_configs": [{"targets": [targets.address]}]},
    ]


@pytest.fixture
def both(tmp_path, server_factory):
    for tool in ("prometheus", "prometheus-node-exporter"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run scripts/setup.sh (make does it)")
    targets = TargetServer()
    targets.set("/tricky", body=TRICKY)
    targets.set("/om", body=OPENMETRICS, content_type="application/openmetrics-text; version=1.0.0; charset=utf-8")
    targets.set("/probe", body="probe_success 1\nprobe_duration_seconds 0.5\n")
    targets.set("/going", body="stays 1\ngoes_away 2\n")
    targets.set("/slow", body="never_seen 1\n", delay=INTERVAL)
    targets.set("/fail", body="nope", status=500)
    targets.set("/gzip", body="compressed_series{a=\"b\"} 5\n" * 1 + "other 6\n", gzipped=True)
    node_port = free_port()
    node_log = open(tmp_path / "node_exporter.log", "wb")
    node = subprocess.Popen(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{node_port}"],
                            stdout=node_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for(lambda: _answers(f"http://127.0.0.1:{node_port}/metrics"), timeout=30)
    config = {"scrape_configs": scrape_configs(targets, f"127.0.0.1:{node_port}")}
    for d in ("prom", "mytsdb"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "config.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    prom_url = f"http://127.0.0.1:{port}"
    proc, log = start_peer(["prometheus", f"--config.file={tmp_path / 'prom' / 'config.yml'}",
                            f"--storage.tsdb.path={tmp_path / 'prom' / 'data'}",
                            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                           prom_url, tmp_path / "prom" / "log")
    ours = server_factory(extra_args=["--config", str(tmp_path / "mytsdb" / "config.yml")])
    yield prom_url, ours.url, targets
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    node.terminate()
    node.wait(timeout=30)
    node_log.close()
    targets.close()


def _answers(url):
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def canonical(labels):
    """Prometheus 2.42 keeps le and quantile as written; 3 (and MyTSDB)
    write them in one form."""
    out = dict(labels)
    for key in ("le", "quantile"):
        if key in out:
            f = float(out[key])
            out[key] = "+Inf" if f == math.inf else repr(f)
    return tuple(sorted(out.items()))


def snapshot(url, query, at):
    body = requests.get(url + "/api/v1/query", params={"query": query, "time": at}, timeout=30).json()
    assert body["status"] == "success", body
    return {canonical(r["metric"]): r["value"][1] for r in body["data"]["result"]}


def last_timestamps(url, selector, at):
    """Each series' newest sample time, read raw through a range selector."""
    body = requests.get(url + "/api/v1/query", params={"query": f"{selector}[{2 * INTERVAL}s]", "time": at},
                        timeout=30).json()
    assert body["status"] == "success", body
    return {canonical(r["metric"]): r["values"][-1][0] for r in body["data"]["result"]}


def same_value(a, b):
    if a == b:
        return True
    fa, fb = float(a), float(b)
    return (math.isnan(fa) and math.isnan(fb)) or math.isclose(fa, fb, rel_tol=1e-12)


def test_scraping_agrees_with_prometheus(both):
    prom, ours, targets = both
    # Both scrape a few times; then one series goes away.
    wait_for(lambda: len(snapshot(prom, "up", time.time())) == 9 and len(snapshot(ours, "up", time.time())) == 9,
             timeout=60)
    time.sleep(3 * INTERVAL)
    targets.set("/going", body="stays 1\n")
    time.sleep(3 * INTERVAL)
    at = time.time()

    prom_all = snapshot(prom, '{__name__=~".+"}', at)
    ours_all = snapshot(ours, '{__name__=~".+"}', at)
    # The series stored by both are the same.
    only_prom = set(prom_all) - set(ours_all)
    only_ours = set(ours_all) - set(prom_all)
    # Node exporter series that appeared or went between the two scrapes
    # (a process starting, a mount) are allowed, a handful at most.
    assert len(only_prom) + len(only_ours) <= 5, (sorted(only_prom)[:20], sorted(only_ours)[:20])
    assert len(prom_all) > 300, len(prom_all)  # the comparison carries data: the node exporter's series

    def job(labels):
        return dict(labels).get("job")

    # Every value of the test's own targets agrees, report series aside
    # (durations; series_added depends on when each started).
    varying = {"scrape_duration_seconds", "scrape_series_added"}
    compared = 0
    for key, value in prom_all.items():
        name = dict(key)["__name__"]
        if job(key) == "node" or name in varying or key not in ours_all:
            continue
        assert same_value(ours_all[key], value), (key, value, ours_all[key])
        compared += 1
    assert compared >= 40, compared

    # Node exporter values that held still over Prometheus's last three
    # scrapes must be the ones MyTSDB stored. (Over two only, a counter that
    # ticks slowly, such as one CPU's softirq seconds, can hold still for
    # Prometheus and move before MyTSDB's scrape a moment later: on a busy
    # machine that was 2.4% of them.)
    prom_before = snapshot(prom, '{job="node"}', at - INTERVAL)
    prom_earlier = snapshot(prom, '{job="node"}', at - 2 * INTERVAL)
    still = [k for k, v in prom_all.items()
             if job(k) == "node" and prom_before.get(k) == v and prom_earlier.get(k) == v
             and k in ours_all]
    assert len(still) > 100, len(still)
    mismatched = [k for k in still if not same_value(ours_all[k], prom_all[k])]
    assert len(mismatched) <= len(still) // 50, mismatched[:10]

    # up, and the scrape errors, per job.
    up = {job(k): v for k, v in snapshot(prom, "up", at).items()}
    assert up == {job(k): v for k, v in snapshot(ours, "up", at).items()}
    assert up == {"node": "1", "tricky": "1", "honoring": "1", "openmetrics": "1", "params": "1", "going": "1",
                  "slow": "0", "failing": "0", "gzipped": "1"}

    # The series that went away is stale in both.
    assert not any(dict(k)["__name__"] == "goes_away" for k in prom_all)
    assert not any(dict(k)["__name__"] == "goes_away" for k in ours_all)

    # Relabeling: target labels, exported_ labels, honor_labels, params.
    tricky = [dict(k) for k in ours_all if dict(k).get("__name__") == "labelled"]
    assert {t["job"] for t in tricky} == {"tricky", "scraped_job"}
    assert any(t.get("exported_job") == "scraped_job" and t.get("tmp_x") == "y" and "shard" in t for t in tricky)
    assert any(dict(k).get("instance") == "example.invalid" for k in ours_all if job(k) == "params")

    # Timestamps within one interval of Prometheus's.
    prom_ts = last_timestamps(prom, '{__name__=~".+",job!="node"}', at)
    ours_ts = last_timestamps(ours, '{__name__=~".+",job!="node"}', at)
    common = set(prom_ts) & set(ours_ts)
    assert len(common) > 40
    for key in common:
        assert abs(float(prom_ts[key]) - float(ours_ts[key])) <= INTERVAL, key

    # Metadata as Prometheus holds it.
    prom_meta = requests.get(prom + "/api/v1/targets/metadata", params={"match_target": '{job="tricky"}'}).json()
    ours_meta = requests.get(ours + "/api/v1/targets/metadata", params={"match_target": '{job="tricky"}'}).json()
    as_set = lambda body: {(m["metric"], m["type"], m["help"]) for m in body["data"]}
    assert as_set(prom_meta) == as_set(ours_meta) and len(as_set(ours_meta)) >= 4

    # The target API: the same targets, health and errors.
    def targets_of(url):
        data = requests.get(url + "/api/v1/targets").json()["data"]["activeTargets"]
        return {(t["scrapePool"], t["labels"]["instance"], t["health"], t["scrapeUrl"]) for t in data}
    assert targets_of(prom) == targets_of(ours)
