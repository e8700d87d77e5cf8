"""A remote-read client for tests: the request as protobuf (generated at
import time by protoc from the project's src/remote/remote_read.proto) with
snappy; both answers decoded, the streamed one frame by frame (length, CRC-32C)
and its XOR chunks sample by sample, written from Prometheus's chunk format
(tsdb/chunkenc/xor.go). The tests check this decoder against Prometheus's
own answers before they trust it with MyTSDB's."""
import struct
from pathlib import Path

import cramjam
import requests

from helpers import protobuf_module

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "src" / "remote" / "remote_read.proto"

pb = protobuf_module(PROTO)

SAMPLES, STREAMED = pb.ReadRequest.SAMPLES, pb.ReadRequest.STREAMED_XOR_CHUNKS
_MATCH = {"=": pb.LabelMatcher.EQ, "!=": pb.LabelMatcher.NEQ, "=~": pb.LabelMatcher.RE,
          "!~": pb.LabelMatcher.NRE}


def request_body(queries, accepted=()):
    """queries: [(start_ms, end_ms, [(name, op, value)])]."""
    req = pb.ReadRequest()
    for start, end, matchers in queries:
        q = req.queries.add()
        q.start_timestamp_ms, q.end_timestamp_ms = start, end
        for name, op, value in matchers:
            m = q.matchers.add()
            m.type, m.name, m.value = _MATCH[op], name, value
    req.accepted_response_types.extend(accepted)
    return bytes(cramjam.snappy.compress_raw(req.SerializeToString()))


def post(url, body, timeout=60):
    return requests.post(url + "/api/v1/read", data=body, timeout=timeout, headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Read-Version": "0.1.0"})


def _labels(pb_labels):
    return frozenset((label.name, label.value) for label in pb_labels)


def _bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def decode_samples(body, queries):
    """[{labels: [(ts, value bits)]}] per query, within each query's range."""
    resp = pb.ReadResponse.FromString(bytes(cramjam.snappy.decompress_raw(body)))
    out = []
    for (start, end, _), result in zip(queries, resp.results, strict=True):
        got = {}
        for ts in result.timeseries:
            got.setdefault(_labels(ts.labels), []).extend(
                (s.timestamp, _bits(s.value)) for s in ts.samples if start <= s.timestamp <= end)
        out.append(got)
    return out


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _uvarint(buf, pos):
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def frames(body):
    """The ChunkedReadResponse messages of a streamed answer, each checked
    against its length and CRC."""
    pos, out = 0, []
    while pos < len(body):
        size, pos = _uvarint(body, pos)
        crc = struct.unpack(">I", body[pos:pos + 4])[0]
        data = body[pos + 4:pos + 4 + size]
        assert len(data) == size, "a frame cut short"
        assert crc32c(data) == crc, "a frame's CRC does not match"
        out.append(pb.ChunkedReadResponse.FromString(data))
        pos += 4 + size
    return out


class _Bits:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def bit(self):
        b = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return b

    def bits(self, n):
        v = 0
        for _ in range(n):
            v = v << 1 | self.bit()
        return v

    def uvarint(self):
        value = shift = 0
        while True:
            b = self.bits(8)
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7


def xor_samples(data):
    """[(ts, value bits)] of a Prometheus XOR chunk (count, then the stream)."""
    n = struct.unpack(">H", data[:2])[0]
    r = _Bits(data[2:])
    out = []
    t = delta = 0
    value = leading = trailing = 0
    for i in range(n):
        if i == 0:
            zz = r.uvarint()
            t = (zz >> 1) ^ -(zz & 1)
            value = r.bits(64)
        else:
            if i == 1:
                delta = r.uvarint()
            else:
                ones = 0
                while ones < 4 and r.bit():
                    ones += 1
                if ones == 0:
                    dod = 0
                elif ones == 4:
                    dod = r.bits(64)
                    dod -= (1 << 64) if dod >= 1 << 63 else 0
                else:
                    size = {1: 14, 2: 17, 3: 20}[ones]
                    dod = r.bits(size)
                    if dod > 1 << (size - 1):
                        dod -= 1 << size
                delta += dod
            t += delta
            if r.bit():
                if r.bit():
                    leading = r.bits(5)
                    significant = r.bits(6) or 64
                    trailing = 64 - leading - significant
                value ^= r.bits(64 - leading - trailing) << trailing
        out.append((t, value))
    return out


def decode_streamed(body, queries):
    """Like decode_samples, from the frames of a streamed answer; also
    returns how many chunks and frames it held."""
    out = [{} for _ in queries]
    chunks = 0
    all_frames = frames(body)
    for frame in all_frames:
        start, end, _ = queries[frame.query_index]
        for series in frame.chunked_series:
            got = out[frame.query_index].setdefault(_labels(series.labels), [])
            for chunk in series.chunks:
                assert chunk.type == pb.Chunk.XOR
                chunks += 1
                samples = xor_samples(chunk.data)
                assert samples[0][0] == chunk.min_time_ms and samples[-1][0] == chunk.max_time_ms
                got.extend(s for s in samples if start <= s[0] <= end)
    return out, chunks, len(all_frames)
