"""The web UI in a real browser (issue 17): headless Chromium from Debian,
driven by playwright-core from npm (web/test/browser.mjs, one scenario per
test), against a server with data on 127.0.0.1, at the root and under a
route prefix. A scenario fails on a failed check, on any error in the
page's console and on any failed request. Screenshots go to
build/ui-screenshots/."""
import json
import math
import os
import shutil
import subprocess
import time

import pytest
import requests

import remote_write as rw
from conftest import REPO, Server
from helpers import wait_for
from scrape_helpers import TargetServer

UI_DIR = REPO / "build" / "ui"
SCREENSHOTS = REPO / "build" / "ui-screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STEP_MS = 15_000


def write_test_data(url, now_ms):
    """Counters for rate(), two plain values for the table, and 100 series ×
    1,000 points for the drawing measurement; returns the last timestamp of
    the latter."""
    session = requests.Session()
    start = now_ms - 3600_000
    cpu = []
    for inst in range(3):
        for m, mode in enumerate(("idle", "system", "user")):
            per_second = 0.2 + 0.3 * m + 0.1 * inst
            value, samples = 0.0, []
            for i in range(241):
                value += 15 * per_second * (1 + 0.5 * math.sin(i / 9 + inst))
                samples.append((start + i * STEP_MS, value))
            cpu.append(({"__name__": "node_cpu_seconds_total", "job": "node",
                         "instance": f"host{inst}:9100", "mode": mode}, samples))
    plain = [({"__name__": "ui_test_value", "job": "ui", "instance": "a"}, [(now_ms - 5000, 42.0)]),
             ({"__name__": "ui_test_value", "job": "ui", "instance": "b"}, [(now_ms - 5000, -0.5)])]
    big_end = (now_ms // STEP_MS) * STEP_MS - STEP_MS
    big = [({"__name__": "ui_big", "series": str(s)},
            [(big_end - (999 - i) * STEP_MS, s + 10 * math.sin(i / 50 + s)) for i in range(1000)])
           for s in range(100)]
    metadata = [("node_cpu_seconds_total", 1, "Seconds the CPUs spent in each mode.", "seconds")]
    for batch, meta in ((cpu, metadata), (plain, ()), (big, ())):
        r = rw.write(session, url, batch, metadata=meta)
        assert r.status_code == 204, r.text
    return big_end


SCRAPE_CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: app
    static_configs: [{targets: ["%(address)s"], labels: {team: ui}}]
  - job_name: broken
    metrics_path: /missing
    static_configs: [{targets: ["%(address)s"]}]
"""

RULES = """groups:
  - name: ui
    rules:
      - alert: UiTestHigh
        expr: ui_test_value > 10
        labels: {severity: page}
        annotations: {summary: "{{ $labels.instance }} is at {{ $value }}"}
      - alert: UiTestSlow
        expr: ui_test_value > 10
        for: 1h
      - record: job:ui_test_value:sum
        expr: sum by (job) (ui_test_value)
"""

ALERTMANAGER = """route: {receiver: none}
receivers: [{name: none}]
"""


@pytest.fixture(scope="module")
def ui_servers(tmp_path_factory):
    """One server at / and one under --web.route-prefix /prom, same data;
    the first also scrapes a target that answers and one that does not."""
    assert (UI_DIR / "index.html").exists(), f"{UI_DIR} has no UI: run `make build`"
    assert shutil.which("node"), "node is missing: run `make setup`"
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: run `make setup`"
    now_ms = int(time.time() * 1000)
    target = TargetServer()
    target.set("/metrics", body="# TYPE ui_scraped gauge\nui_scraped 1\n")
    config_dir = tmp_path_factory.mktemp("ui-config")
    (config_dir / "config.yml").write_text(SCRAPE_CONFIG % {"address": target.address})
    (config_dir / "rules.yml").write_text(RULES)
    (config_dir / "am.yml").write_text(ALERTMANAGER)
    root_args = ["--config", str(config_dir / "config.yml"), "--alertmanager.config.file", str(config_dir / "am.yml"),
                 "--alert-history.flush-interval", "1s", "--search.refresh-interval", "1s"]
    servers = {}
    try:
        for name, args in (("root", root_args), ("prefix", ["--web.route-prefix", "/prom"])):
            s = Server(tmp_path_factory.mktemp(f"ui-{name}") / "data", args).start(wait_ready=False)
            base = s.url + ("/prom" if name == "prefix" else "")
            servers[name] = (s, base)
            wait_for(lambda: s.http.get(base + "/-/ready", timeout=2).status_code == 200)
            big_end = write_test_data(base, now_ms)
            if name == "root":
                # Into the cold tier, for its status page (reads span both tiers).
                assert s.http.post(base + "/api/v1/admin/flush", timeout=60).status_code == 204
        yield servers, big_end
    finally:
        for s, _ in servers.values():
            s.stop()
        target.close()


def run_scenario(name, url, env=None):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["node", str(REPO / "web" / "test" / "browser.mjs"), name, "--url", url, "--out", str(SCREENSHOTS),
         "--chromium", CHROMIUM],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-4000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(name, result)
    return result


@pytest.mark.parametrize("scenario", ["query_page", "table_query", "graph", "autocomplete", "parse_error",
                                      "dark_theme", "not_found", "targets", "status_pages", "alerts_pages",
                                      "alert_history", "explore", "sql", "cold_tier", "keyboard"])
def test_ui_scenario(ui_servers, scenario):
    servers, _ = ui_servers
    run_scenario(scenario, servers["root"][1])


@pytest.mark.parametrize("scenario", ["table_query", "graph", "not_found", "status_pages", "sql"])
def test_ui_under_route_prefix(ui_servers, scenario):
    servers, _ = ui_servers
    # This server's head keeps everything (the other's was flushed).
    run_scenario(scenario, servers["prefix"][1], env={"UI_HEAD_HAS_BIG": "1"})


def test_ui_draws_100_series_of_1000_points(ui_servers):
    """The figure goes to docs/UI.md; the bound of 200 ms is the issue's."""
    servers, big_end = ui_servers
    result = run_scenario("big_graph", servers["root"][1], env={"UI_BIG_END": str(big_end / 1000)})
    assert result["drawMs"] > 0


def test_ui_silence_is_seen_by_amtool(ui_servers):
    """A silence made in the UI from a firing alert is listed by amtool;
    expired in the UI, amtool no longer lists it as active."""
    servers, _ = ui_servers
    url = servers["root"][1]
    created = run_scenario("silence_from_alert", url)
    listed = subprocess.run(["amtool", "silence", "query", "-o", "json", f"--alertmanager.url={url}"],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr
    silences = {s["id"]: s for s in json.loads(listed.stdout)}
    assert created["silenceId"] in silences, listed.stdout
    silence = silences[created["silenceId"]]
    assert silence["comment"] == "maintenance from the UI" and silence["createdBy"] == "ui-test"
    assert {"name": "alertname", "value": "UiTestHigh", "isRegex": False, "isEqual": True} in silence["matchers"]
    run_scenario("expire_silence", url, env={"SILENCE_ID": created["silenceId"]})
    listed = subprocess.run(["amtool", "silence", "query", "-o", "json", f"--alertmanager.url={url}"],
                            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert created["silenceId"] not in {s["id"] for s in json.loads(listed.stdout)}
