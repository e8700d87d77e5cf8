"""Prometheus's remote read, served by MyTSDB (POST /api/v1/read; issue 18,
point 3; docs/API.md): the same data written to MyTSDB and to Prometheus
(Debian's 2.42, on 127.0.0.1), then the same read requests asked of both, in
both answer types. The answers, decoded (remote_read.py, which must first
decode Prometheus's own answers), must hold the same series and samples,
bit for bit. Then a second Prometheus with MyTSDB as its only
`remote_read` source answers PromQL as MyTSDB does.
"""
import math
import random
import shutil
import time

import pytest
import requests

import remote_read as rr
import remote_write as rw
from conftest import Server
from helpers import free_port, start_peer

MIN = 60_000
NOW = (int(time.time() * 1000) // MIN) * MIN
START = NOW - 90 * MIN  # Prometheus's head takes samples up to an hour behind the newest, in order


def generate():
    """Series of three metrics every 15 s over 90 minutes, with a NaN, a
    staleness marker and a counter reset among them."""
    series = {}
    for job in ("api", "db"):
        for instance in range(3):
            labels = {"__name__": "requests_total", "job": job, "instance": f"i{instance}"}
            series[frozenset(labels.items())] = (labels, [])
            labels = {"__name__": "temperature", "job": job, "instance": f"i{instance}", "room": "r1"}
            series[frozenset(labels.items())] = (labels, [])
    series[frozenset({("__name__", "odd")})] = ({"__name__": "odd"}, [])
    for k, t in enumerate(range(START, NOW, 15_000)):
        for key, (labels, samples) in series.items():
            if labels["__name__"] == "requests_total":
                v = float((k % 200) * (3 + int(labels["instance"][1])))  # resets every 50 min
            elif labels["__name__"] == "temperature":
                v = 20 + (k * 7919 % 100) / 10
            else:
                v = [1.5, float("nan"), rw.bits_to_float(rw.STALE_NAN_BITS), -0.0][k % 4]
            samples.append((t, v))
    return list(series.values())


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/setup.sh (make does it)")
    d = tmp_path_factory.mktemp("prometheus")
    (d / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\n")
    port = free_port()
    prom_url = f"http://127.0.0.1:{port}"
    proc, log = start_peer(["prometheus", f"--config.file={d / 'prometheus.yml'}",
                            f"--storage.tsdb.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                            "--web.enable-remote-write-receiver", "--log.level=warn"],
                           prom_url, d / "log")
    ours = Server(tmp_path_factory.mktemp("mytsdb"), ["--retention", "30d"]).start()
    series = generate()
    session = requests.Session()
    # Ten minutes of every series a request, in time order, to both.
    for begin in range(START, NOW, 10 * MIN):
        batch = [(labels, [s for s in samples if begin <= s[0] < begin + 10 * MIN])
                 for labels, samples in series]
        for url in (prom_url, ours.url):
            r = rw.write(session, url, batch)
            assert r.status_code in (200, 204), r.text
        if begin == START + 40 * MIN:
            # The first part goes to the cold tier: the answers span both tiers.
            assert ours.post("/api/v1/admin/flush").status_code == 204
    yield prom_url, ours, series
    ours.stop()
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


QUERIES = [
    [(START, NOW, [("__name__", "=", "requests_total")])],
    [(START + 20 * MIN, START + 60 * MIN, [("__name__", "=~", "temp.*"), ("instance", "!=", "i1")]),
     (START, NOW, [("job", "=", "db"), ("__name__", "!~", "requests_.*")]),
     (START + 5 * MIN, START + 5 * MIN, [("__name__", "=", "odd")])],
    [(START, NOW, [("__name__", "=", "odd")])],
    [(START, NOW, [("__name__", "=", "no_such_metric")])],
]


NEGATIVE_ZERO = 1 << 63


def nonempty(results):
    return [{k: v for k, v in r.items() if v} for r in results]


@pytest.mark.parametrize("queries", QUERIES, ids=["one", "several", "special_values", "nothing"])
def test_samples_answer_is_prometheus_answer(peers, queries):
    prom_url, ours, _ = peers
    body = rr.request_body(queries, [rr.SAMPLES])
    answers = []
    for url in (prom_url, ours.url):
        r = rr.post(url, body)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "application/x-protobuf"
        assert r.headers["Content-Encoding"] == "snappy"
        answers.append(nonempty(rr.decode_samples(r.content, queries)))
    # Prometheus's protobuf encoder leaves out a double equal to zero, so its
    # SAMPLES answer turns -0.0 into 0.0; MyTSDB's keeps the sign (as both
    # streamed answers do, compared bit for bit below).
    answers = [[{k: [(t, 0 if v == NEGATIVE_ZERO else v) for t, v in samples]
                 for k, samples in result.items()} for result in answer] for answer in answers]
    assert answers[1] == answers[0]
    if queries is not QUERIES[-1]:
        assert all(answers[0]), answers[0]  # every query found data in Prometheus


@pytest.mark.parametrize("queries", QUERIES, ids=["one", "several", "special_values", "nothing"])
def test_streamed_chunks_hold_prometheus_samples(peers, queries):
    prom_url, ours, _ = peers
    body = rr.request_body(queries, [rr.STREAMED, rr.SAMPLES])
    answers = []
    for url in (prom_url, ours.url):
        r = rr.post(url, body)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == \
            "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
        decoded, chunks, _ = rr.decode_streamed(r.content, queries)
        answers.append(nonempty(decoded))
    assert answers[1] == answers[0]
    if queries is not QUERIES[-1]:
        assert all(answers[0]), answers[0]


def test_a_long_series_spans_frames(peers):
    """More than a megabyte of one series goes in several frames, each
    naming the series, as Prometheus frames it."""
    _, ours, _ = peers
    labels = {"__name__": "long_series"}
    rng = random.Random(18)  # values of full entropy: about 10 bytes a sample
    samples = [(START + i * 25, rng.random() * 1e6) for i in range(200_000)]
    for first in range(0, len(samples), 20_000):
        r = rw.write(ours.http, ours.url, [(labels, samples[first:first + 20_000])])
        assert r.status_code == 204, r.text
    queries = [(START, NOW, [("__name__", "=", "long_series")])]
    r = rr.post(ours.url, rr.request_body(queries, [rr.STREAMED]))
    assert r.status_code == 200, r.text
    decoded, chunks, n_frames = rr.decode_streamed(r.content, queries)
    assert n_frames >= 2 and chunks == (200_000 + 119) // 120, (n_frames, chunks)
    assert decoded[0][frozenset(labels.items())] == [(t, rw.float_to_bits(v)) for t, v in samples]


@pytest.mark.parametrize("body, message", [
    (b"not snappy", "snappy"),
    (rr.request_body([(10, 5, [("__name__", "=", "x")])]), "ends before it starts"),
    (rr.request_body([(0, 5, [])]), "has no matchers"),
    (rr.request_body([(0, 5, [("__name__", "=~", "(")])]), "query 0"),
])
def test_bad_requests_get_400_with_the_reason(peers, body, message):
    _, ours, _ = peers
    r = rr.post(ours.url, body)
    assert r.status_code == 400 and message in r.text, r.text


def test_prometheus_reads_mytsdb_through_remote_read(peers, tmp_path):
    """A Prometheus whose only data is MyTSDB, through remote_read, answers
    range queries as MyTSDB answers them itself."""
    _, ours, _ = peers
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1h\n"
        f"remote_read:\n  - url: {ours.url}/api/v1/read\n    read_recent: true\n")
    proc, log = start_peer(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                            f"--storage.tsdb.path={tmp_path / 'data'}",
                            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                           url, tmp_path / "log")
    try:
        for expr in ("requests_total", 'sum by (job) (rate(requests_total[5m]))',
                     'max_over_time(temperature{instance!="i2"}[10m])', "odd"):
            # Evaluated between samples: Prometheus 2's ranges include their
            # left end, Prometheus 3's and MyTSDB's do not.
            params = {"query": expr, "start": (START + 10 * MIN + 7_000) / 1000, "end": NOW / 1000,
                      "step": "60"}
            theirs = requests.get(url + "/api/v1/query_range", params=params, timeout=60).json()
            mine = ours.get("/api/v1/query_range", params=params).json()
            assert theirs["status"] == "success", theirs
            key = lambda s: sorted(s["metric"].items())  # noqa: E731
            got, want = sorted(theirs["data"]["result"], key=key), sorted(mine["data"]["result"], key=key)
            assert got and [s["metric"] for s in got] == [s["metric"] for s in want], expr
            for a, b in zip(got, want):
                # Values to 1e-12: a sum of rates may differ in its last bit.
                assert [t for t, _ in a["values"]] == [t for t, _ in b["values"]], expr
                assert all(x == y or math.isclose(float(x), float(y), rel_tol=1e-12)
                           for (_, x), (_, y) in zip(a["values"], b["values"])), (expr, a, b)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
