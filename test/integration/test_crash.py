"""Acknowledged data survives SIGKILL: 20 kills during sustained ingestion.

Two writers send remote-write batches continuously; the server is killed with
SIGKILL at a random moment, restarted on the same data directory, and every
sample whose request was acknowledged (204) before the kill must be exported
back with the same timestamp and the same 64 bits.
"""
import random
import struct
import threading
import time

import pytest
import requests

import remote_write as rw
from conftest import Server

KILLS = 20
WRITERS = 2
SERIES_PER_WRITER = 40
SAMPLES_PER_BATCH = 5
T0 = 1_700_000_000_000


class Writer(threading.Thread):
    def __init__(self, index, url, start_ts, rng):
        super().__init__(daemon=True)
        self.index = index
        self.url = url
        self.ts = start_ts
        self.rng = rng
        self.acked = []  # (labels frozenset, ts, bits)
        self.error = None
        self.stop = threading.Event()
        self.session = requests.Session()
        self.labels = [{"__name__": "crash_test", "writer": str(index), "s": str(s)}
                       for s in range(SERIES_PER_WRITER)]

    def value_bits(self):
        r = self.rng.random()
        if r < 0.02:
            return rw.STALE_NAN_BITS
        if r < 0.04:
            return 0x7FF8000000000000 | self.rng.getrandbits(51) | 1  # NaN with payload
        return struct.unpack("<Q", struct.pack("<d", self.rng.uniform(-1e6, 1e6)))[0]

    def run(self):
        while not self.stop.is_set():
            series, sent = [], []
            for labels in self.labels:
                samples = []
                for k in range(SAMPLES_PER_BATCH):
                    bits = self.value_bits()
                    samples.append((self.ts + k * 1000, rw.bits_to_float(bits)))
                    sent.append((frozenset(labels.items()), self.ts + k * 1000, bits))
                series.append((labels, samples))
            self.ts += SAMPLES_PER_BATCH * 1000
            try:
                r = rw.write(self.session, self.url, series, timeout=10)
            except requests.RequestException:
                return  # the server died mid-request: not acknowledged
            if r.status_code != 204:
                self.error = f"write failed: {r.status_code} {r.text}"
                return
            self.acked.extend(sent)


def test_acknowledged_samples_survive_sigkill(tmp_path):
    rng = random.Random(20261124)
    data_dir = tmp_path / "data"
    # Small segments so that kills also land around segment boundaries.
    # The data is from 2023: retention counts back from the clock.
    server = Server(data_dir, ["--wal-segment-size", "256KiB", "--retention", "100y"])
    acked = {}
    next_ts = [T0] * WRITERS
    try:
        for kill in range(KILLS):
            server.start()
            # Everything acknowledged before the previous kills is still there.
            got = rw.export(server.http, server.url, "crash_test")
            for key, samples in acked.items():
                have = dict(got.get(key, []))
                missing = [(t, b) for t, b in samples if have.get(t) != b]
                assert not missing, f"kill {kill}: {len(missing)} acknowledged samples of " \
                                    f"{dict(key)} lost or changed, e.g. {missing[:3]}"
            writers = [Writer(w, server.url, next_ts[w], random.Random(rng.random()))
                       for w in range(WRITERS)]
            for w in writers:
                w.start()
            time.sleep(rng.uniform(0.2, 0.8))
            server.kill()
            for w in writers:
                w.stop.set()
                w.join(timeout=20)
                assert not w.is_alive()
                assert w.error is None, w.error
                next_ts[w.index] = w.ts + 1000
                for key, t, bits in w.acked:
                    acked.setdefault(key, []).append((t, bits))
            assert sum(len(w.acked) for w in writers) > 0, "no write was acknowledged"
        server.start()
        got = rw.export(server.http, server.url, "crash_test")
        total = 0
        for key, samples in acked.items():
            have = dict(got.get(key, []))
            assert all(have.get(t) == b for t, b in samples), dict(key)
            total += len(samples)
        assert total > 10_000, total
        assert server.metric("mytsdb_head_series") == WRITERS * SERIES_PER_WRITER
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()
