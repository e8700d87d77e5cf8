"""remote_write 1.0 receiver semantics against the real server binary."""
import math
import os

import pytest

import remote_write as rw

T0 = 1_700_000_000_000  # ms
# The data is from 2023: retention counts back from the clock, so keep it all.
SERVER_ARGS = ["--retention", "100y"]


def ingested(server):
    return server.metric("mytsdb_ingest_samples_total")


def series_count(server):
    r = server.get("/api/v1/series", params={"match[]": '{__name__=~".+"}'})
    assert r.status_code == 200, r.text
    return len(r.json()["data"])


def test_accepts_valid_request_and_reads_it_back(server):
    r = rw.write(server.http, server.url, [
        ({"__name__": "up", "job": "api", "instance": "a:1"}, [(T0, 1.0), (T0 + 15000, 0.0)]),
        ({"__name__": "up", "job": "api", "instance": "b:1"}, [(T0, 1.0)]),
    ])
    assert r.status_code == 204, r.text
    assert r.headers["X-Prometheus-Remote-Write-Samples-Written"] == "3"
    assert ingested(server) == 3
    assert server.metric("mytsdb_ingest_series_created_total") == 2
    assert server.metric("mytsdb_head_series") == 2
    data = rw.export(server.http, server.url, "up", hex_values=False)
    key = frozenset({"__name__": "up", "job": "api", "instance": "a:1"}.items())
    assert data[key] == [(T0, 1), (T0 + 15000, 0)]


def test_special_values_round_trip_bit_exactly(server):
    specials = [rw.STALE_NAN_BITS, 0x7FF8000000000001, 0xFFF8000000000000,
                rw.float_to_bits(math.inf), rw.float_to_bits(-math.inf),
                rw.float_to_bits(-0.0), 1, rw.float_to_bits(1.7976931348623157e308)]
    samples = [(T0 + i * 1000, rw.bits_to_float(b)) for i, b in enumerate(specials)]
    assert rw.write(server.http, server.url, [({"__name__": "special"}, samples)]).status_code == 204
    got = rw.export(server.http, server.url, "special")
    assert got[frozenset({"__name__": "special"}.items())] == [
        (T0 + i * 1000, b) for i, b in enumerate(specials)]
    # The JSON value encoding follows VictoriaMetrics: null for NaN.
    r = server.get("/api/v1/export", params={"match[]": "special"})
    line = r.text.strip()
    assert '"values":[null,null,null,"Infinity","-Infinity",-0.0,5e-324,1.7976931348623157e+308]' in line \
        or '"values":[null,null,null,"Infinity","-Infinity",-0,5e-324,1.7976931348623157e+308]' in line, line


def assert_rejected(server, response, code, words):
    assert response.status_code == code, response.text
    for w in words:
        assert w in response.text, (w, response.text)
    assert ingested(server) == 0
    assert series_count(server) == 0


def test_bad_snappy_is_400_and_changes_nothing(server):
    r = server.post("/api/v1/write", data=b"\xff\xff\xff\xff\xff not snappy", headers=rw.HEADERS)
    assert_rejected(server, r, 400, ["snappy"])


def test_empty_body_is_400(server):
    # An empty body decodes to an empty request in protobuf terms only if
    # snappy accepts it; a zero-length snappy block is invalid.
    r = server.post("/api/v1/write", data=b"", headers=rw.HEADERS)
    assert r.status_code in (204, 400), r.text
    assert ingested(server) == 0


def test_bad_protobuf_is_400_and_changes_nothing(server):
    r = server.post("/api/v1/write", data=rw.snappy_compress(b"\x0a\xff\xff\xff\xff\x0f garbage"),
                    headers=rw.HEADERS)
    assert_rejected(server, r, 400, ["protobuf"])


@pytest.mark.parametrize("labels,words", [
    ([("__name__", "m"), ("", "v")], ["invalid label name"]),
    ([("__name__", "m"), (b"bad\xff", "v")], ["invalid label name"]),
    ([("__name__", "m"), ("a", b"\xc3\x28")], ["not valid UTF-8"]),
    ([("__name__", "m"), ("a", "1"), ("a", "2")], ["duplicate label name", "\"a\""]),
    ([("__name__", "m"), ("b", "1"), ("a", "2")], ["not sorted"]),
    ([("job", "x")], ["no metric name"]),
])
def test_invalid_series_reject_the_whole_request(server, labels, words):
    good = ({"__name__": "good"}, [(T0, 1.0)])
    bad = (labels, [(T0, 1.0)])
    r = server.post("/api/v1/write", data=rw.encode([good, bad], sort_labels=False),
                    headers=rw.HEADERS)
    assert_rejected(server, r, 400, words)


def test_legacy_name_validation_rejects_utf8_names(server_factory):
    server = server_factory(extra_args=["--name-validation", "legacy"])
    r = rw.write(server.http, server.url, [({"__name__": "m", "k8s.pod": "x"}, [(T0, 1.0)])])
    assert_rejected(server, r, 400, ["invalid label name", "k8s.pod"])
    r = rw.write(server.http, server.url, [({"__name__": "http.requests"}, [(T0, 1.0)])])
    assert_rejected(server, r, 400, ["invalid metric name"])


def test_utf8_names_are_accepted_by_default(server):
    r = rw.write(server.http, server.url, [({"__name__": "http.requests", "k8s.pod": "x"}, [(T0, 1.0)])])
    assert r.status_code == 204, r.text
    r = server.get("/api/v1/label/U__k8s_2e_pod/values")
    assert r.json() == {"status": "success", "data": ["x"]}


def test_oversize_body_is_413(server_factory):
    server = server_factory(extra_args=["--max-write-body-size", "1KiB"])
    big = [({"__name__": "m", "i": str(i)}, [(T0, float(i))]) for i in range(200)]
    r = server.post("/api/v1/write", data=rw.encode(big), headers=rw.HEADERS)
    assert r.status_code == 413, r.text
    assert ingested(server) == 0


def test_oversize_decompressed_payload_is_413(server_factory):
    server = server_factory(extra_args=["--max-write-decompressed-size", "4KiB"])
    # Compresses far below 4 KiB, decompresses above it.
    series = [({"__name__": "m", "pad": "x" * 8000}, [(T0, 1.0)])]
    body = rw.encode(series)
    assert len(body) < 4096
    r = server.post("/api/v1/write", data=body, headers=rw.HEADERS)
    assert r.status_code == 413, r.text
    assert ingested(server) == 0


def test_unsupported_content_type_and_encoding_are_415(server):
    body = rw.encode([({"__name__": "m"}, [(T0, 1.0)])])
    r = server.post("/api/v1/write", data=body, headers={**rw.HEADERS, "Content-Encoding": "zstd"})
    assert r.status_code == 415 and "Content-Encoding" in r.text
    r = server.post("/api/v1/write", data=body, headers={
        **rw.HEADERS, "Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request"})
    assert r.status_code == 415 and "2.0" in r.text
    assert ingested(server) == 0


def test_out_of_order_is_reported_old_samples_backfilled_and_valid_samples_kept(server):
    hour = 3600 * 1000
    assert rw.write(server.http, server.url,
                    [({"__name__": "m"}, [(T0, 1.0), (T0 + 10_000, 2.0)])]).status_code == 204
    r = rw.write(server.http, server.url, [
        ({"__name__": "m"}, [(T0 + 5_000, 9.0),        # out of order
                             (T0 + 10_000, 3.0),       # duplicate timestamp, other value
                             (T0 + 20_000, 4.0)]),     # fine
        ({"__name__": "old"}, [(T0 - 2 * hour, 1.0)]),  # older than the head accepts: backfill
        ({"__name__": "new"}, [(T0 + 1_000, 5.0)]),    # fine: new series inside the window
    ])
    assert r.status_code == 400, r.text
    assert "2 of 5 samples rejected" in r.text
    assert "1 out of order" in r.text and "too old" not in r.text and "1 with a duplicate" in r.text
    assert r.headers["X-Prometheus-Remote-Write-Samples-Written"] == "3"
    assert ingested(server) == 4
    assert server.metric("mytsdb_cold_backfilled_samples_total") == 1
    assert server.metric("mytsdb_remote_write_samples_rejected_total", {"reason": "out_of_order"}) == 1
    assert server.metric("mytsdb_ingest_samples_rejected_total", {"reason": "too_old"}) == 0
    got = rw.export(server.http, server.url, '{__name__=~"m|new|old"}', hex_values=False)
    assert got[frozenset({"__name__": "m"}.items())] == [(T0, 1), (T0 + 10_000, 2), (T0 + 20_000, 4)]
    assert got[frozenset({"__name__": "new"}.items())] == [(T0 + 1_000, 5)]
    assert got[frozenset({"__name__": "old"}.items())] == [(T0 - 2 * hour, 1)]


def test_resending_the_same_samples_is_harmless(server):
    batch = [({"__name__": "m"}, [(T0, 1.0), (T0 + 1000, 2.0)])]
    assert rw.write(server.http, server.url, batch).status_code == 204
    assert rw.write(server.http, server.url, batch).status_code == 204
    assert ingested(server) == 2


def test_metadata_is_kept_across_restart(server):
    md = [("http_requests_total", rw.pb.MetricMetadata.COUNTER, "Requests served.", ""),
          ("node_memory_bytes", rw.pb.MetricMetadata.GAUGE, "Memory.", "bytes")]
    r = rw.write(server.http, server.url, [({"__name__": "http_requests_total"}, [(T0, 1.0)])], md)
    assert r.status_code == 204, r.text
    expected = {"status": "success", "data": {
        "http_requests_total": [{"type": "counter", "help": "Requests served.", "unit": ""}],
        "node_memory_bytes": [{"type": "gauge", "help": "Memory.", "unit": "bytes"}]}}
    assert server.get("/api/v1/metadata").json() == expected
    server.stop()
    server.start()
    assert server.get("/api/v1/metadata").json() == expected
    assert server.get("/api/v1/metadata", params={"metric": "node_memory_bytes"}).json()["data"] == {
        "node_memory_bytes": [{"type": "gauge", "help": "Memory.", "unit": "bytes"}]}
