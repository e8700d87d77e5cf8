"""The scraping benchmark (bench/scrape.py) in small: 20 targets of 50
series at 1 s, each server measured for 4 s. It must finish with every
server having scraped every target in full, and give figures for each.
`make test` measures MyTSDB and Prometheus; `make test-full` VictoriaMetrics
too."""
import json
import subprocess
import sys
from pathlib import Path

from conftest import FULL

REPO = Path(__file__).resolve().parents[2]


SERVERS = ["mytsdb", "prometheus"] + (["victoria-metrics"] if FULL else [])


def test_small_scrape_benchmark(tmp_path):
    out = tmp_path / "scrape.json"
    run = subprocess.run([sys.executable, str(REPO / "bench" / "scrape.py"), "--targets", "20", "--series", "50",
                          "--interval", "1s", "--window", "4s", "--servers", ",".join(SERVERS), "--workdir", str(tmp_path / "work"),
                          "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads(out.read_text())
    assert set(record["results"]) == set(SERVERS)
    for name, r in record["results"].items():
        assert r["targets_up"] == 20 and r["samples_per_scrape_round"] == 1000, (name, r)
        assert r["cpu_seconds"] > 0 and r["rss_bytes"] > 0, (name, r)
    assert "MyTSDB/prometheus: CPU per sample" in run.stdout
