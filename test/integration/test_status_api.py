"""Prometheus's status endpoints (api_status.cc): /api/v1/status/tsdb
checked against Prometheus's own answer for the same series (but for the
memory estimate, which Prometheus 3 computes otherwise than the 2.42 peer),
and flags, config and runtimeinfo against what the server was started
with."""
import re
import shutil
import subprocess
import time

import pytest
import requests

import remote_write as rw
from conftest import BINARY
from helpers import free_port, start_peer

CONFIG = """global:
  evaluation_interval: 30s
"""


def cardinality_series(now_ms):
    """Series with uneven counts per metric, label and pair, so that the
    top-N lists have a definite order, and a name past the limit."""
    series = []
    for m, count in (("http_requests_total", 12), ("node_cpu_seconds_total", 8), ("up", 3), ("rare", 1)):
        for i in range(count):
            labels = {"__name__": m, "job": "api" if i % 3 else "web", "instance": f"host{i % 5}:9100"}
            if m == "http_requests_total":
                labels["code"] = str(200 + i % 4)
            if m == "node_cpu_seconds_total":
                labels["cpu"] = str(i)
            series.append((labels, [(now_ms - 1000, float(i))]))
    return series


def tsdb(url, **params):
    r = requests.get(url + "/api/v1/status/tsdb", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_tsdb_status_matches_prometheus(tmp_path, server_factory):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/setup.sh (make does it)")
    port = free_port()
    prom_url = f"http://127.0.0.1:{port}"
    (tmp_path / "prom.yml").write_text("global: {}\n")
    proc, log = start_peer(["prometheus", f"--config.file={tmp_path / 'prom.yml'}",
                            f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                            f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                            "--log.level=warn"],
                           prom_url, tmp_path / "prom.log")
    try:
        ours = server_factory()
        now_ms = int(time.time() * 1000)
        for url in (prom_url, ours.url):
            r = rw.write(requests.Session(), url, cardinality_series(now_ms))
            assert r.status_code == 204, r.text
        for limit in (None, 3):
            params = {"limit": limit} if limit else {}
            # Prometheus 2.42 (the peer here) has no `limit` yet: its
            # default ten, cut to the limit, stand for its answer.
            theirs, mine = tsdb(prom_url), tsdb(ours.url, **params)
            theirs.update({k: v[:limit or 10] for k, v in theirs.items() if isinstance(v, list)})
            # Prometheus counts its own series too (none here: it scrapes nothing).
            assert mine["headStats"]["numSeries"] == theirs["headStats"]["numSeries"] == 24
            assert mine["headStats"]["numLabelPairs"] == theirs["headStats"]["numLabelPairs"]
            assert mine["headStats"]["chunkCount"] == theirs["headStats"]["chunkCount"] == 24
            assert mine["headStats"]["minTime"] == theirs["headStats"]["minTime"] == now_ms - 1000
            for key in ("seriesCountByMetricName", "labelValueCountByLabelName", "seriesCountByLabelValuePair"):
                # Prometheus's heap leaves ties in no set order: compare the
                # counts in order, and the names of entries whose count is
                # not tied at the cut.
                assert [e["value"] for e in mine[key]] == [e["value"] for e in theirs[key]], key
                full = len(theirs[key]) == (limit or 10)
                last = theirs[key][-1]["value"] if full else None
                assert ({(e["name"], e["value"]) for e in mine[key] if e["value"] != last} ==
                        {(e["name"], e["value"]) for e in theirs[key] if e["value"] != last}), key
            assert len(mine["seriesCountByMetricName"]) == (limit or 4)
            # Prometheus 3's estimate (its labels.SizeOfLabels: both strings
            # and their 16-byte headers, per series); 2.42, the peer here,
            # summed the distinct values' lengths instead.
            size = {}
            for labels, _ in cardinality_series(now_ms):
                for name, value in labels.items():
                    size[name] = size.get(name, 0) + len(name) + 16 + len(value) + 16
            expected = sorted(size.items(), key=lambda e: (-e[1], e[0]))[:limit or 10]
            assert [(e["name"], e["value"]) for e in mine["memoryInBytesByLabelName"]] == expected
        assert tsdb(ours.url)["seriesCountByMetricName"][0] == {"name": "http_requests_total", "value": 12}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_tsdb_status_refuses_a_bad_limit(server):
    for limit, message in (("0", "limit must be a positive number"), ("x", "limit must be a positive number"),
                           ("10001", "limit must not exceed 10000")):
        r = server.get("/api/v1/status/tsdb", params={"limit": limit})
        assert r.status_code == 400 and r.json()["error"] == message, (limit, r.text)
    assert server.get("/api/v1/status/tsdb", params={"limit": "10000"}).status_code == 200


def serve_flags():
    """The long options of `mytsdb serve --help`."""
    out = subprocess.run([str(BINARY), "serve", "--help"], capture_output=True, text=True, timeout=30).stdout
    return set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z0-9.-]*)", out, re.M)) - {"help"}


def test_flags_config_and_runtimeinfo(tmp_path, server_factory):
    config = tmp_path / "config.yml"
    config.write_text(CONFIG)
    server = server_factory(extra_args=["--config", str(config), "--retention", "30d", "--retention-size", "10GiB",
                                        "--web.enable-lifecycle", "--query.timeout", "90s"])
    flags = server.get("/api/v1/status/flags").json()["data"]
    # Every flag of `serve`, none more, each with its effective value.
    assert set(flags) == serve_flags()
    assert flags["retention"] == "30d" and flags["retention-size"] == "10GiB"
    assert flags["query.timeout"] == "1m30s" and flags["web.enable-lifecycle"] == "true"
    assert flags["config"] == str(config) and flags["wal-fsync"] == "interval"
    assert flags["listen"] == "127.0.0.1:0" and flags["query.max-samples"] == "50000000"

    assert server.get("/api/v1/status/config").json()["data"] == {"yaml": CONFIG}
    info = server.get("/api/v1/status/runtimeinfo").json()["data"]
    assert info["storageRetention"] == "30d or 10GiB" and info["reloadConfigSuccess"] is True
    assert info["threadCount"] > 4 and info["cpuCount"] >= 1 and info["CWD"]
    started = info["startTime"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", started), started

    # A reload reads the file again; a failed one says so and keeps the text.
    changed = CONFIG.replace("30s", "15s")
    config.write_text(changed)
    assert server.post("/-/reload").status_code == 200
    assert server.get("/api/v1/status/config").json()["data"]["yaml"] == changed
    config.write_text("global: [\n")
    assert server.post("/-/reload").status_code == 500
    info = server.get("/api/v1/status/runtimeinfo").json()["data"]
    assert info["reloadConfigSuccess"] is False and info["startTime"] == started
    assert server.get("/api/v1/status/config").json()["data"]["yaml"] == changed


def test_without_a_config_file(server):
    assert server.get("/api/v1/status/config").json()["data"] == {"yaml": ""}
    flags = server.get("/api/v1/status/flags").json()["data"]
    assert flags["config"] == "" and flags["retention"] == "15d"
    assert server.get("/api/v1/status/runtimeinfo").json()["data"]["storageRetention"] == "15d"
