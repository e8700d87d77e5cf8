"""Alerts from MyTSDB's rules through a real Alertmanager (Debian's
prometheus-alertmanager 0.25, on 127.0.0.1) to a webhook in this test:
the alert arrives firing with its labels, the external labels, its
annotations and a generator URL; amtool lists it; once the condition
clears it arrives resolved.
"""
import json
import shutil
import subprocess
import time

import pytest

import remote_write as rw
from helpers import PostRecorder, free_port, start_peer, wait_for

RULES = """groups:
  - name: node
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 2s
        labels: {severity: page}
        annotations:
          summary: '{{ $labels.instance }} of {{ $labels.job }} is down'
"""


class Hook(PostRecorder):
    """A webhook receiver: the notifications Alertmanager posts."""

    def alerts(self, status):
        return [a for _, n in self.bodies for a in n["alerts"] if a["status"] == status]


@pytest.fixture
def alertmanager(tmp_path):
    binary = shutil.which("prometheus-alertmanager")
    if binary is None:
        pytest.fail("prometheus-alertmanager is not installed: run scripts/setup.sh (make does it)")
    hook = Hook()
    (tmp_path / "am.yml").write_text(f"""route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:{hook.port}/hook
        send_resolved: true
""")
    port = free_port()
    proc, log = start_peer([binary, f"--config.file={tmp_path / 'am.yml'}", f"--storage.path={tmp_path / 'am-data'}",
                            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                           f"http://127.0.0.1:{port}", tmp_path / "am.log")
    yield port, hook
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
    hook.server.shutdown()


def test_alerts_reach_alertmanager_and_resolve(alertmanager, server_factory, tmp_path):
    am_port, hook = alertmanager
    (tmp_path / "rules.yml").write_text(RULES)
    (tmp_path / "mytsdb.yml").write_text(f"""global:
  evaluation_interval: 1s
  external_labels: {{region: eu}}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:{am_port}']
""")
    server = server_factory(extra_args=["--config", str(tmp_path / "mytsdb.yml"),
                                        "--web.external-url", "http://mytsdb.example:9663/"])

    def write(value):
        now = int(time.time() * 1000)
        r = rw.write(server.http, server.url, [({"__name__": "up", "job": "node", "instance": "b"}, [(now, value)])])
        assert r.status_code == 204

    write(0.0)
    firing = wait_for(lambda: hook.alerts("firing"))[0]
    assert firing["labels"] == {"alertname": "InstanceDown", "instance": "b", "job": "node", "region": "eu",
                                "severity": "page"}
    assert firing["annotations"] == {"summary": "b of node is down"}
    assert firing["generatorURL"] == "http://mytsdb.example:9663/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    assert firing["startsAt"].startswith(time.strftime("%Y-%m-%d", time.gmtime()))

    out = subprocess.run(["amtool", "alert", "query", f"--alertmanager.url=http://127.0.0.1:{am_port}", "-o", "json"],
                         capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [a["labels"]["alertname"] for a in listed] == ["InstanceDown"]

    write(1.0)
    resolved = wait_for(lambda: hook.alerts("resolved"))[0]
    assert resolved["labels"] == firing["labels"]
    assert server.metric("prometheus_notifications_sent_total",
                         {"alertmanager": f"http://127.0.0.1:{am_port}/api/v2/alerts"}) >= 2
    assert server.metric("prometheus_notifications_dropped_total") == 0
