"""The built-in Alertmanager run alone (`mytsdb alertmanager`), used by the
tools that use Alertmanager: the same amtool session (alerts added and
queried, silences added, queried, expired, imported, routes shown) gives
the same output against it as against Alertmanager 0.25, times and IDs
aside; a real Prometheus sends its alerts to it; a bad configuration on
reload keeps the running one; and a restart in the middle of a group wait
(SIGKILL) neither loses nor repeats the notification.
"""
import re
import shutil
import signal
import time

import pytest
import requests

from am_helpers import MytsdbAlertmanager, RealAlertmanager, Recorder, amtool, post_alerts
from helpers import free_port, start_peer, wait_for

CONFIG = """
global:
  smtp_auth_password: hunter2
route:
  receiver: team
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 1h
  routes:
    - matchers: [severity=page]
      receiver: pager
receivers:
  - name: team
    webhook_configs: [{url: 'http://127.0.0.1:%d/team'}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:%d/pager'}]
"""

TIMES = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC|\d{4}-\d\d-\d\dT[\d:.]+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def mask(text):
    """Times and silence IDs differ between two runs; the rest must not."""
    return TIMES.sub("*", text)


@pytest.fixture
def pair(tmp_path):
    hook = Recorder()
    (tmp_path / "am.yml").write_text(CONFIG % (hook.port, hook.port))
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "ours")
    theirs = RealAlertmanager(tmp_path / "am.yml", tmp_path / "theirs")
    yield ours, theirs, hook
    ours.stop()
    theirs.stop()
    hook.close()


def session(url, tmp_path):
    """An operator's amtool session; returns each command's masked output."""
    out = []

    def run(*args, stdin=None):
        rc, stdout, stderr = amtool(url, *args, stdin=stdin)
        out.append((mask(" ".join(args)), rc, mask(stdout), mask(stderr.replace(url, "URL"))))
        return stdout

    run("alert", "add", "alertname=DiskFull", "severity=page", "instance=db1", "--annotation=summary=disk is full")
    run("alert", "add", "alertname=HighCpu", "instance=web1", "--annotation=summary=cpu")
    run("alert", "add", "alertname=HighCpu", "instance=web2")
    run("alert", "query")
    run("alert", "query", "alertname=HighCpu")
    run("alert", "query", "instance=~web.*", "--receiver=team")
    silence_id = run("silence", "add", "alertname=HighCpu", "instance=web1", "--comment=maintenance",
                     "--author=ops", "--duration=2h").strip()
    run("silence", "query")
    run("silence", "query", "instance=web1")
    run("alert", "query", "--silenced")
    run("alert", "query", "--active")
    run("alert", "query", "-s", "-a")
    exported = run("silence", "query", "-o", "json")
    run("silence", "update", silence_id, "--comment=longer maintenance")
    run("silence", "query", "-q")
    run("silence", "expire", silence_id)
    run("silence", "query")
    run("silence", "query", "--expired")
    # A silence whose only matcher matches the empty string is refused.
    run("silence", "add", "job=~.*", "--comment=x")
    run("silence", "add", "alertname=X", "--comment=x", "--end=2020-01-01T00:00:00Z")
    run("silence", "import", stdin=exported)
    run("silence", "query")
    run("config", "routes")
    run("config", "routes", "test", "severity=page")
    return out


def test_amtool_session_as_against_alertmanager(pair, tmp_path):
    ours, theirs, hook = pair
    mine = session(ours.url, tmp_path)
    reference = session(theirs.url, tmp_path)
    for m, r in zip(mine, reference):
        assert m == r, f"amtool {m[0]}:\nmytsdb:\n{m[2]}{m[3]}\nalertmanager:\n{r[2]}{r[3]}"
    # The comparison has content: alerts and silences were listed.
    outputs = "".join(r[2] for r in reference)
    assert "DiskFull" in outputs and "maintenance" in outputs and "suppressed" in outputs
    # Both notified the same receivers.
    time.sleep(2)
    paths = sorted({p[1] for p in hook.posts})
    assert paths == ["/pager", "/team"]


def test_config_show_hides_secrets(pair):
    ours, _, _ = pair
    rc, out, _ = amtool(ours.url, "config", "show")
    assert rc == 0
    assert "route:" in out and "receiver: team" in out
    assert "hunter2" not in out and "<secret>" in out
    status = requests.get(ours.url + "/api/v2/status", timeout=10).json()
    assert status["cluster"]["status"] == "disabled"
    assert [r["name"] for r in requests.get(ours.url + "/api/v2/receivers", timeout=10).json()] == ["team", "pager"]


def test_bad_requests_change_nothing(pair):
    ours, theirs, _ = pair
    for url in (ours.url, theirs.url):
        r = requests.post(url + "/api/v2/alerts", data="{not json", timeout=10,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 400
        r = post_alerts(url, [{"labels": {}}, {"labels": {"alertname": "Ok"}}])
        assert r.status_code == 400 and "at least one label pair required" in r.text
        r = requests.get(url + "/api/v2/alerts", params={"filter": "a=~("}, timeout=10)
        assert r.status_code == 400
        assert requests.get(url + "/api/v2/silence/00000000-0000-0000-0000-000000000000", timeout=10).status_code == 404
        # The valid alert of the mixed batch was kept, as Alertmanager does.
        names = [a["labels"]["alertname"] for a in requests.get(url + "/api/v2/alerts", timeout=10).json()]
        assert names == ["Ok"]


def test_prometheus_sends_its_alerts(tmp_path):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/setup.sh (make does it)")
    hook = Recorder()
    (tmp_path / "am.yml").write_text(CONFIG % (hook.port, hook.port))
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    (tmp_path / "rules.yml").write_text("""groups:
  - name: g
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: page}
        annotations: {summary: 'value {{ $value }}'}
""")
    (tmp_path / "prometheus.yml").write_text(f"""global: {{evaluation_interval: 1s, external_labels: {{cluster: c1}}}}
rule_files: ['{tmp_path / "rules.yml"}']
alerting:
  alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{ours.port}']}}]}}]
""")
    port = free_port()
    # Prometheus sends an alert again every resend delay (1m by default);
    # its first send can come before it has found the Alertmanager.
    proc, log = start_peer(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                            f"--storage.tsdb.path={tmp_path / 'prom'}", f"--web.listen-address=127.0.0.1:{port}",
                            "--rules.alert.resend-delay=1s", "--log.level=warn"],
                           f"http://127.0.0.1:{port}", tmp_path / "prom.log")
    try:
        wait_for(lambda: any(p[1] == "/pager" for p in hook.posts), timeout=60)
        body = next(p[2] for p in hook.posts if p[1] == "/pager")
        alert = body["alerts"][0]
        assert alert["labels"] == {"alertname": "AlwaysFiring", "severity": "page", "cluster": "c1"}
        assert alert["annotations"] == {"summary": "value 1"}
        assert alert["generatorURL"].startswith(f"http://") and "/graph?g0.expr=vector%281%29" in alert["generatorURL"]
        assert body["status"] == "firing" and body["groupKey"] == '{}/{severity="page"}:{alertname="AlwaysFiring"}'
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        ours.stop()
        hook.close()


def test_reload_keeps_running_config_on_error(tmp_path):
    hook = Recorder()
    path = tmp_path / "am.yml"
    path.write_text(CONFIG % (hook.port, hook.port))
    ours = MytsdbAlertmanager(path, tmp_path / "am")
    try:
        path.write_text("route: {receiver: nobody}\nreceivers: [{name: team}]\n")
        r = requests.post(ours.url + "/-/reload", timeout=10)
        assert r.status_code == 500 and 'undefined receiver "nobody" used in route' in r.text
        ours.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert ours.proc.poll() is None
        rc, out, _ = amtool(ours.url, "config", "routes")
        assert "receiver: team" in out and "pager" in out
        metrics = requests.get(ours.url + "/metrics", timeout=10).text
        assert "alertmanager_config_last_reload_successful 0" in metrics
        # A good file is taken.
        path.write_text((CONFIG % (hook.port, hook.port)).replace("group_wait: 1s", "group_wait: 2s")
                        .replace("receiver: pager", "receiver: team"))
        assert requests.post(ours.url + "/-/reload", timeout=10).status_code == 200
        rc, out, _ = amtool(ours.url, "config", "routes", "test", "severity=page")
        assert out.strip() == "team"
    finally:
        ours.stop()
        hook.close()


@pytest.mark.parametrize("kill_at", [0.5, 2.5])
def test_restart_in_group_wait_neither_loses_nor_repeats(tmp_path, kill_at):
    """SIGKILL during the group wait (0.5 s) and after the notification
    (2.5 s): after the restart the alert is notified exactly once."""
    hook = Recorder()
    config = (CONFIG % (hook.port, hook.port)).replace("group_wait: 1s", "group_wait: 2s")
    (tmp_path / "am.yml").write_text(config)
    port = free_port()
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am", port=port)
    try:
        assert post_alerts(ours.url, [{"labels": {"alertname": "Once", "severity": "page"}}]).status_code == 200
        # The alerts are written within a second of arriving.
        time.sleep(max(kill_at, 1.2))
        ours.kill()
        before = len(hook.posts)
        ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am", port=port)
        time.sleep(6)
        posts = [p for p in hook.posts if p[1] == "/pager"]
        assert len(posts) == 1, f"{len(posts)} notifications ({before} before the restart)"
        assert posts[0][2]["alerts"][0]["labels"]["alertname"] == "Once"
        names = [a["labels"]["alertname"] for a in requests.get(ours.url + "/api/v2/alerts", timeout=10).json()]
        assert names == ["Once"]
    finally:
        ours.stop()
        hook.close()


def test_damaged_state_refused_with_file_name(tmp_path):
    hook = Recorder()
    (tmp_path / "am.yml").write_text(CONFIG % (hook.port, hook.port))
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    rc, out, _ = amtool(ours.url, "silence", "add", "alertname=X", "--comment=c")
    assert rc == 0
    ours.stop()
    hook.close()
    silences = tmp_path / "am" / "silences"
    silences.write_text(silences.read_text().replace("alertname", "alertnamf"))
    with pytest.raises(RuntimeError) as e:
        MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    assert str(silences) in str(e.value) and "checksum mismatch" in str(e.value)


def test_notification_attempts_in_a_delta_table(tmp_path):
    """Alone, the Alertmanager keeps its notification attempts in
    STORAGE/alerts, the alert history's table, which any Delta reader
    opens."""
    from deltalake import DeltaTable
    hook = Recorder()
    (tmp_path / "am.yml").write_text(CONFIG % (hook.port, hook.port))
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    try:
        assert post_alerts(ours.url, [{"labels": {"alertname": "Disk", "severity": "page"}}]).status_code == 200
        wait_for(lambda: hook.posts)
    finally:
        ours.stop()  # writes what is queued
        hook.close()
    rows = DeltaTable(str(tmp_path / "am" / "alerts")).to_pyarrow_table().to_pylist()
    sent = [r for r in rows if r["kind"] == "notification"]
    assert len(sent) == 1
    assert (sent[0]["state"], sent[0]["previous_state"], sent[0]["receiver"], sent[0]["integration"],
            sent[0]["rule"]) == ("sent", "firing", "pager", "webhook[0]", "Disk")


def test_recurring_silences(tmp_path):
    """MyTSDB's recurring silences: a silence naming time intervals mutes
    only while one of them holds (here one that always holds and one that
    never does); amtool lists them as any silence; an unknown name is
    refused."""
    hook = Recorder()
    (tmp_path / "am.yml").write_text((CONFIG % (hook.port, hook.port)) + """
time_intervals:
  - name: always
    time_intervals: [{years: ['2000:2200']}]
  - name: weekly-maintenance
    time_intervals: [{weekdays: [sunday], times: [{start_time: '02:00', end_time: '04:00'}], years: ['2001']}]
""")
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    try:
        now = time.time()
        window = {"startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                  "endsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 30 * 86400)),
                  "createdBy": "ops", "comment": "recurring"}
        def silence(alertname, intervals):
            return requests.post(ours.url + "/api/v2/silences", timeout=10, json={
                **window, "matchers": [{"name": "alertname", "value": alertname, "isRegex": False}],
                "timeIntervals": intervals})
        r = silence("Inside", ["always"])
        assert r.status_code == 200, r.text
        inside = r.json()["silenceID"]
        assert silence("Outside", ["weekly-maintenance"]).status_code == 200
        r = silence("X", ["nope"])
        assert r.status_code == 400 and 'time interval "nope" is not defined' in r.json()
        assert post_alerts(ours.url, [{"labels": {"alertname": "Inside"}}, {"labels": {"alertname": "Outside"}}]
                           ).status_code == 200
        states = {a["labels"]["alertname"]: a["status"]
                  for a in requests.get(ours.url + "/api/v2/alerts", timeout=10).json()}
        assert states["Inside"] == {"inhibitedBy": [], "silencedBy": [inside], "state": "suppressed"}
        assert states["Outside"]["state"] == "active"
        got = requests.get(ours.url + f"/api/v2/silence/{inside}", timeout=10).json()
        assert got["timeIntervals"] == ["always"]
        rc, out, _ = amtool(ours.url, "silence", "query")
        assert rc == 0 and out.count("recurring") == 2
        # Only the alert outside its window is notified.
        time.sleep(2.5)
        notified = {a["labels"]["alertname"] for p in hook.posts for a in p[2]["alerts"]}
        assert notified == {"Outside"}
    finally:
        ours.stop()
        hook.close()


def test_webhook_http_client_settings(tmp_path):
    """A webhook's http_config: basic auth (password from a file), a bearer
    token, and HTTPS with the server's certificate checked against a CA
    file (a wrong CA fails, and is retried)."""
    import ssl
    import subprocess
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    other = tmp_path / "other.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k2.pem"),
                    "-out", str(other), "-days", "1", "-subj", "/CN=other"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    plain, secure = Recorder(), Recorder(tls_context=context)
    (tmp_path / "password").write_text("s3cret\n")
    (tmp_path / "am.yml").write_text(f"""
route:
  receiver: basic
  group_by: [alertname]
  group_wait: 1s
  routes:
    - {{matchers: [to=bearer], receiver: bearer}}
    - {{matchers: [to=tls], receiver: tls}}
    - {{matchers: [to=badca], receiver: badca}}
receivers:
  - name: basic
    webhook_configs:
      - url: '{plain.url("/basic")}'
        http_config: {{basic_auth: {{username: am, password_file: '{tmp_path / "password"}'}}}}
  - name: bearer
    webhook_configs:
      - url: '{plain.url("/bearer")}'
        http_config: {{bearer_token: tok3n}}
  - name: tls
    webhook_configs:
      - url: '{secure.url("/tls")}'
        http_config: {{tls_config: {{ca_file: '{cert}'}}}}
  - name: badca
    webhook_configs:
      - url: '{secure.url("/badca")}'
        http_config: {{tls_config: {{ca_file: '{other}'}}}}
""")
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    try:
        alerts = [{"labels": {"alertname": n, "to": n}} for n in ("basic", "bearer", "tls", "badca")]
        assert post_alerts(ours.url, alerts).status_code == 200
        wait_for(lambda: len(plain.posts) == 2 and len(secure.posts) == 1)
        headers = {p[1]: p[3] for p in plain.posts}
        import base64
        assert headers["/basic"]["Authorization"] == "Basic " + base64.b64encode(b"am:s3cret").decode()
        assert headers["/bearer"]["Authorization"] == "Bearer tok3n"
        assert headers["/basic"]["User-Agent"].startswith("Alertmanager/")
        assert [p[1] for p in secure.posts] == ["/tls"]
        failed = lambda: 'alertmanager_notification_requests_failed_total{integration="webhook"}' in (
            m := requests.get(ours.url + "/metrics", timeout=10).text) and not re.search(
            r'alertmanager_notification_requests_failed_total\{integration="webhook"\} 0\b', m)
        wait_for(failed)
        assert [p[1] for p in secure.posts] == ["/tls"]  # never delivered with the wrong CA
    finally:
        ours.stop()
        plain.close()
        secure.close()


def test_web_config_basic_auth(tmp_path):
    """Alone, the Alertmanager takes --web.config.file as Alertmanager
    does: without the password every endpoint but the health checks
    answers 401."""
    import bcrypt
    hook = Recorder()
    (tmp_path / "am.yml").write_text(CONFIG % (hook.port, hook.port))
    hashed = bcrypt.hashpw(b"pw", bcrypt.gensalt(rounds=4)).decode()
    (tmp_path / "web.yml").write_text(f"basic_auth_users:\n  ops: '{hashed}'\n")
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am", extra=["--web.config.file", str(tmp_path / "web.yml")])
    try:
        assert requests.get(ours.url + "/api/v2/status", timeout=10).status_code == 401
        assert requests.post(ours.url + "/api/v2/alerts", json=[{"labels": {"a": "b"}}], timeout=10).status_code == 401
        assert requests.get(ours.url + "/api/v2/status", auth=("ops", "pw"), timeout=10).status_code == 200
        assert requests.get(ours.url + "/api/v2/alerts", auth=("ops", "wrong"), timeout=10).status_code == 401
    finally:
        ours.stop()
        hook.close()


def test_dead_receiver_holds_up_only_its_groups(tmp_path):
    """Twenty groups notify a receiver that accepts connections and never
    answers; a group of another receiver is still notified on time (each
    flush runs on its own thread, as Alertmanager's goroutine per group)."""
    import socket
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(64)
    hook = Recorder()
    (tmp_path / "am.yml").write_text(f"""
route:
  receiver: dead
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  routes: [{{matchers: [to=hook], receiver: hook}}]
receivers:
  - name: dead
    webhook_configs: [{{url: 'http://127.0.0.1:{blackhole.getsockname()[1]}/'}}]
  - name: hook
    webhook_configs: [{{url: '{hook.url("/hook")}'}}]
""")
    ours = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "am")
    try:
        assert post_alerts(ours.url, [{"labels": {"alertname": f"D{i}"}} for i in range(20)]).status_code == 200
        time.sleep(1.5)  # the twenty flushes are waiting on the dead receiver
        t0 = time.time()
        assert post_alerts(ours.url, [{"labels": {"alertname": "Live", "to": "hook"}}]).status_code == 200
        wait_for(lambda: hook.posts, timeout=10)
        assert time.time() - t0 < 3.5  # its group wait, and little more
    finally:
        ours.stop()
        hook.close()
        blackhole.close()
