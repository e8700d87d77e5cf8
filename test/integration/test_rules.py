"""Rule evaluation in the server: Prometheus's `global` and `rule_files`
sections of the config, recording rules written into the head (queryable by
PromQL), alerts through pending and firing with expanded annotations,
ALERTS series, /api/v1/rules and /api/v1/alerts in Prometheus's JSON,
reloads by /-/reload and SIGHUP (a bad file keeps the old rules), and a bad
rule file refusing the start.

Rule groups evaluate every second here, so the test waits seconds, not
minutes.
"""
import signal
import time

import remote_write as rw
from helpers import PostRecorder, wait_for

RULES = """groups:
  - name: node
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
      - alert: InstanceDown
        expr: up == 0
        for: 2s
        labels:
          severity: '{{ if eq $labels.instance "b:9100" }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.instance | stripPort }} of {{ $labels.job }} is down (value {{ $value }}) in {{ $externalLabels.region }}'
"""


def write_config(tmp_path, rules=RULES):
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "node.yml").write_text(rules)
    config = tmp_path / "mytsdb.yml"
    config.write_text("global:\n  evaluation_interval: 1s\n  external_labels: {region: eu}\n"
                      "rule_files: ['rules/*.yml']\n")
    return config


def ingest_up(server):
    now = int(time.time() * 1000)
    series = [({"__name__": "up", "job": "node", "instance": "a:9100"}, [(now, 1.0)]),
              ({"__name__": "up", "job": "node", "instance": "b:9100"}, [(now, 0.0)])]
    assert rw.write(server.http, server.url, series).status_code == 204


def query(server, q):
    r = server.get("/api/v1/query", params={"query": q})
    assert r.status_code == 200, r.text
    return r.json()["data"]["result"]


def test_rules_record_alert_and_report(server_factory, tmp_path):
    config = write_config(tmp_path)
    server = server_factory(extra_args=["--config", str(config), "--web.enable-lifecycle"])
    ingest_up(server)

    recorded = wait_for(lambda: query(server, "job:up:sum"))
    assert recorded[0]["metric"] == {"__name__": "job:up:sum", "job": "node"}
    assert float(recorded[0]["value"][1]) == 1

    def firing():
        alerts = server.get("/api/v1/alerts").json()["data"]["alerts"]
        return [a for a in alerts if a["state"] == "firing"]
    alerts = wait_for(firing)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["labels"] == {"alertname": "InstanceDown", "instance": "b:9100", "job": "node", "severity": "page"}
    assert alert["annotations"] == {"summary": "b of node is down (value 0) in eu"}
    assert alert["value"] == "0e+00"
    assert alert["activeAt"].endswith("Z")

    firing_series = wait_for(lambda: query(server, 'ALERTS{alertstate="firing"}'))
    assert firing_series[0]["metric"]["alertname"] == "InstanceDown"
    for_state = query(server, "ALERTS_FOR_STATE")
    assert len(for_state) == 1 and float(for_state[0]["value"][1]) > 1.6e9

    rules = server.get("/api/v1/rules").json()["data"]["groups"]
    assert len(rules) == 1
    group = rules[0]
    assert group["name"] == "node" and group["file"].endswith("rules/node.yml") and group["interval"] == 1
    recording, alerting = group["rules"]
    assert recording["type"] == "recording" and recording["name"] == "job:up:sum"
    assert recording["query"] == "sum by (job) (up)" and recording["health"] == "ok"
    assert alerting["type"] == "alerting" and alerting["state"] == "firing" and alerting["duration"] == 2
    assert alerting["labels"] == {"severity": '{{ if eq $labels.instance "b:9100" }}page{{ else }}ticket{{ end }}'}
    assert len(alerting["alerts"]) == 1
    only_alerts = server.get("/api/v1/rules", params={"type": "alert"}).json()["data"]["groups"][0]["rules"]
    assert [r["name"] for r in only_alerts] == ["InstanceDown"]
    assert server.get("/api/v1/rules", params={"type": "nope"}).status_code == 400
    assert server.metric("prometheus_rule_group_rules", {"rule_group": group["file"] + ";node"}) == 2
    assert server.metric("prometheus_rule_evaluation_failures_total", {"rule_group": group["file"] + ";node"}) == 0

    # A bad rule file: the reload fails, naming the problem, and the rules
    # keep running.
    (tmp_path / "rules" / "bad.yml").write_text("groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: up +\n")
    r = server.post("/-/reload")
    assert r.status_code == 500 and "bad.yml: 5:15: group \"bad\", rule 1, \"x\": could not parse expression" in r.text
    before = server.get("/api/v1/rules").json()["data"]["groups"][0]["lastEvaluation"]
    wait_for(lambda: server.get("/api/v1/rules").json()["data"]["groups"][0]["lastEvaluation"] != before)

    # Fixed, and by SIGHUP: the new group runs.
    (tmp_path / "rules" / "bad.yml").write_text("groups:\n  - name: extra\n    rules:\n      - record: up:count\n        expr: count(up)\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: query(server, "up:count"))
    names = [g["name"] for g in server.get("/api/v1/rules").json()["data"]["groups"]]
    assert sorted(names) == ["extra", "node"]


def test_a_bad_rule_file_stops_the_start(server_factory, tmp_path):
    config = write_config(tmp_path, rules="groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up ==\n")
    server = server_factory(extra_args=["--config", str(config)], start=False)
    try:
        server.start(timeout=15)
    except RuntimeError:
        pass
    assert server.proc.wait(timeout=15) == 1
    log = server.log_path.read_text()
    assert "rules: invalid rule file:" in log and "node.yml" in log and "could not parse expression" in log


def test_no_rules_means_empty_lists(server_factory):
    server = server_factory()
    assert server.get("/api/v1/rules").json() == {"status": "success", "data": {"groups": []}}
    assert server.get("/api/v1/alerts").json() == {"status": "success", "data": {"alerts": []}}


def test_firing_alerts_are_restored_after_a_restart(server_factory, tmp_path):
    config = write_config(tmp_path)
    args = ["--config", str(config), "--rules.alert.for-grace-period", "1s"]
    data = tmp_path / "data"
    server = server_factory(data_dir=data, extra_args=args)
    ingest_up(server)

    def firing(s):
        alerts = s.get("/api/v1/alerts").json()["data"]["alerts"]
        return [a for a in alerts if a["state"] == "firing"]
    before = wait_for(lambda: firing(server))[0]
    time.sleep(2)  # a few more ALERTS_FOR_STATE samples
    assert server.stop() == 0

    again = server_factory(data_dir=data, extra_args=args)
    # Restored after the second evaluation, firing at the next with the
    # activeAt of before the restart (to the second, as ALERTS_FOR_STATE
    # holds it); a fresh alert would be active since the restart.
    alert = wait_for(lambda: firing(again))[0]
    assert alert["labels"] == before["labels"]
    assert alert["activeAt"][:19] == before["activeAt"][:19], (alert, before)


def alerting_config(tmp_path, port, relabel):
    config = write_config(tmp_path)
    config.write_text(config.read_text() +
                      "alerting:\n"
                      f"  alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{port}']}}]}}]\n"
                      f"  alert_relabel_configs:\n{relabel}")
    return config


def test_alert_relabel_configs_and_reloading_the_alerting_section(server_factory, tmp_path):
    """alert_relabel_configs change and drop alerts before they are sent; a
    reload that changes the alerting section sends to the new Alertmanager,
    and one that does not load changes nothing and says so in /metrics."""
    first, second = PostRecorder(), PostRecorder()
    relabel = ("    - {target_label: team, replacement: infra}\n"
               "    - {source_labels: [severity], regex: ticket, action: drop}\n")
    config = alerting_config(tmp_path, first.port, relabel)
    server = server_factory(extra_args=["--config", str(config), "--web.enable-lifecycle",
                                        "--rules.alert.resend-delay", "1s"])
    now = int(time.time() * 1000)
    down = [({"__name__": "up", "job": "node", "instance": i}, [(now, 0.0)]) for i in ("a:9100", "b:9100")]
    assert rw.write(server.http, server.url, down).status_code == 204

    def sent(recorder):
        return {a["labels"]["instance"]: a["labels"] for _, body in recorder.bodies for a in body}
    # a:9100 is severity=ticket: dropped; b:9100 goes, with team=infra.
    wait_for(lambda: "b:9100" in sent(first))
    time.sleep(2)  # resent at least once by now
    assert set(sent(first)) == {"b:9100"}
    assert sent(first)["b:9100"] == {"alertname": "InstanceDown", "instance": "b:9100", "job": "node",
                                     "region": "eu", "severity": "page", "team": "infra"}
    assert server.metric("prometheus_config_last_reload_successful") == 1

    # Another Alertmanager, and no dropping: both alerts go there.
    alerting_config(tmp_path, second.port, "    - {target_label: team, replacement: db}\n")
    assert server.post("/-/reload").status_code == 200
    wait_for(lambda: set(sent(second)) == {"a:9100", "b:9100"})
    assert sent(second)["a:9100"]["team"] == "db"

    # A relabel config that does not load: refused, the old one kept.
    alerting_config(tmp_path, first.port, "    - {action: nope}\n")
    r = server.post("/-/reload")
    assert r.status_code == 500 and "unknown relabel action" in r.text and "nope" in r.text, r.text
    assert server.metric("prometheus_config_last_reload_successful") == 0
    count = len(second.bodies)
    wait_for(lambda: len(second.bodies) > count)


def test_routes_under_the_external_urls_path(server_factory, tmp_path):
    """As Prometheus: every route is served under --web.route-prefix, which
    defaults to the path of --web.external-url; templates see both."""
    rules = ("groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1)\n"
             "        annotations: {where: '{{ externalURL }} {{ pathPrefix }}'}\n")
    config = write_config(tmp_path, rules=rules)
    server = server_factory(extra_args=["--config", str(config), "--web.external-url", "http://proxy.example:8080/tsdb"],
                            start=False)
    server.start(wait_ready=False)
    wait_for(lambda: server.http.get(server.url + "/tsdb/-/ready", timeout=2).status_code == 200)
    assert server.get("/api/v1/query", params={"query": "1"}).status_code == 404
    assert server.get("/tsdb/api/v1/query", params={"query": "1"}).status_code == 200
    assert rw.write(server.http, server.url + "/tsdb", [({"__name__": "x"}, [(int(time.time() * 1000), 1.0)])]).status_code == 204
    assert server.get("/tsdb/api/v1/query", params={"query": "x"}).json()["data"]["result"]
    alerts = wait_for(lambda: server.get("/tsdb/api/v1/alerts").json()["data"]["alerts"])
    assert alerts[0]["annotations"]["where"] == "http://proxy.example:8080/tsdb /tsdb"

    # An explicit prefix wins: the root here, behind a proxy that strips it.
    root = server_factory(extra_args=["--web.external-url", "http://proxy.example:8080/tsdb",
                                      "--web.route-prefix", "/"])
    assert root.get("/api/v1/query", params={"query": "1"}).status_code == 200
    assert root.get("/tsdb/api/v1/query", params={"query": "1"}).status_code == 404
