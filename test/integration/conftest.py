"""Fixtures for integration tests that run the real `mytsdb` binary.

Every server listens on 127.0.0.1 on a port the kernel picks (--listen
127.0.0.1:0); the port is read from the start-up log line.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parents[2]

# `make test-full` runs every test; `make test` leaves out those marked
# full_only (more variants of a slow matrix whose first variant it runs),
# reported as deselected, never as passed.
FULL = os.environ.get("MYTSDB_TEST_FULL") == "1"


def pytest_configure(config):
    config.addinivalue_line("markers", "full_only: runs in make test-full only (a slow matrix's "
                                       "further variants)")


def pytest_collection_modifyitems(config, items):
    if FULL:
        return
    left_out = [item for item in items if item.get_closest_marker("full_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("full_only")]
BINARY = Path(os.environ.get("MYTSDB_BINARY", REPO / "build" / "mytsdb"))

_LISTEN_RE = re.compile(r"listening on [^ ]+:(\d+),")


class Server:
    """A running mytsdb process and a requests session pointed at it."""

    def __init__(self, data_dir, extra_args=(), env=None, admin=True):
        self.data_dir = Path(data_dir)
        # Tests flush and compact through the admin API, which a server
        # enables only when asked (test_admin.py checks the default).
        self.extra_args = (["--web.enable-admin-api"] if admin else []) + list(extra_args)
        self.env = env
        self.proc = None
        self.port = None
        self.log_path = self.data_dir.parent / (self.data_dir.name + ".log")
        self.http = requests.Session()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready=True, timeout=30):
        assert BINARY.exists(), f"{BINARY} not built; run `make build`"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(BINARY), "serve", "--data-dir", str(self.data_dir), "--listen", "127.0.0.1:0",
             *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env)
        deadline = time.time() + timeout
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self._log.write(line)
            lines.append(line.decode(errors="replace"))
            m = _LISTEN_RE.search(lines[-1])
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.wait(timeout=5)
            raise RuntimeError("server did not start:\n" + "".join(lines))
        # Keep draining the log so the process never blocks on a full pipe.
        import threading
        threading.Thread(target=self._drain, daemon=True).start()
        if wait_ready:
            self.wait_ready(deadline)
        return self

    def _drain(self):
        for line in self.proc.stdout:
            self._log.write(line)
            self._log.flush()

    def wait_ready(self, deadline):
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} before it was ready")
            try:
                if self.http.get(self.url + "/-/ready", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server not ready in time")

    def kill(self):
        """SIGKILL: no chance to flush or clean up."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.http.close()
        self.http = requests.Session()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        self.http.close()
        self.http = requests.Session()
        return self.proc.returncode

    # ---- convenience -------------------------------------------------------
    def get(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.get(self.url + path, **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", 30)
        return self.http.post(self.url + path, **kw)

    def metric(self, name, labels=None):
        """Value of one sample of /metrics, or None."""
        text = self.get("/metrics").text
        want = name
        if labels:
            want += "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"
        for line in text.splitlines():
            if line.startswith(want + " "):
                return float(line.split(" ")[-1])
        return None


@pytest.fixture
def server_factory(request, tmp_path):
    """Starts servers; a test module's SERVER_ARGS come before a test's own
    (modules that write data from years ago set a long --retention, since
    retention counts back from the clock and refuses older samples)."""
    servers = []
    module_args = list(getattr(request.module, "SERVER_ARGS", ()))

    def make(data_dir=None, extra_args=(), start=True, admin=True):
        s = Server(data_dir or (tmp_path / f"data{len(servers)}"), [*module_args, *extra_args],
                   admin=admin)
        servers.append(s)
        if start:
            s.start()
        return s

    yield make
    for s in servers:
        if s.proc and s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


@pytest.fixture
def server(server_factory):
    return server_factory()


# ---- Apache Spark ------------------------------------------------------------------

SPARK_JARS = [REPO / ".deps" / "spark-jars" / j for j in (
    "delta-spark_2.13-4.0.0.jar", "delta-storage-4.0.0.jar",
    # S3A for Hadoop 3.4.1 (pyspark's) and the AWS SDK it was built against.
    "hadoop-aws-3.4.1.jar", "bundle-2.24.6.jar")]
# Spark's own logging at ERROR from the first line; PySpark's gateway counts
# as a shell and would raise the level back without its own logger entry.
LOG4J2 = """rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.gw.name = org.apache.spark.api.python.PythonGatewayServer
logger.gw.level = error
"""


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark session (one core, driver on 127.0.0.1) for every
    Spark test, with Delta Lake's and S3A's jars from the set-up; nothing is
    downloaded (no spark.jars.packages). Tests on object storage point S3A
    at their own server through the Hadoop configuration."""
    missing = [str(j) for j in SPARK_JARS if not j.exists()]
    if missing:
        pytest.fail(f"Spark jars missing (run scripts/setup.sh): {missing}")
    work = tmp_path_factory.mktemp("spark")
    (work / "log4j2.properties").write_text(LOG4J2)
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.pop("PYSPARK_SUBMIT_ARGS", None)
    os.environ.pop("SPARK_HOME", None)
    from pyspark.sql import SparkSession
    session = (
        SparkSession.builder.master("local[1]").appName("mytsdb-delta-interop")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "512m")
        .config("spark.driver.extraJavaOptions",
                "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC "
                f"-Dlog4j2.configurationFile=file:{work / 'log4j2.properties'}")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(work / "warehouse"))
        .config("spark.jars", ",".join(str(j) for j in SPARK_JARS))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "1")
        .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
