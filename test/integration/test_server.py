"""Process-level behaviour: flags, config, health, metrics, lock, signals."""
import signal
import socket
import subprocess

import pytest

import remote_write as rw
from conftest import BINARY, Server

T0 = 1_700_000_000_000
# The data is from 2023: retention counts back from the clock, so keep it all.
SERVER_ARGS = ["--retention", "100y"]


def run(*args):
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def test_help_explains_every_flag():
    out = run("serve", "--help")
    assert out.returncode == 0
    for flag in ["--data-dir", "--listen", "--config", "--wal-fsync", "--wal-fsync-interval",
                 "--wal-segment-size", "--block-duration", "--max-write-body-size",
                 "--max-write-decompressed-size", "--name-validation", "--http-threads",
                 "--log-level"]:
        assert flag in out.stdout, flag
    assert "9663" in out.stdout  # the default port is documented
    top = run("--help")
    assert top.returncode == 0 and "serve" in top.stdout


@pytest.mark.parametrize("args,words", [
    (["--wal-fsync", "sometimes"], "invalid WAL fsync mode"),
    (["--listen", "nowhere"], "expected HOST:PORT"),
    (["--block-duration", "2 hours"], "invalid duration"),
    (["--name-validation", "ascii"], "invalid name validation scheme"),
    (["--config", "/nonexistent/mytsdb.yml"], "/nonexistent/mytsdb.yml"),
])
def test_bad_flags_exit_non_zero_with_one_line(tmp_path, args, words):
    out = run("serve", "--data-dir", str(tmp_path / "d"), *args)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], out.stderr


def test_health_ready_and_metrics(server):
    assert server.get("/-/healthy").status_code == 200
    assert server.get("/-/ready").status_code == 200
    r = rw.write(server.http, server.url, [({"__name__": "m"}, [(T0, 1.0)])])
    assert r.status_code == 204
    text = server.get("/metrics").text
    for name in ["mytsdb_ingest_samples_total 1", "mytsdb_ingest_series_created_total 1",
                 "mytsdb_head_series 1", "mytsdb_wal_bytes_written_total",
                 "mytsdb_wal_fsyncs_total", "process_resident_memory_bytes",
                 'mytsdb_http_requests_total{handler="/api/v1/write",code="204"} 1',
                 'mytsdb_http_request_duration_seconds_count{handler="/api/v1/write"} 1',
                 "# TYPE mytsdb_http_request_duration_seconds histogram"]:
        assert name in text, name
    assert server.metric("mytsdb_wal_bytes_written_total") > 0


def test_unknown_path_is_404(server):
    assert server.get("/api/v1/nope").status_code == 404


def test_second_process_on_same_data_dir_refuses(server_factory):
    first = server_factory()
    out = run("serve", "--data-dir", str(first.data_dir), "--listen", "127.0.0.1:0")
    assert out.returncode != 0
    assert "in use by another MyTSDB process" in out.stderr
    assert f"pid {first.proc.pid}" in out.stderr
    assert first.get("/-/healthy").status_code == 200


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = run("serve", "--data-dir", str(tmp_path / "d"), "--listen", f"127.0.0.1:{port}")
    assert out.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_on_signal_keeps_data(server, sig):
    assert rw.write(server.http, server.url, [({"__name__": "m"}, [(T0, 42.0)])]).status_code == 204
    assert server.stop(sig) == 0
    log = server.log_path.read_text()
    assert "shutting down" in log and "stopped" in log
    server.start()
    got = rw.export(server.http, server.url, "m", hex_values=False)
    assert got == {frozenset({"__name__": "m"}.items()): [(T0, 42)]}


def test_config_file_with_flag_override(tmp_path):
    cfg = tmp_path / "mytsdb.yml"
    cfg.write_text(f"data_dir: {tmp_path / 'from-config'}\nwal:\n  fsync: always\n"
                   "remote_write:\n  name_validation: legacy\n")
    s = Server(tmp_path / "from-flag", ["--config", str(cfg), "--name-validation", "utf8", *SERVER_ARGS])
    try:
        s.start()
        # The flag wins over the file for the name scheme and the data dir...
        r = rw.write(s.http, s.url, [({"__name__": "a.b"}, [(T0, 1.0)])])
        assert r.status_code == 204, r.text
        assert (tmp_path / "from-flag" / "wal").is_dir()
        assert not (tmp_path / "from-config").exists()
        # ...and the file's fsync mode applies: one fsync per acknowledged write.
        assert s.metric("mytsdb_wal_fsyncs_total") >= 1
    finally:
        s.stop()


def test_unknown_config_key_is_an_error(tmp_path):
    cfg = tmp_path / "bad.yml"
    cfg.write_text("wal:\n  fsynk: always\n")
    out = run("serve", "--config", str(cfg), "--data-dir", str(tmp_path / "d"))
    assert out.returncode != 0
    assert 'unknown configuration key "wal.fsynk"' in out.stderr


@pytest.mark.parametrize("args, message", [
    (["--query.threads", "-1"], "--query.threads must not be negative"),
    (["--query.max-concurrency", "-3"], "--query.max-concurrency must be positive"),
    (["--http-threads", "-2"], "--http-threads must be positive"),
    (["--web.max-connections", "-1"], "--web.max-connections must be positive"),
    (["--max-block-duration", "-1h"], '--max-block-duration: invalid duration "-1h"'),
])
def test_bad_query_pool_settings_are_refused(tmp_path, args, message):
    out = run("serve", "--data-dir", str(tmp_path / "d"), *args)
    assert out.returncode != 0
    assert message in out.stderr
    assert not (tmp_path / "d").exists()
