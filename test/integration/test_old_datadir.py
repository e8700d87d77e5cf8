"""A data directory written by the version before issue 10 (kept as a
fixture, test/fixtures/datadir-0.1.0, made by make_datadir_fixture.py)
opens, reads the same, and gains full Delta statistics; a directory the
server cannot understand is refused with a message and left untouched."""
import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

import remote_write as rw
from conftest import REPO
from test_cold_tier import with_value

FIXTURE = REPO / "test" / "fixtures" / "datadir-0.1.0"
# The fixture's samples are from 2025: keep them.
SERVER_ARGS = ["--retention", "100y"]


def copy_fixture(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURE / "data", data)
    return data


def export_lines(server):
    r = server.get("/api/v1/export", params={"match[]": '{__name__=~".+"}', "value_encoding": "hex"})
    r.raise_for_status()
    return sorted(json.dumps(json.loads(l), sort_keys=True) for l in r.text.splitlines())


def digest(directory):
    h = hashlib.sha256()
    for p in sorted(Path(directory).rglob("*")):
        h.update(str(p.relative_to(directory)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def test_old_directory_opens_reads_the_same_and_gains_statistics(server_factory, tmp_path):
    data = copy_fixture(tmp_path)
    expected = (FIXTURE / "expected-export.jsonl").read_text().splitlines()
    assert len(expected) == 10
    server = server_factory(data_dir=data)
    assert export_lines(server) == expected
    # The first open recorded full statistics (a COMPUTE STATS commit), so
    # readers that skip files by them now filter correctly.
    table = DeltaTable(str(data / "parquet"))
    assert table.history(1)[0]["operation"] == "COMPUTE STATS"
    adds = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    assert len(adds["path"]) == 13
    assert all(v is not None for v in adds["min.metric"]) and all(v is not None for v in adds["max.metric"])
    assert all(v is not None for v in adds["null_count.instance"])
    want = sum(len(json.loads(l)["timestamps"]) for l in expected
               if json.loads(l)["metric"]["__name__"] == "http_request_duration_seconds")
    got = table.to_pyarrow_dataset().to_table(
        filter=pc.field("metric") == "http_request_duration_seconds").num_rows
    assert got == want > 0
    # Life goes on: new samples, a flush, a restart.
    r = rw.write(server.http, server.url, [({"__name__": "new"}, [(1_761_955_200_000 + 6 * 3600_000, 1.0)])])
    assert r.status_code == 204, r.text
    assert server.post("/api/v1/admin/flush").status_code == 204
    # That commit gave the table the decimal value columns (docs/FORMAT.md,
    # "Values"): old files (value only) and the new one read alike by the
    # documented rule.
    table = DeltaTable(str(data / "parquet"))
    fields = {f.name: f for f in table.schema().fields}
    assert fields["value"].nullable and "value_int" in fields and "value_div" in fields
    rows = with_value(table.to_pyarrow_table())
    assert rows["value"].null_count == 0
    assert len(rows) == sum(len(json.loads(l)["timestamps"]) for l in expected) + 1
    new = rows.filter(pc.field("metric") == "new").to_pylist()
    assert [(r["value_int"], r["value_div"]) for r in new] == [(1, 1)]  # an integer
    # Compaction merges old files into new ones; nothing reads differently.
    assert server.post("/api/v1/admin/compact").status_code == 204
    assert set(expected) <= set(export_lines(server))
    server.stop()
    server.start()
    lines = export_lines(server)
    assert len(lines) == 11 and set(expected) <= set(lines)


def test_a_directory_it_cannot_understand_is_refused_and_left_alone(server_factory, tmp_path):
    data = copy_fixture(tmp_path)
    # Another engine turned on deletion vectors in the last commit.
    last = data / "parquet" / "_delta_log" / "00000000000000000012.json"
    last.write_text(last.read_text() + json.dumps(
        {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                      "readerFeatures": ["deletionVectors"], "writerFeatures": ["deletionVectors"]}}) + "\n")
    before = digest(data)
    server = server_factory(data_dir=data, start=False)
    server.start(wait_ready=False)
    assert server.proc.wait(timeout=30) != 0
    log = server.log_path.read_text()
    assert "00000000000000000012.json" in log and "deletionVectors" in log, log[-2000:]
    (data / "LOCK").unlink(missing_ok=True)  # the lock file is the server's, not data
    assert digest(data) == before
