"""A remote-write 1.0 client for tests: protobuf (generated at import time by
protoc from the project's own src/ingest/remote_write.proto) + snappy."""
import struct
from pathlib import Path

from helpers import protobuf_module

REPO = Path(__file__).resolve().parents[2]
PROTO = REPO / "src" / "ingest" / "remote_write.proto"

pb = protobuf_module(PROTO)

try:
    import cramjam

    def snappy_compress(data: bytes) -> bytes:
        return bytes(cramjam.snappy.compress_raw(data))
except ImportError:  # pragma: no cover
    import snappy

    def snappy_compress(data: bytes) -> bytes:
        return snappy.compress(data)

STALE_NAN_BITS = 0x7FF0000000000002
HEADERS = {
    "Content-Type": "application/x-protobuf",
    "Content-Encoding": "snappy",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
}


def bits_to_float(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def float_to_bits(v: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", v))[0]


def build_request(series, metadata=(), sort_labels=True):
    """series: iterable of (labels: dict or list of (name, value), samples: [(ts_ms, value)])."""
    req = pb.WriteRequest()
    for labels, samples in series:
        ts = req.timeseries.add()
        items = list(labels.items()) if isinstance(labels, dict) else list(labels)
        if sort_labels:
            items.sort()
        for name, value in items:
            lab = ts.labels.add()
            lab.name = name.encode() if isinstance(name, str) else name
            lab.value = value.encode() if isinstance(value, str) else value
        for t, v in samples:
            s = ts.samples.add()
            s.timestamp = t
            s.value = v
    for name, mtype, help_, unit in metadata:
        m = req.metadata.add()
        m.metric_family_name = name
        m.type = mtype
        m.help = help_
        m.unit = unit
    return req.SerializeToString()


def encode(series, metadata=(), sort_labels=True) -> bytes:
    return snappy_compress(build_request(series, metadata, sort_labels))


def write(session, url, series, metadata=(), sort_labels=True, timeout=30):
    return session.post(url + "/api/v1/write", data=encode(series, metadata, sort_labels),
                        headers=HEADERS, timeout=timeout)


def export(session, url, match, start=None, end=None, hex_values=True):
    """Returns {frozenset(labels.items()): [(ts, value_bits_or_float)]}."""
    import json

    params = {"match[]": match}
    if start is not None:
        params["start"] = start
    if end is not None:
        params["end"] = end
    if hex_values:
        params["value_encoding"] = "hex"
    r = session.get(url + "/api/v1/export", params=params, timeout=60)
    r.raise_for_status()
    out = {}
    for line in r.text.splitlines():
        obj = json.loads(line)
        key = frozenset(obj["metric"].items())
        vals = [int(v, 16) for v in obj["values"]] if hex_values else obj["values"]
        out[key] = list(zip(obj["timestamps"], vals))
    return out
