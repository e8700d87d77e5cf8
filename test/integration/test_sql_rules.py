"""Rules whose condition is SQL (MyTSDB's extension, docs/RULES.md
"Conditions in SQL"): the example of the docs (per customer, the last hour's
requests below half of the same hour a week ago) fires for the one customer
whose traffic halved, over data in both tiers; a recording rule in SQL
writes series PromQL reads; `mytsdb check rules` checks the SQL, and
`--strict-prometheus` refuses such files, in the checker and the server.
"""
import subprocess
import time

import remote_write as rw
from conftest import BINARY
from helpers import wait_for

HOUR_MS = 3_600_000
WEEK_MS = 7 * 24 * HOUR_MS

RULES = """groups:
  - name: customers
    interval: 1s
    rules:
      - alert: RequestsBelowHalfOfLastWeek
        sql: |
          WITH per_customer AS (
            SELECT customer_id,
                   count(*) FILTER (WHERE ts > $eval_time - INTERVAL 1 HOUR) AS this_hour,
                   count(*) FILTER (WHERE ts <= $eval_time - INTERVAL 7 DAYS) AS week_ago
            FROM samples
            WHERE metric = 'request_latency_seconds'
              AND (ts > $eval_time - INTERVAL 1 HOUR
                   OR ts BETWEEN $eval_time - INTERVAL 7 DAYS - INTERVAL 1 HOUR + INTERVAL 1 MILLISECOND
                             AND $eval_time - INTERVAL 7 DAYS)
            GROUP BY customer_id)
          SELECT customer_id AS customer, this_hour AS value
          FROM per_customer
          WHERE this_hour < 0.5 * week_ago
        labels:
          severity: ticket
        annotations:
          summary: '{{ $labels.customer }} sent {{ $value }} requests in the last hour, under half of last week'
      - record: customer:requests:last_hour
        sql: |
          SELECT customer_id AS customer, count(*) AS value
          FROM samples
          WHERE metric = 'request_latency_seconds' AND ts > $eval_time - INTERVAL 1 HOUR
          GROUP BY customer_id
"""


def requests_in_hour(customer, end_ms, n):
    """n requests (a latency sample each) spread over the hour before end_ms."""
    return ({"__name__": "request_latency_seconds", "customer_id": customer},
            [(end_ms - HOUR_MS + (i + 1) * (HOUR_MS // (n + 1)), 0.05 + 0.01 * (i % 5)) for i in range(n)])


def write_rules(tmp_path, text=RULES):
    (tmp_path / "sql_rules.yml").write_text(text)
    config = tmp_path / "mytsdb.yml"
    config.write_text("rule_files: [sql_rules.yml]\n")
    return config


def test_sql_alert_and_recording_rules(server_factory, tmp_path):
    server = server_factory(extra_args=["--config", str(write_rules(tmp_path))])
    now = int(time.time() * 1000)
    # This hour first (the head), then a week ago (older than the head
    # takes: written to the Parquet tier as backfill).
    recent = [requests_in_hour("steady", now, 40), requests_in_hour("halved", now, 15)]
    assert rw.write(server.http, server.url, recent).status_code == 204
    old = [requests_in_hour("steady", now - WEEK_MS, 40), requests_in_hour("halved", now - WEEK_MS, 40)]
    assert rw.write(server.http, server.url, old).status_code == 204
    assert server.metric("mytsdb_cold_samples") == 80

    def firing():
        alerts = server.get("/api/v1/alerts").json()["data"]["alerts"]
        return [a for a in alerts if a["state"] == "firing"]
    alerts = wait_for(firing)
    assert len(alerts) == 1
    assert alerts[0]["labels"] == {"alertname": "RequestsBelowHalfOfLastWeek", "customer": "halved",
                                   "severity": "ticket"}
    assert alerts[0]["annotations"] == {
        "summary": "halved sent 15 requests in the last hour, under half of last week"}

    def recorded():
        r = server.get("/api/v1/query", params={"query": "customer:requests:last_hour"}).json()["data"]["result"]
        return sorted((s["metric"]["customer"], float(s["value"][1])) for s in r) if len(r) == 2 else None
    assert wait_for(recorded) == [("halved", 15.0), ("steady", 40.0)]

    groups = server.get("/api/v1/rules").json()["data"]["groups"]
    alerting, recording = groups[0]["rules"]
    assert alerting["query"].startswith("WITH per_customer AS (") and alerting["health"] == "ok"
    assert recording["query"].startswith("SELECT customer_id AS customer") and recording["health"] == "ok"


def test_a_failing_sql_rule_reports_its_error(server_factory, tmp_path):
    rules = ("groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: NoValue\n"
             "        sql: SELECT 1 AS v\n")
    server = server_factory(extra_args=["--config", str(write_rules(tmp_path, rules))])

    def errored():
        groups = server.get("/api/v1/rules").json()["data"]["groups"]  # empty until the rules load
        rule = groups[0]["rules"][0] if groups else None
        return rule if rule and rule["health"] == "err" else None
    rule = wait_for(errored)
    assert "no column named value" in rule["lastError"]
    assert wait_for(lambda: server.metric("prometheus_rule_evaluation_failures_total",
                                          {"rule_group": str(tmp_path / "sql_rules.yml") + ";g"}))


def run_check(*args):
    return subprocess.run([str(BINARY), "check", "rules", *map(str, args)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_check_rules_checks_sql_and_strict_refuses_it(tmp_path):
    write_rules(tmp_path)
    good = tmp_path / "sql_rules.yml"
    r = run_check(good)
    assert r.returncode == 0 and "SUCCESS: 2 rules found" in r.stdout, r.stdout + r.stderr

    r = run_check("--strict-prometheus", good)
    assert r.returncode == 1
    assert "field 'sql' is a MyTSDB extension, not allowed in Prometheus's rule files" in r.stderr + r.stdout

    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: g\n    rules:\n      - alert: A\n        sql: SELECT FROM WHERE\n"
                   "      - alert: B\n        sql: DELETE FROM samples\n"
                   "      - alert: C\n        sql: SELECT $1 AS value\n")
    r = run_check(bad)
    out = r.stdout + r.stderr
    assert r.returncode == 1
    assert 'rule 1, "A": could not parse SQL: SQL: at character' in out
    assert 'rule 2, "B": could not parse SQL: SQL: only a SELECT can be a rule\'s query' in out
    assert 'rule 3, "C": could not parse SQL: SQL: the parameter $1 is not known' in out


def test_the_server_refuses_sql_rules_when_strict(server_factory, tmp_path):
    server = server_factory(extra_args=["--config", str(write_rules(tmp_path)), "--strict-prometheus"], start=False)
    try:
        server.start(timeout=15)
    except RuntimeError:
        pass
    assert server.proc.wait(timeout=15) == 1
    assert "field 'sql' is a MyTSDB extension" in server.log_path.read_text()
