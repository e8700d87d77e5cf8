"""The alert history (issue 13, point 9): every state change of an alert
(pending, firing, resolved) is a row of the Delta table DATA/alerts, which
the server's SQL reads as `alerts` and delta-rs (the `deltalake` package)
and polars read as it is on disk; it survives a restart, and a snapshot of
the data directory holds it.
"""
import time

import polars as pl
import pytest
from deltalake import DeltaTable

import remote_write as rw
from helpers import wait_for

RULES = """groups:
  - name: node
    rules:
      - alert: InstanceDown
        expr: up == 0
        for: 2s
        labels: {severity: page}
        annotations:
          summary: '{{ $labels.instance }} is down'
"""


def set_up(server, value):
    now = int(time.time() * 1000)
    series = [({"__name__": "up", "job": "node", "instance": "a:9100"}, [(now, value)])]
    assert rw.write(server.http, server.url, series).status_code == 204


def sql(server, query):
    r = server.get("/api/v1/sql", params={"query": query})
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture
def config(tmp_path):
    (tmp_path / "rules.yml").write_text(RULES)
    path = tmp_path / "mytsdb.yml"
    path.write_text("global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n")
    return path


def test_state_changes_are_rows_of_the_alerts_table(server_factory, config, tmp_path):
    data = tmp_path / "data"
    args = ["--config", str(config), "--alert-history.flush-interval", "1s"]
    server = server_factory(data_dir=data, extra_args=args)
    assert sql(server, "SELECT count(*) AS n FROM alerts")["rows"] == [[0]]
    set_up(server, 0)

    def states():
        rows = sql(server, "SELECT state FROM alerts ORDER BY time, state")["rows"]
        return [r[0] for r in rows]
    wait_for(lambda: states() == ["pending", "firing"], timeout=30)
    # Each write of a sample of `up` keeps it visible for the lookback; a
    # staleness marker ends it now.
    rw.write(server.http, server.url,
             [({"__name__": "up", "job": "node", "instance": "a:9100"}, [(int(time.time() * 1000), rw.bits_to_float(rw.STALE_NAN_BITS))])])
    wait_for(lambda: states()[-1:] == ["resolved"], timeout=30)

    result = sql(server, "SELECT state, previous_state, rule, group_name, labels['instance'] AS instance, "
                         "labels['severity'] AS severity, annotations['summary'] AS summary, value, "
                         "active_at IS NOT NULL AS has_active_at, fired_at IS NOT NULL AS has_fired_at, kind, "
                         "day = strftime(now()::TIMESTAMP, '%Y-%m-%d') AS today "
                         "FROM alerts ORDER BY time")
    names = [c["name"] for c in result["columns"]]
    rows = [dict(zip(names, r)) for r in result["rows"]]
    assert [(r["previous_state"], r["state"]) for r in rows] == [
        ("inactive", "pending"), ("pending", "firing"), ("firing", "resolved")]
    for r in rows:
        assert r["rule"] == "InstanceDown" and r["group_name"] == "node" and r["kind"] == "state"
        assert r["instance"] == "a:9100" and r["severity"] == "page" and r["summary"] == "a:9100 is down"
        assert r["has_active_at"] and r["today"]
    assert [r["has_fired_at"] for r in rows] == [False, True, True]
    assert server.metric("mytsdb_alert_history_events_written_total") == 3

    # A snapshot of the data directory holds the history, as a table of its own.
    r = server.post("/api/v1/admin/tsdb/snapshot")
    assert r.status_code == 200, r.text
    snapshot = data / "snapshots" / r.json()["data"]["name"]
    assert DeltaTable(str(snapshot / "alerts")).to_pyarrow_table().num_rows == 3

    # Outside the server: delta-rs reads the table, polars its files.
    server.stop()
    table = DeltaTable(str(data / "alerts"))
    assert table.metadata().partition_columns == ["day"]
    arrow = table.to_pyarrow_table()
    assert arrow.num_rows == 3
    assert sorted(arrow.column("state").to_pylist()) == ["firing", "pending", "resolved"]
    frame = pl.from_arrow(arrow).sort("time")
    assert frame["previous_state"].to_list() == ["inactive", "pending", "firing"]

    # After a restart the rows are still there; and in a server started on
    # the snapshot.
    server = server_factory(data_dir=data, extra_args=args)
    assert sql(server, "SELECT count(*) FROM alerts")["rows"] == [[3]]
    server.stop()
    restored = server_factory(data_dir=snapshot)
    assert sql(restored, "SELECT count(*) FROM alerts")["rows"] == [[3]]
