"""The PostgreSQL wire protocol (--pg.listen), checked with real clients:
psql from Debian, psycopg 3 with bound parameters (the extended protocol),
pandas' read_sql through SQLAlchemy, a cancel request, TLS with the web
config's bcrypt users, and the query shape Grafana's PostgreSQL data source
sends for a time series panel. Every answer is compared with /api/v1/sql."""
import re
import subprocess
import threading
import time

import bcrypt
import pandas as pd
import psycopg
import pytest
import sqlalchemy

import remote_write as rw
from test_security import PASSWORD, pki, web_config  # noqa: F401 (pki is a fixture)

MIN = 60_000
T0 = (int(time.time() * 1000) // MIN - 120) * MIN
SERVER_ARGS = ["--retention", "30d", "--pg.listen", "127.0.0.1:0"]


def pg_port(server, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = re.search(r"PostgreSQL protocol listening on [^ ]+:(\d+)", server.log_path.read_text())
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise RuntimeError("no PostgreSQL listener in the log")


def ingest(server):
    series = []
    for i in range(4):
        series.append(({"__name__": "up", "job": "api", "instance": f"h{i}:9100"},
                       [(T0 + k * 15_000, float((k + i) % 3)) for k in range(240)]))
    series.append(({"__name__": "temp_celsius", "room": "attic"}, [(T0 + k * 60_000, 20.5 + k) for k in range(60)]))
    assert rw.write(server.http, server.url, series).status_code == 204


def http_sql(server, query):
    r = server.post("/api/v1/sql", data={"query": query})
    assert r.status_code == 200, r.text
    return r.json()["data"]["rows"]


@pytest.fixture
def pg(server):
    ingest(server)
    return server, pg_port(server)


def test_psql(pg):
    server, port = pg
    query = "SELECT instance, count(*) AS n, sum(value) AS s FROM samples WHERE metric = 'up' GROUP BY 1 ORDER BY 1"
    r = subprocess.run(["psql", "-X", "-A", "-t", "-F", ",", "-h", "127.0.0.1", "-p", str(port), "-U", "grafana",
                        "-d", "mytsdb", "-c", query], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, env={"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    want = [f"{i},{n},{s}" for i, n, s in http_sql(server, query)]
    assert r.stdout.splitlines() == want and len(want) == 4
    bad = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "x", "-d", "mytsdb", "-c", "SELEC 1"],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                         env={"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"})
    assert bad.returncode == 1 and "syntax error" in bad.stderr and "^" in bad.stderr


def test_psql_lists_the_tables(pg):
    # \d and \dv list relations through pg_catalog (pg_class, pg_namespace
    # and pg_get_userbyid); the tables are views of schema main.
    server, port = pg
    listed = {}
    for command in (r"\d", r"\dv"):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-F", ",", "-h", "127.0.0.1", "-p", str(port), "-U", "x",
                            "-d", "mytsdb", "-c", command], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, env={"PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0, r.stderr
        listed[command] = r.stdout.splitlines()
    want = [f"main,{name},view,mytsdb" for name in ("metadata", "samples", "series")]
    assert listed[r"\d"] == want and listed[r"\dv"] == want


def test_psycopg_with_bound_parameters(pg):
    server, port = pg
    with psycopg.connect(f"host=127.0.0.1 port={port} user=app dbname=mytsdb sslmode=disable") as conn:
        cur = conn.execute("SELECT instance, count(*) AS n, avg(value) AS a FROM samples "
                           "WHERE metric = %s AND value >= %s GROUP BY instance ORDER BY instance", ["up", 1])
        assert [d.name for d in cur.description] == ["instance", "n", "a"]
        assert [d.type_code for d in cur.description] == [25, 20, 701]  # text, int8, float8
        got = cur.fetchall()
        want = http_sql(server, "SELECT instance, count(*), avg(value) FROM samples WHERE metric = 'up' "
                                "AND value >= 1 GROUP BY instance ORDER BY instance")
        assert [list(r) for r in got] == want and len(got) == 4
        # Timestamps come back as aware datetimes in UTC; maps as JSON.
        ts, labels = conn.execute("SELECT ts, labels FROM samples WHERE metric = %s ORDER BY ts LIMIT 1",
                                  ["temp_celsius"]).fetchone()
        assert ts.utcoffset().total_seconds() == 0 and int(ts.timestamp() * 1000) == T0
        assert labels == {"room": "attic"}
        # The same prepared statement again, other values (psycopg prepares
        # it server-side after a few runs).
        for i in range(6):
            n = conn.execute("SELECT count(*) FROM samples WHERE instance = %s", [f"h{i % 4}:9100"]).fetchone()[0]
            assert n == 240
        conn.execute("SET application_name = 'test'")
        assert conn.execute("SHOW server_version").fetchone()[0] == "14.0"
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("SELEC 1")
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("SELECT * FROM nowhere")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("COPY (SELECT 1) TO '/tmp/x.csv'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SET enable_external_access = true")
        # The session goes on after errors.
        assert conn.execute("SELECT 41 + %s", [1]).fetchone()[0] == 42


def test_pandas_read_sql_through_sqlalchemy(pg):
    server, port = pg
    engine = sqlalchemy.create_engine(f"postgresql+psycopg://analyst@127.0.0.1:{port}/mytsdb?sslmode=disable")
    df = pd.read_sql("SELECT instance, count(*) AS n FROM samples WHERE metric = 'up' GROUP BY 1 ORDER BY 1", engine)
    assert df.to_dict("list") == {"instance": [f"h{i}:9100" for i in range(4)], "n": [240] * 4}
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT count(*) FROM samples WHERE room = :room"),
                            {"room": "attic"}).fetchall()
        assert rows == [(60,)]


def test_a_cancel_request_stops_the_running_query(pg):
    server, port = pg
    with psycopg.connect(f"host=127.0.0.1 port={port} user=app dbname=mytsdb sslmode=disable") as conn:
        errors = []

        def run():
            try:
                conn.execute("SELECT sum(hash(i)) FROM range(1000000000000) t(i)")
            except psycopg.Error as e:
                errors.append(e)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(0.5)
        conn.cancel()
        t.join(timeout=30)
        assert not t.is_alive()
        assert len(errors) == 1 and isinstance(errors[0], psycopg.errors.QueryCanceled), errors
        assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_grafana_time_series_query(pg):
    """What Grafana's PostgreSQL data source sends for a time series panel
    once its macros are expanded: the time column first, ordered by it."""
    server, port = pg
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 / 1000))
    end = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 / 1000 + 3600))
    query = (f"SELECT ts AS \"time\", instance AS metric, value FROM samples "
             f"WHERE metric = 'up' AND ts BETWEEN '{start}' AND '{end}' ORDER BY 1")
    with psycopg.connect(f"host=127.0.0.1 port={port} user=grafana dbname=mytsdb sslmode=disable") as conn:
        cur = conn.execute(query)
        assert [d.name for d in cur.description] == ["time", "metric", "value"]
        assert cur.description[0].type_code == 1184  # timestamptz
        rows = cur.fetchall()
    assert len(rows) == 4 * 240 and [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_tls_and_passwords_from_the_web_config(server_factory, tmp_path, pki):  # noqa: F811
    config = tmp_path / "web.yml"
    web_config(config, pki)
    server = server_factory(extra_args=["--web.config.file", str(config)], start=False)
    server.start(wait_ready=False)
    port = pg_port(server, timeout=30)
    base = f"host=127.0.0.1 port={port} dbname=mytsdb user=alice"
    ca = pki / "ca.pem"
    deadline = time.time() + 30
    while True:
        try:
            conn = psycopg.connect(f"{base} password={PASSWORD} sslmode=verify-full sslrootcert={ca}")
            break
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    with conn:
        assert conn.execute("SELECT count(*) FROM samples").fetchone()[0] == 0
        assert conn.info.pgconn.ssl_in_use
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(f"{base} password=wrong sslmode=require")
    with pytest.raises(psycopg.OperationalError, match="only over TLS"):
        psycopg.connect(f"{base} password={PASSWORD} sslmode=disable")


def test_jdbc(pg):
    """The PostgreSQL JDBC driver (from Maven, as DBeaver and Metabase use
    it): a prepared statement with a bound parameter, run seven times, so
    that after the fifth the driver prepares it on the server and asks for
    binary results."""
    from conftest import REPO
    server, port = pg
    jar = REPO / ".deps" / "spark-jars" / "postgresql-42.7.14.jar"
    assert jar.exists(), "run scripts/setup.sh"
    query = ("SELECT instance, count(*) AS n, avg(value) AS a, min(ts) AS t, sum(value) AS s, "
             "sum(count(*)) OVER () AS total FROM samples WHERE job = ? GROUP BY instance ORDER BY instance")
    r = subprocess.run(["java", "-cp", str(jar), str(REPO / "test/integration/jdbc/JdbcQuery.java"),
                        f"jdbc:postgresql://127.0.0.1:{port}/mytsdb?sslmode=disable", "dbeaver", "", "7",
                        query, "api"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[-1] == "types:text\tint8\tfloat8\ttimestamptz\tfloat8\tnumeric"
    want = http_sql(server, query.replace("?", "'api'"))
    assert len(want) == 4
    got = [line.split("\t") for line in lines[:-1]]
    for row, (instance, n, a, t, s, total) in zip(got, want):
        assert row[0] == instance and int(row[1]) == n and float(row[2]) == pytest.approx(a)
        assert row[3].replace(" ", "T").replace("+00", ".000Z") == t
        assert float(row[4]) == pytest.approx(s) and int(row[5]) == total == 960
