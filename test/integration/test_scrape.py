"""Scraping inside `mytsdb serve` (docs/SCRAPING.md): Prometheus's
scrape_configs against targets served by the test on 127.0.0.1, the
stored series and `up`, the target APIs with Prometheus's shapes, file
discovery, reloads that keep unchanged targets, a bad configuration that
keeps the old one, and staleness when a target goes away."""
import base64
import json
import math
import signal
import time

import pytest
import yaml

from helpers import wait_for
from scrape_helpers import TargetServer

TEXT = """# HELP requests_total Requests served.
# TYPE requests_total counter
requests_total{code="200",path="/a b"} 1027
requests_total{code="500",path="/"} 3
# TYPE temperature gauge
temperature{room="kitchen",job="exported"} 21.5
weird{v="quote \\" backslash \\\\ newline \\n"} NaN
inf_value +Inf
"""

OPENMETRICS = """# TYPE om_requests counter
# HELP om_requests Served, in OpenMetrics.
# UNIT om_requests_seconds seconds
om_requests_total 7 # {trace_id="abc"} 1
om_requests_created 1700000000
# EOF
"""


@pytest.fixture
def targets():
    t = TargetServer()
    t.set("/metrics", body=TEXT)
    t.set("/om", body=OPENMETRICS, content_type="application/openmetrics-text; version=1.0.0; charset=utf-8")
    t.set("/broken", body="oops", status=500)
    yield t
    t.close()


def write_config(tmp_path, scrape_configs, **global_keys):
    path = tmp_path / "mytsdb.yml"
    path.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s", "scrape_timeout": "500ms", **global_keys},
                                    "scrape_configs": scrape_configs}))
    return path


def instant(server, query):
    body = server.get("/api/v1/query", params={"query": query}).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_scrapes_text_and_openmetrics_into_the_store(server_factory, tmp_path, targets):
    config = write_config(tmp_path, [
        {"job_name": "app", "static_configs": [{"targets": [targets.address], "labels": {"env": "test"}}]},
        {"job_name": "om", "metrics_path": "/om", "static_configs": [{"targets": [targets.address]}]},
        {"job_name": "broken", "metrics_path": "/broken", "static_configs": [{"targets": [targets.address]}]},
    ])
    server = server_factory(extra_args=["--config", str(config)])
    wait_for(lambda: len(instant(server, "up")) == 3, timeout=20)
    ups = {r["metric"]["job"]: r["value"][1] for r in instant(server, "up")}
    assert ups == {"app": "1", "om": "1", "broken": "0"}

    rows = instant(server, 'requests_total{job="app"}')
    assert {(r["metric"]["code"], r["metric"]["path"], r["value"][1]) for r in rows} == {
        ("200", "/a b", "1027"), ("500", "/", "3")}
    assert rows[0]["metric"]["instance"] == targets.address and rows[0]["metric"]["env"] == "test"
    # A scraped job label is kept as exported_job (honor_labels: false).
    (temp,) = instant(server, "temperature")
    assert temp["metric"]["job"] == "app" and temp["metric"]["exported_job"] == "exported"
    (weird,) = instant(server, "weird")
    assert weird["metric"]["v"] == 'quote " backslash \\ newline \n' and weird["value"][1] == "NaN"
    assert instant(server, "inf_value")[0]["value"][1] == "+Inf"
    # OpenMetrics: exemplars dropped, _created kept as a series.
    assert instant(server, "om_requests_total")[0]["value"][1] == "7"
    assert instant(server, "om_requests_created")[0]["value"][1] == "1700000000"
    # Report series.
    scraped = {r["metric"]["job"]: r["value"][1] for r in instant(server, "scrape_samples_scraped")}
    assert scraped["app"] == "5" and scraped["broken"] == "0"
    assert float(instant(server, 'scrape_duration_seconds{job="app"}')[0]["value"][1]) > 0
    assert instant(server, 'scrape_samples_post_metric_relabeling{job="app"}')[0]["value"][1] == "5"
    # The request as Prometheus sends it.
    path, headers = next(r for r in targets.requests if r[0] == "/metrics")
    assert headers["Accept"].startswith("application/openmetrics-text;version=1.0.0")
    assert headers["Accept-Encoding"] == "gzip"
    assert headers["X-Prometheus-Scrape-Timeout-Seconds"] == "0.5"
    # Metadata reaches /api/v1/metadata (and so search).
    meta = server.get("/api/v1/metadata", params={"metric": "requests_total"}).json()["data"]
    assert meta["requests_total"][0]["type"] == "counter" and meta["requests_total"][0]["help"] == "Requests served."


def test_target_apis_have_prometheuss_shapes(server_factory, tmp_path, targets):
    config = write_config(tmp_path, [
        {"job_name": "app", "static_configs": [{"targets": [targets.address, "drop.me:1"]}],
         "relabel_configs": [{"source_labels": ["__address__"], "regex": "drop.*", "action": "drop"}]},
        {"job_name": "broken", "metrics_path": "/broken", "static_configs": [{"targets": [targets.address]}]},
    ])
    server = server_factory(extra_args=["--config", str(config)])
    wait_for(lambda: all(t["health"] != "unknown"
                         for t in server.get("/api/v1/targets").json()["data"]["activeTargets"]), timeout=20)
    data = server.get("/api/v1/targets").json()["data"]
    assert set(data) == {"activeTargets", "droppedTargets", "droppedTargetCounts"}
    by_job = {t["scrapePool"]: t for t in data["activeTargets"]}
    app = by_job["app"]
    assert set(app) == {"discoveredLabels", "labels", "scrapePool", "scrapeUrl", "globalUrl", "lastError",
                        "lastScrape", "lastScrapeDuration", "health", "scrapeInterval", "scrapeTimeout"}
    assert app["labels"] == {"instance": targets.address, "job": "app"}
    assert app["discoveredLabels"]["__address__"] == targets.address
    assert app["discoveredLabels"]["__scrape_interval__"] == "1s"
    assert app["scrapeUrl"] == f"http://{targets.address}/metrics"
    assert app["health"] == "up" and app["lastError"] == ""
    assert app["scrapeInterval"] == "1s" and app["scrapeTimeout"] == "500ms"
    assert app["lastScrape"].endswith("Z") and not app["lastScrape"].startswith("0001")
    assert by_job["broken"]["health"] == "down"
    assert by_job["broken"]["lastError"] == "server returned HTTP status 500 Internal Server Error"
    assert data["droppedTargets"] == [{"discoveredLabels": data["droppedTargets"][0]["discoveredLabels"],
                                       "scrapePool": "app"}]
    assert data["droppedTargets"][0]["discoveredLabels"]["__address__"] == "drop.me:1"
    assert data["droppedTargetCounts"] == {"app": 1, "broken": 0}
    # The state filter.
    active_only = server.get("/api/v1/targets", params={"state": "active"}).json()["data"]
    assert len(active_only["activeTargets"]) == 2 and active_only["droppedTargets"] == []
    dropped_only = server.get("/api/v1/targets", params={"state": "dropped"}).json()["data"]
    assert dropped_only["activeTargets"] == [] and len(dropped_only["droppedTargets"]) == 1
    assert len(server.get("/api/v1/targets", params={"scrapePool": "broken"}).json()["data"]["activeTargets"]) == 1
    # Scrape pools and target metadata.
    assert server.get("/api/v1/scrape_pools").json() == {"status": "success",
                                                         "data": {"scrapePools": ["app", "broken"]}}
    meta = server.get("/api/v1/targets/metadata", params={"match_target": '{job="app"}',
                                                          "metric": "requests_total"}).json()
    assert meta["status"] == "success"
    assert meta["data"] == [{"target": {"instance": targets.address, "job": "app"}, "type": "counter",
                             "help": "Requests served.", "unit": ""}]
    everything = server.get("/api/v1/targets/metadata").json()["data"]
    assert {m["metric"] for m in everything} == {"requests_total", "temperature"}
    bad = server.get("/api/v1/targets/metadata", params={"match_target": "{job="})
    assert bad.status_code == 400 and bad.json()["errorType"] == "bad_data"


def test_file_discovery_reload_and_staleness(server_factory, tmp_path, targets):
    (tmp_path / "sd").mkdir()
    sd = tmp_path / "sd" / "targets.yml"
    sd.write_text(yaml.safe_dump([{"targets": [targets.address], "labels": {"team": "a"}}]))
    config = write_config(tmp_path, [
        {"job_name": "files", "file_sd_configs": [{"files": ["sd/*.yml"]}]},
        {"job_name": "static", "static_configs": [{"targets": [targets.address]}]},
    ])
    server = server_factory(extra_args=["--config", str(config), "--web.enable-lifecycle"])
    wait_for(lambda: len(instant(server, "up")) == 2, timeout=20)
    static_up_since = time.time()
    (row,) = instant(server, 'up{job="files"}')
    assert row["metric"]["team"] == "a"

    # A bad configuration keeps the old one.
    good = config.read_text()
    config.write_text(good + "\nscrape_configs: [{job_name: x, scrape_interval: 1s, scrape_timeout: 5s}]\n")
    r = server.post("/-/reload")
    assert r.status_code == 500 and "scrape timeout greater than scrape interval" in r.text
    assert len(server.get("/api/v1/targets").json()["data"]["activeTargets"]) == 2

    # A reload without the file job: the static target keeps scraping (no
    # staleness), the file target's series go stale.
    first_static = server.get("/api/v1/targets", params={"scrapePool": "static"}).json()["data"]["activeTargets"][0]
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s", "scrape_timeout": "500ms"},
                                      "scrape_configs": [{"job_name": "static",
                                                          "static_configs": [{"targets": [targets.address]}]}]}))
    server.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: server.get("/api/v1/scrape_pools").json()["data"]["scrapePools"] == ["static"], timeout=10)
    # Stale after the next two scrape times and a tenth of an interval.
    wait_for(lambda: instant(server, 'up{job="files"}') == [], timeout=10)
    assert instant(server, 'requests_total{job="files"}') == []
    assert len(instant(server, 'requests_total{job="static"}')) == 2
    later = server.get("/api/v1/targets", params={"scrapePool": "static"}).json()["data"]["activeTargets"][0]
    assert later["lastScrape"] != first_static["lastScrape"]
    # The static series never went stale: every evaluation of up over the
    # reload found a sample.
    end = time.time()
    rng = server.get("/api/v1/query_range", params={"query": 'up{job="static"}', "start": static_up_since,
                                                    "end": end, "step": "0.25"}).json()["data"]["result"]
    steps = int((end - static_up_since) / 0.25) + 1
    assert len(rng) == 1 and all(v[1] == "1" for v in rng[0]["values"]) and len(rng[0]["values"]) == steps


def test_a_target_that_disappears_from_its_file_goes_stale(server_factory, tmp_path, targets):
    sd = tmp_path / "targets.json"
    sd.write_text(f'[{{"targets": ["{targets.address}"]}}]')
    config = write_config(tmp_path, [{"job_name": "files", "file_sd_configs": [{"files": [str(sd)]}]}])
    server = server_factory(extra_args=["--config", str(config)])
    wait_for(lambda: instant(server, "up") != [], timeout=20)
    sd.write_text("[]")
    wait_for(lambda: server.get("/api/v1/targets").json()["data"]["activeTargets"] == [], timeout=10)
    wait_for(lambda: instant(server, "requests_total") == [], timeout=10)


def test_http_discovery_and_credentials(server_factory, tmp_path, targets):
    targets.set("/sd", body=json.dumps([{"targets": [targets.address], "labels": {"source": "http"}}]),
                content_type="application/json")
    (tmp_path / "token").write_text("s3cret-token\n")
    config = write_config(tmp_path, [
        {"job_name": "httpsd", "http_sd_configs": [{"url": f"http://{targets.address}/sd", "refresh_interval": "1s"}],
         "basic_auth": {"username": "scraper", "password": "pa55"}},
        {"job_name": "bearer", "static_configs": [{"targets": [targets.address]}],
         "authorization": {"credentials_file": "token"}},
    ])
    server = server_factory(extra_args=["--config", str(config)])
    wait_for(lambda: len(instant(server, "up == 1")) == 2, timeout=20)
    (row,) = instant(server, 'up{job="httpsd"}')
    assert row["metric"]["source"] == "http"
    (target,) = server.get("/api/v1/targets", params={"scrapePool": "httpsd"}).json()["data"]["activeTargets"]
    assert target["discoveredLabels"]["__meta_url"] == f"http://{targets.address}/sd"
    auths = {h.get("Authorization") for p, h in targets.requests if p == "/metrics"}
    assert "Basic " + base64.b64encode(b"scraper:pa55").decode() in auths
    assert "Bearer s3cret-token" in auths
    # The endpoint drops the target: it goes; a failing endpoint keeps the last list.
    targets.set("/sd", body="[]", content_type="application/json")
    wait_for(lambda: server.get("/api/v1/targets", params={"scrapePool": "httpsd"}).json()["data"]["activeTargets"]
             == [], timeout=10)
    targets.set("/sd", body=json.dumps([{"targets": [targets.address]}]), content_type="application/json")
    wait_for(lambda: len(server.get("/api/v1/targets", params={"scrapePool": "httpsd"})
                         .json()["data"]["activeTargets"]) == 1, timeout=10)
    targets.set("/sd", body="nope", status=500)
    time.sleep(2.5)
    assert len(server.get("/api/v1/targets", params={"scrapePool": "httpsd"}).json()["data"]["activeTargets"]) == 1
