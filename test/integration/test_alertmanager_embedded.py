"""The built-in Alertmanager inside the server (--alertmanager.config.file):
the rules hand it their alerts in process (no alerting.alertmanagers in
the configuration), it notifies a webhook firing then resolved, amtool
talks to the server's own address, every notification attempt is a row of
the alert history (`alerts` in SQL, kind 'notification'), silences survive
a restart, and a bad Alertmanager file on reload keeps the running one.
"""
import time

import requests

import remote_write as rw
from am_helpers import Recorder, amtool
from helpers import wait_for

RULES = """groups:
  - name: node
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 1s
        labels: {severity: page}
        annotations:
          summary: '{{ $labels.instance }} is down'
"""

AM = """route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:%d/hook'}]
"""


def sql(server, query):
    r = server.get("/api/v1/sql", params={"query": query})
    assert r.status_code == 200, r.text
    return r.json()["data"]["rows"]


def start(server_factory, tmp_path, hook, data_dir=None):
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "am.yml").write_text(AM % hook.port)
    (tmp_path / "mytsdb.yml").write_text("global: {evaluation_interval: 1s, external_labels: {region: eu}}\n"
                                         "rule_files: [rules.yml]\n")
    args = ["--config", str(tmp_path / "mytsdb.yml"), "--alertmanager.config.file", str(tmp_path / "am.yml"),
            "--alert-history.flush-interval", "1s", "--web.external-url", "http://mytsdb.example:9663/",
            "--web.enable-lifecycle"]
    return server_factory(extra_args=args, **({"data_dir": data_dir} if data_dir else {}))


def write_up(server, value):
    now = int(time.time() * 1000)
    r = rw.write(server.http, server.url, [({"__name__": "up", "job": "node", "instance": "b"}, [(now, value)])])
    assert r.status_code == 204


def test_rules_notify_the_builtin_alertmanager(server_factory, tmp_path):
    hook = Recorder()
    server = start(server_factory, tmp_path, hook)
    try:
        write_up(server, 0.0)
        firing = wait_for(lambda: [p for p in hook.posts if p[2]["status"] == "firing"])[0][2]
        alert = firing["alerts"][0]
        assert alert["labels"] == {"alertname": "InstanceDown", "instance": "b", "job": "node", "region": "eu",
                                   "severity": "page"}
        assert alert["annotations"] == {"summary": "b is down"}
        assert alert["generatorURL"] == "http://mytsdb.example:9663/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
        assert firing["externalURL"] == "http://mytsdb.example:9663"
        assert firing["groupKey"] == '{}:{alertname="InstanceDown"}'

        rc, out, err = amtool(server.url, "alert", "query")
        assert rc == 0, err
        assert "InstanceDown" in out and "b is down" in out

        write_up(server, 1.0)
        wait_for(lambda: [p for p in hook.posts if p[2]["status"] == "resolved"])
        assert server.metric("prometheus_notifications_sent_total", {"alertmanager": "built-in"}) >= 2
        assert server.metric("alertmanager_notifications_total", {"integration": "webhook"}) >= 2

        def notifications():
            rows = sql(server, "SELECT state, previous_state, receiver, integration, rule, group_name "
                               "FROM alerts WHERE kind = 'notification' ORDER BY time")
            return rows if len(rows) >= 2 else None
        rows = wait_for(notifications)
        assert rows[0] == ["sent", "firing", "hook", "webhook[0]", "InstanceDown", '{}:{alertname="InstanceDown"}']
        assert ["sent", "resolved"] == rows[-1][:2]
    finally:
        server.stop()
        hook.close()


def test_failed_attempts_are_recorded_and_retried(server_factory, tmp_path):
    hook = Recorder(status=503)
    server = start(server_factory, tmp_path, hook)
    try:
        write_up(server, 0.0)
        wait_for(lambda: len(hook.posts) >= 2)
        hook.status = 200
        failed = wait_for(lambda: sql(server, "SELECT error FROM alerts WHERE kind = 'notification' "
                                              "AND state = 'failed'"))
        assert "unexpected status code 503" in failed[0][0]
        wait_for(lambda: sql(server, "SELECT count(*) FROM alerts WHERE kind = 'notification' AND state = 'sent'")
                 != [[0]])
        assert server.metric("alertmanager_notification_requests_failed_total", {"integration": "webhook"}) >= 1
    finally:
        server.stop()
        hook.close()


def test_silences_survive_a_restart_and_bad_reload_keeps_config(server_factory, tmp_path):
    hook = Recorder()
    server = start(server_factory, tmp_path, hook)
    data_dir = server.data_dir
    rc, silence_id, err = amtool(server.url, "silence", "add", "alertname=InstanceDown", "--comment=maintenance")
    assert rc == 0, err
    (tmp_path / "am.yml").write_text("route: {receiver: nobody}\nreceivers: [{name: hook}]\n")
    r = requests.post(server.url + "/-/reload", timeout=10)
    assert r.status_code != 200 and 'undefined receiver "nobody"' in r.text
    rc, out, _ = amtool(server.url, "config", "routes")
    assert "receiver: hook" in out
    server.stop()
    (tmp_path / "am.yml").write_text(AM % hook.port)
    server = start(server_factory, tmp_path, hook, data_dir=data_dir)
    try:
        rc, out, _ = amtool(server.url, "silence", "query", "-q")
        assert out.strip() == silence_id.strip()
        # Silenced: the firing alert is not notified.
        write_up(server, 0.0)
        wait_for(lambda: requests.get(server.url + "/api/v2/alerts", timeout=10).json())
        time.sleep(3)
        assert hook.posts == []
        state = requests.get(server.url + "/api/v2/alerts", timeout=10).json()[0]["status"]
        assert state["state"] == "suppressed" and state["silencedBy"] == [silence_id.strip()]
    finally:
        server.stop()
        hook.close()
