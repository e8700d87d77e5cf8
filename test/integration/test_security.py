"""TLS and basic authentication as Prometheus users configure them
(--web.config.file in exporter-toolkit's format), checked with real clients:
a Prometheus server remote-writing over TLS with basic auth, promtool
querying an https://user:password@ URL, and curl. Certificates are made at
test time with openssl; everything listens on 127.0.0.1."""
import os
import re
import shutil
import socket
import subprocess
import time

import bcrypt
import pytest
import requests

from conftest import BINARY, Server

PASSWORD = "s3cret-for-tests"


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, **kw)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1/localhost and a client
    certificate, all signed by the CA."""
    d = tmp_path_factory.mktemp("pki")

    def sh(*args):
        r = run("openssl", *args, cwd=d)
        assert r.returncode == 0, r.stderr

    sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", "ca.key",
       "-out", "ca.pem", "-subj", "/CN=MyTSDB test CA")
    for name, san in (("server", "IP:127.0.0.1,DNS:localhost"), ("client", "DNS:writer.example")):
        sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
           "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        sh("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext")
    return d


def web_config(path, pki, password=PASSWORD, extra_tls=""):
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(10)).decode()
    path.write_text(f"""tls_server_config:
  cert_file: {pki / 'server.pem'}
  key_file: {pki / 'server.key'}
{extra_tls}basic_auth_users:
  alice: {hashed}
http_server_config:
  headers:
    X-Frame-Options: deny
""")


@pytest.fixture
def secure(server_factory, tmp_path, pki):
    config = tmp_path / "web.yml"
    web_config(config, pki)
    server = Server(tmp_path / "data", ["--web.config.file", str(config), "--retention", "100y"])
    # The conftest's readiness probe speaks plain HTTP: wait differently.
    server.start(wait_ready=False)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"https://127.0.0.1:{server.port}/-/ready", verify=str(pki / "ca.pem"),
                            auth=("alice", PASSWORD), timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.1)
    yield server, config
    server.stop()


def test_curl_needs_tls_and_the_right_password(secure, pki):
    server, _ = secure
    url = f"https://127.0.0.1:{server.port}/api/v1/labels"
    ok = run("curl", "-sS", "--cacert", str(pki / "ca.pem"), "-u", f"alice:{PASSWORD}", "-D", "-", url)
    assert ok.returncode == 0 and " 200" in ok.stdout.splitlines()[0], ok.stdout + ok.stderr
    assert "x-frame-options: deny" in ok.stdout.lower()
    wrong = run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(pki / "ca.pem"),
                "-u", "alice:wrong", url)
    assert wrong.stdout == "401"
    nobody = run("curl", "-sS", "-D", "-", "-o", "/dev/null", "--cacert", str(pki / "ca.pem"), url)
    assert " 401" in nobody.stdout and "www-authenticate: basic" in nobody.stdout.lower()
    # Plain HTTP to the TLS port gets no HTTP answer at all.
    plain = run("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-u", f"alice:{PASSWORD}",
                f"http://127.0.0.1:{server.port}/api/v1/labels")
    assert plain.stdout in ("000", "") and plain.returncode != 0, plain
    # A client that does not trust the server's CA refuses the connection.
    untrusted = run("curl", "-sS", "-u", f"alice:{PASSWORD}", url)
    assert untrusted.returncode != 0


def test_the_web_ui_is_behind_tls_and_basic_auth(secure, pki):
    """The UI's page and its assets ask for the password as the API does
    (build/ui, which `make build` fills, is the default UI directory)."""
    server, _ = secure
    base = f"https://127.0.0.1:{server.port}"
    ca = str(pki / "ca.pem")
    assert requests.get(base + "/query", verify=ca, timeout=10).status_code == 401
    page = requests.get(base + "/query", verify=ca, auth=("alice", PASSWORD), timeout=10)
    assert page.status_code == 200 and "<base href=\"/\">" in page.text, page.text[:200]
    asset = re.search(r'src="(assets/app-[^"]+\.js)"', page.text).group(1)
    assert requests.get(f"{base}/{asset}", verify=ca, timeout=10).status_code == 401
    assert requests.get(f"{base}/{asset}", verify=ca, auth=("alice", PASSWORD), timeout=10).status_code == 200


def test_prometheus_remote_writes_over_tls_with_basic_auth_and_promtool_reads(secure, pki, tmp_path):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/setup.sh (make does it)")
    server, _ = secure
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        prom_port = s.getsockname()[1]
    (tmp_path / "prometheus.yml").write_text(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:{prom_port}']
remote_write:
  - url: https://127.0.0.1:{server.port}/api/v1/write
    basic_auth:
      username: alice
      password: {PASSWORD}
    tls_config:
      ca_file: {pki / 'ca.pem'}
    queue_config:
      batch_send_deadline: 1s
""")
    log = open(tmp_path / "prometheus.log", "wb")
    prom = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'prom'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        env = dict(os.environ, SSL_CERT_FILE=str(pki / "ca.pem"))
        url = f"https://alice:{PASSWORD}@127.0.0.1:{server.port}"
        deadline = time.time() + 60
        out = None
        while time.time() < deadline:
            out = run("promtool", "query", "instant", url, 'up{job="self"}', env=env)
            if out.returncode == 0 and "=> 1" in out.stdout:
                break
            time.sleep(1)
        assert out is not None and out.returncode == 0 and "=> 1" in out.stdout, \
            (out.stdout, out.stderr, (tmp_path / "prometheus.log").read_text()[-2000:])
        # promtool with a wrong password is refused.
        bad = run("promtool", "query", "instant", f"https://alice:nope@127.0.0.1:{server.port}", "up",
                  env=env)
        assert bad.returncode != 0 and "401" in (bad.stdout + bad.stderr)
    finally:
        prom.terminate()
        prom.wait(timeout=30)


def test_web_config_is_reloaded_when_it_changes(secure, pki):
    server, config = secure
    ca = str(pki / "ca.pem")
    url = f"https://127.0.0.1:{server.port}/api/v1/labels"
    assert requests.get(url, verify=ca, auth=("alice", PASSWORD), timeout=5).status_code == 200
    web_config(config, pki, password="another-password")
    deadline = time.time() + 10
    while time.time() < deadline:
        if requests.get(url, verify=ca, auth=("alice", "another-password"), timeout=5).status_code == 200:
            break
        time.sleep(0.2)
    assert requests.get(url, verify=ca, auth=("alice", "another-password"), timeout=5).status_code == 200
    assert requests.get(url, verify=ca, auth=("alice", PASSWORD), timeout=5).status_code == 401
    # A broken file keeps the last good configuration.
    config.write_text("basic_auth_users:\n  alice: not-a-hash\n")
    time.sleep(1.5)
    assert requests.get(url, verify=ca, auth=("alice", "another-password"), timeout=5).status_code == 200


def test_client_certificates_when_required(tmp_path, pki):
    config = tmp_path / "web.yml"
    web_config(config, pki, extra_tls=f"""  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {pki / 'ca.pem'}
  client_allowed_sans: [writer.example]
""")
    server = Server(tmp_path / "data", ["--web.config.file", str(config)]).start(wait_ready=False)
    try:
        url = f"https://127.0.0.1:{server.port}/-/healthy"
        base = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", str(pki / "ca.pem"),
                "-u", f"alice:{PASSWORD}"]
        deadline = time.time() + 20
        with_cert = None
        while time.time() < deadline:
            with_cert = run(*base, "--cert", str(pki / "client.pem"), "--key", str(pki / "client.key"), url)
            if with_cert.stdout == "200":
                break
            time.sleep(0.2)
        assert with_cert.stdout == "200", with_cert
        without = run(*base, url)
        assert without.stdout != "200" and without.returncode != 0
        # A certificate of the CA whose SAN is not allowed is refused too.
        wrong_san = run(*base, "--cert", str(pki / "server.pem"), "--key", str(pki / "server.key"), url)
        assert wrong_san.stdout != "200"
    finally:
        server.stop()


def test_a_bad_web_config_stops_the_start_with_a_message(tmp_path, pki):
    config = tmp_path / "web.yml"
    config.write_text(f"tls_server_config:\n  cert_file: {pki / 'server.pem'}\n  key_file: {pki / 'client.key'}\n")
    out = run(str(BINARY), "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
              "--web.config.file", str(config))
    assert out.returncode != 0
    assert "does not match" in out.stderr or "does not match" in out.stdout, out.stderr + out.stdout
    config.write_text("basic_auth_users:\n  alice: plaintext\n")
    out = run(str(BINARY), "serve", "--data-dir", str(tmp_path / "d"), "--listen", "127.0.0.1:0",
              "--web.config.file", str(config))
    assert out.returncode != 0 and "bcrypt" in (out.stderr + out.stdout)


def test_scraping_a_target_over_tls_with_basic_auth(secure, pki, server_factory, tmp_path):
    """One MyTSDB scrapes another's /metrics over https (tls_config with the
    CA, basic_auth), as Prometheus scrapes a secured exporter; without the
    password, or without the CA, the target is down with the reason."""
    target, _ = secure
    address = f"127.0.0.1:{target.port}"
    common = {"scheme": "https", "static_configs": [{"targets": [address]}]}
    import yaml
    config = tmp_path / "scrape.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
        "scrape_configs": [
            {"job_name": "secured", **common, "tls_config": {"ca_file": str(pki / "ca.pem")},
             "basic_auth": {"username": "alice", "password": PASSWORD}},
            {"job_name": "no_password", **common, "tls_config": {"ca_file": str(pki / "ca.pem")}},
            {"job_name": "unknown_ca", **common, "basic_auth": {"username": "alice", "password": PASSWORD}},
        ]}))
    scraper = server_factory(data_dir=tmp_path / "scraper", extra_args=["--config", str(config)])

    def targets():
        active = scraper.get("/api/v1/targets").json()["data"]["activeTargets"]
        return {t["scrapePool"]: t for t in active if t["health"] != "unknown"}
    deadline = time.time() + 20
    while len(targets()) < 3 and time.time() < deadline:
        time.sleep(0.2)
    got = targets()
    assert got["secured"]["health"] == "up", got["secured"]
    assert got["no_password"]["health"] == "down"
    assert got["no_password"]["lastError"] == "server returned HTTP status 401 Unauthorized"
    assert got["unknown_ca"]["health"] == "down" and got["unknown_ca"]["lastError"] != ""
    body = scraper.get("/api/v1/query", params={"query": 'mytsdb_http_requests_total{job="secured"}'}).json()
    assert body["data"]["result"], body
