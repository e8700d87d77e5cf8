"""A small run of the side-by-side benchmark (bench/compare.py), so that the
suite cannot rot: it must drive all three servers end to end and produce
complete results. The figures themselves are not asserted (timed tests
measure nothing reliable); docs/BENCHMARKS.md records full runs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("workload,extra", [
    pytest.param("node", ["--no-promtool"], marks=pytest.mark.full_only),
    ("churn", []),  # also builds the promtool block from OpenMetrics text
])
def test_small_comparison_run(tmp_path, workload, extra):
    out = tmp_path / "result.json"
    charts = tmp_path / "charts"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "compare.py"), "--workload", workload,
         "--series", "1500", "--duration", "20m", "--query-runs", "2",
         "--workdir", str(tmp_path / "work"), "--out", str(out), "--charts", str(charts), *extra],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    samples = res["manifest"]["samples"]
    assert samples == 1500 * 80
    assert set(res["targets"]) == {"mytsdb", "prometheus", "victoria-metrics"}
    for name, t in res["targets"].items():
        assert t["ingest"]["failures"] == 0, (name, t["ingest"])
        assert t["ingest"]["samples"] == samples, name
        assert t["cpu_s_per_million_samples"] > 0, name
        assert t["rss_peak_bytes"] > 0 and t["disk_bytes_per_sample"] > 0, name
    # Every dashboard query runs on the peers and selects data.
    for name in ("prometheus", "victoria-metrics"):
        for q, r in res["targets"][name]["queries"].items():
            assert r["status"] == 200 and r["series"] > 0, (name, q, r)
    # MyTSDB answers them on recent data (head) and from the cold tier, and
    # every answer equals Prometheus's.
    my = res["targets"]["mytsdb"]
    for kind in ("queries", "queries_cold"):
        assert set(my[kind]) == set(res["targets"]["prometheus"]["queries"]), kind
        for q, r in my[kind].items():
            assert r["status"] == 200 and r["series"] > 0 and r["median_s"] > 0, (kind, q, r)
    # The tiny instant query measures fixed cost: one series each, on every
    # target; the result check covers the dashboard queries.
    tiny = "tiny_instant_one_series"
    for name, t in res["targets"].items():
        assert t["queries"][tiny]["series"] == 1, (name, t["queries"][tiny])
    assert my["queries_cold"][tiny]["series"] == 1
    assert len(res["result_check"]) == 2 * (len(my["queries"]) - 1)
    assert all(m == "ok" for m in res["result_check"].values()), res["result_check"]
    assert "cold/head" in proc.stdout
    if workload == "churn":
        assert res["manifest"]["total_series"] > 1500
        assert res["promtool_block"]["disk_bytes_per_sample"] > 0
    # The table with MyTSDB/peer ratios and the charts.
    assert "MyTSDB/prometheus" in proc.stdout and "MyTSDB/victoria-metrics" in proc.stdout
    assert (charts / f"{workload}-resources.png").stat().st_size > 10_000
    assert (charts / f"{workload}-queries.png").stat().st_size > 10_000


def test_result_check_compares_series_timestamps_and_values():
    sys.path.insert(0, str(REPO / "bench"))
    from compare import compare_matrix

    ref = [{"metric": {"job": "a"}, "values": [[1, "1"], [2, "NaN"], [3, "+Inf"]]}]
    assert compare_matrix(ref, ref) is None
    close = [{"metric": {"job": "a"}, "values": [[1, "1.0000000000001"], [2, "NaN"], [3, "+Inf"]]}]
    assert compare_matrix(close, ref) is None
    far = [{"metric": {"job": "a"}, "values": [[1, "1.001"], [2, "NaN"], [3, "+Inf"]]}]
    assert "value differs" in compare_matrix(far, ref)
    assert "timestamps differ" in compare_matrix(
        [{"metric": {"job": "a"}, "values": [[1, "1"], [3, "+Inf"]]}], ref)
    assert "series differ" in compare_matrix([{"metric": {"job": "b"}, "values": []}], ref)


def test_disk_is_measured_once_a_background_merge_stops_changing_it(tmp_path):
    import threading
    import time
    sys.path.insert(0, str(REPO / "bench"))
    from compare import du_settled

    # A "merge" that writes a part, then replaces two parts by one, for 2.5 s.
    (tmp_path / "a").write_bytes(b"x" * 1000)

    def merge():
        for i in range(5):
            time.sleep(0.5)
            (tmp_path / f"p{i}").write_bytes(b"y" * 100)
        (tmp_path / "p0").unlink()
        (tmp_path / "p1").unlink()
    worker = threading.Thread(target=merge)
    worker.start()
    size, waited = du_settled(tmp_path, quiet_s=1.5)
    worker.join()
    assert size == 1000 + 3 * 100 and waited >= 2.5
    # Nothing changing: done after the quiet time; a limit caps the wait.
    assert du_settled(tmp_path, quiet_s=1)[1] < 3
    assert du_settled(tmp_path, quiet_s=60, limit_s=2)[1] < 4


def test_tie_sensitive_queries_compare_selected_values():
    sys.path.insert(0, str(REPO / "bench"))
    from compare import compare_selected_values

    ours = [{"metric": {"i": "1"}, "values": [[1, "5"], [2, "5"]]}, {"metric": {"i": "2"}, "values": [[1, "3"]]}]
    # Another series with the same value won the tie: same selection.
    tie = [{"metric": {"i": "1"}, "values": [[1, "5"], [2, "5"]]}, {"metric": {"i": "3"}, "values": [[1, "3"]]}]
    assert compare_selected_values(ours, tie) is None
    other = [{"metric": {"i": "1"}, "values": [[1, "5"], [2, "5"]]}, {"metric": {"i": "3"}, "values": [[1, "4"]]}]
    assert "values at 1" in compare_selected_values(ours, other)
    fewer = [{"metric": {"i": "1"}, "values": [[1, "5"], [2, "5"]]}]
    assert "2 vs 1 values" in compare_selected_values(ours, fewer)


def test_unknown_query_name_fails_before_any_work(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "compare.py"), "--queries", "cpu_by_mode,nope",
         "--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "unknown query nope" in proc.stderr and "cpu_by_mode" in proc.stderr
    assert not (tmp_path / "r.json").exists()


def test_a_server_that_falls_over_is_recorded_and_fails_the_run(tmp_path):
    # The failpoint kills MyTSDB (SIGKILL) when the flush after ingestion
    # reaches its commit; the run records it with the end of the log.
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "compare.py"), "--series", "1500",
         "--duration", "20m", "--query-runs", "1", "--targets", "mytsdb",
         "--queries", "cpu_by_mode", "--no-promtool", "--workdir", str(tmp_path / "work"),
         "--out", str(out), "--charts", ""],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
        env={**os.environ, "MYTSDB_FAILPOINT": "cold.persist.before_commit"})
    assert proc.returncode == 1, proc.stderr[-3000:]
    my = json.loads(out.read_text())["targets"]["mytsdb"]
    assert "fell_over" in my and "exited" in my["fell_over"], my.get("fell_over")
    assert any("failpoint cold.persist.before_commit" in line for line in my["server_log_tail"])
    assert my["ingest"]["samples"] == 1500 * 80  # what it did before falling over is kept
    assert set(my["queries"]) == {"cpu_by_mode", "tiny_instant_one_series"}


def test_ab_query_runs_two_builds_on_copies_of_one_data_directory(server_factory, tmp_path):
    """bench/ab_query.py: both servers answer, each from its own copy; the
    data directory it was given is left as it was."""
    import remote_write as rw
    from conftest import BINARY

    t0 = 1_700_000_000_000
    srv = server_factory(extra_args=["--retention", "100y"])
    series = [({"__name__": "m", "i": str(i)}, [(t0 + k * 15_000, float(k + i)) for k in range(40)])
              for i in range(5)]
    assert rw.write(srv.http, srv.url, series).status_code == 204
    srv.stop()
    data = srv.data_dir
    before = sorted(str(p.relative_to(data)) for p in data.rglob("*"))
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "ab_query.py"), "--data", str(data), "--runs", "3",
         "--query", "sum(rate(m[2m]))", "--start", str(t0 // 1000 + 120),
         "--end", str(t0 // 1000 + 585), "--step", "15", str(BINARY), str(BINARY)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2 and all("median" in line and "(3 runs)" in line for line in lines), proc.stdout
    for i in range(2):
        assert (data.parent / f"{data.name}-ab{i}").is_dir()
    assert sorted(str(p.relative_to(data)) for p in data.rglob("*")) == before
    # A query that selects nothing is refused rather than timed.
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "ab_query.py"), "--data", str(data), "--runs", "1",
         "--query", "absent_metric", str(BINARY)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0 and "selects no data" in proc.stderr, proc.stderr[-2000:]


@pytest.mark.full_only
def test_small_interleaved_run(tmp_path):
    """bench/interleaved.py end to end on small data: three servers up at
    once, every query answered by each, MyTSDB's head and cold tier agreeing
    (the script exits non-zero otherwise)."""
    out = tmp_path / "interleaved.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "interleaved.py"), "--series", "1500",
         "--duration", "20m", "--runs", "2", "--workdir", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert set(res["servers"]) == {"mytsdb", "mytsdb-cold", "victoria-metrics"}
    for name, s in res["servers"].items():
        assert s["ingest"]["failures"] == 0 and s["ingest"]["samples"] == 1500 * 80, name
        assert s["rss_bytes_per_active_series"] > 0, name
    assert res["servers"]["victoria-metrics"]["parts"], "VictoriaMetrics' part counts"
    assert len(res["queries"]) == 12
    for q, r in res["queries"].items():
        assert r["series"] > 0, q
        assert all(ms > 0 for ms in r["median_ms"].values()), (q, r)
