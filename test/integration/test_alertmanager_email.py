"""Email notifications against a local SMTP server (aiosmtpd from PyPI, on
127.0.0.1), MyTSDB's Alertmanager and Alertmanager 0.25 side by side: the
same envelope (sender, recipients), the same Subject, To, From and custom
headers, the same text part; an HTML part from MyTSDB's own default
template (escaped, with every alert); STARTTLS with authentication
(PLAIN and LOGIN); and a server without STARTTLS refused while require_tls
is on.
"""
import email
import email.policy
import ssl
import subprocess
import time

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from am_helpers import MytsdbAlertmanager, RealAlertmanager, post_alerts
from helpers import free_port, wait_for


class Mailbox:
    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append({"from": envelope.mail_from, "to": sorted(envelope.rcpt_tos), "msg": msg})
        return "250 OK"


def authenticator(mailbox):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"am" and auth_data.password == b"s3cret"
        mailbox.logins.append((mechanism, ok))
        return AuthResult(success=ok)
    return check


def start_smtp(mailbox, tls_context=None, only_mechanism=None):
    port = free_port()
    kwargs = {}
    if tls_context is not None:
        kwargs = dict(tls_context=tls_context, require_starttls=True, authenticator=authenticator(mailbox),
                      auth_require_tls=True)
        if only_mechanism:
            kwargs["auth_exclude_mechanism"] = [m for m in ("LOGIN", "PLAIN") if m != only_mechanism]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, port


CONFIG = """
global:
  smtp_smarthost: '127.0.0.1:%(port)d'
  smtp_from: 'Alertmanager <am@example.org>'
  smtp_require_tls: %(require_tls)s
route:
  receiver: mail
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
receivers:
  - name: mail
    email_configs:
      - to: 'ops@example.org, Pager <pager@example.org>'
        send_resolved: true
        headers:
          X-Alert: '{{ .CommonLabels.alertname }} ünïcode'
          Reply-To: 'noc@example.org'
        text: |
          {{ template "email.default.subject" . }}
          {{ range .Alerts }}{{ .Status }} {{ .Labels.instance }}: {{ .Annotations.summary }}
          {{ end }}%(extra)s
"""


def run_pair(tmp_path, config_text, alerts, wait=6, mechanism=None, peers=("ours", "theirs")):
    """Both Alertmanagers with their own SMTP server (the same
    configuration but the port), side by side; returns their mailboxes."""
    boxes, running = [], []
    try:
        for name, cls in (("ours", MytsdbAlertmanager), ("theirs", RealAlertmanager)):
            if name not in peers:
                continue
            box = Mailbox()
            controller, port = start_smtp(box, getattr(run_pair, "tls", None), mechanism)
            running.append(controller)
            path = tmp_path / f"{name}.yml"
            path.write_text(config_text(port))
            running.append(cls(path, tmp_path / f"{name}-data"))
            boxes.append(box)
        for am in running[1::2]:
            assert post_alerts(am.url, alerts).status_code == 200
        time.sleep(wait)
    finally:
        for thing in reversed(running):
            thing.stop()
    return boxes


def part(msg, kind):
    for p in msg.walk():
        if p.get_content_type() == kind:
            return p.get_content()
    return None


ALERTS = [{"labels": {"alertname": "DiskFull", "instance": "db1", "severity": "page"},
           "annotations": {"summary": "disk <b>full</b> & more"}, "generatorURL": "http://prom/graph"},
          {"labels": {"alertname": "DiskFull", "instance": "db2", "severity": "page"},
           "annotations": {"summary": "90%"}}]


def test_plain_smtp_as_alertmanager(tmp_path):
    ours, theirs = run_pair(tmp_path, lambda port: CONFIG % {"port": port, "require_tls": "false", "extra": ""},
                            ALERTS)
    assert len(ours.messages) == len(theirs.messages) == 1
    o, t = ours.messages[0], theirs.messages[0]
    assert o["from"] == t["from"] == "am@example.org"
    assert o["to"] == t["to"] == ["ops@example.org", "pager@example.org"]
    for header in ("Subject", "To", "From", "X-Alert", "Reply-To", "MIME-Version"):
        assert str(o["msg"][header]) == str(t["msg"][header]), header
    assert str(o["msg"]["Subject"]) == "[FIRING:2] DiskFull (page)"
    assert str(o["msg"]["X-Alert"]) == "DiskFull ünïcode"
    assert part(o["msg"], "text/plain") == part(t["msg"], "text/plain")
    assert "firing db1: disk <b>full</b> & more" in part(o["msg"], "text/plain")
    html = part(o["msg"], "text/html")
    assert "disk &lt;b&gt;full&lt;/b&gt; &amp; more" in html and "db2" in html and "2 firing, 0 resolved" in html
    assert part(t["msg"], "text/html") is not None  # Alertmanager's own HTML, not compared


@pytest.fixture
def tls_context(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    run_pair.tls = context
    yield cert
    run_pair.tls = None


AUTH = """        auth_username: am
        auth_password: s3cret
        tls_config: {ca_file: '%s'}
"""


def test_starttls_and_auth_plain(tmp_path, tls_context):
    """STARTTLS with the server's certificate checked against a CA file,
    then AUTH PLAIN, as Alertmanager does it."""
    config = lambda port: (CONFIG % {"port": port, "require_tls": "true", "extra": ""}) + AUTH % tls_context
    ours, theirs = run_pair(tmp_path, config, ALERTS[:1], mechanism="PLAIN")
    assert len(ours.messages) == len(theirs.messages) == 1
    assert ours.logins == theirs.logins == [("PLAIN", True)]
    assert str(ours.messages[0]["msg"]["Subject"]) == str(theirs.messages[0]["msg"]["Subject"])


def test_starttls_and_auth_login(tmp_path, tls_context):
    """AUTH LOGIN. (Alertmanager 0.25 expects the server's challenge to read
    exactly "Username:" and fails against aiosmtpd's "User Name": MyTSDB
    answers the challenges in order, so only it is checked here.)"""
    config = lambda port: (CONFIG % {"port": port, "require_tls": "true", "extra": ""}) + AUTH % tls_context
    (ours,) = run_pair(tmp_path, config, ALERTS[:1], mechanism="LOGIN", peers=("ours",))
    assert len(ours.messages) == 1
    assert ours.logins == [("LOGIN", True)]


def test_require_tls_refuses_plain_server(tmp_path):
    box = Mailbox()
    controller, port = start_smtp(box)
    (tmp_path / "am.yml").write_text(CONFIG % {"port": port, "require_tls": "true", "extra": ""})
    am = MytsdbAlertmanager(tmp_path / "am.yml", tmp_path / "data")
    try:
        assert post_alerts(am.url, ALERTS[:1]).status_code == 200
        failed = lambda: "alertmanager_notification_requests_failed_total{integration=\"email\"} 1" in requests.get(
            am.url + "/metrics", timeout=10).text
        wait_for(failed, timeout=20)
        assert box.messages == []
    finally:
        am.stop()
        controller.stop()
    log = (tmp_path / "data.log").read_text()
    assert "does not advertise the STARTTLS extension" in log
