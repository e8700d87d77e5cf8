#!/usr/bin/env python3
"""Measures the cold tier's Parquet encoding choices on real MyTSDB output.

Reads every file of a MyTSDB cold tier (DATA/parquet) and rewrites the same
rows with pyarrow under variants of one choice at a time, printing the bytes
per sample of each variant next to MyTSDB's own files. docs/FORMAT.md quotes
its output.

    .venv/bin/python bench/format_encodings.py DATA/parquet
"""
import argparse
import os
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def write(table, path, **kw):
    pq.write_table(table, path, **kw)
    return os.path.getsize(path)


def decimal_split(table, max_scale=9):
    """`value` as a decimal where that is exact, as MyTSDB writes it
    (docs/FORMAT.md, "Values"), for trying other encodings of it: per series
    the smallest scale s at which every finite value v is m / 10**s with an
    integer m (|m| < 2**53), m in `value_int`, 10**s in `value_div`; the
    other rows (NaN, ±Inf, -0, values no scale fits) keep `value`, null
    elsewhere."""
    import numpy as np
    import pandas as pd

    v = table.column("value").to_numpy()
    plain = ~np.isfinite(v) | ((v == 0) & np.signbit(v))
    row_scale = np.full(len(v), -1, dtype=np.int64)
    with np.errstate(all="ignore"):
        for s in range(max_scale, -1, -1):  # the last match is the smallest scale
            p = 10.0 ** s
            m = np.round(v * p)
            row_scale[~plain & (np.abs(m) < 2**53) & (m / p == v)] = s
    series_scale = pd.Series(row_scale).groupby(table.column("series_id").to_numpy()) \
        .transform("max").to_numpy()
    p = 10.0 ** np.clip(series_scale, 0, None)
    with np.errstate(all="ignore"):
        m = np.round(v * p)
        fits = (row_scale >= 0) & (np.abs(m) < 2**53) & (m / p == v)
    out = table.drop_columns(["value"])
    out = out.append_column("value", pa.array(v, mask=fits))
    out = out.append_column("value_int", pa.array(np.where(fits, m, 0).astype(np.int64), mask=~fits))
    out = out.append_column("value_div", pa.array((10 ** np.clip(series_scale, 0, None)).astype(np.int64),
                                                  mask=~fits))
    return out, int(fits.sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("table_dir", help="the cold tier directory, DATA/parquet")
    args = ap.parse_args()
    files = sorted(Path(args.table_dir).glob("day=*/*.parquet"))
    if not files:
        sys.exit(f"format_encodings: no Parquet files under {args.table_dir}/day=*/")
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    if "value_int" in table.column_names:
        # Decimal values (docs/FORMAT.md, "Values") back into one double
        # column, as files before them stored it: the variants start there.
        import pyarrow.compute as pc
        value = pc.coalesce(table["value"], pc.divide(pc.cast(table["value_int"], pa.float64()),
                                                      pc.cast(table["value_div"], pa.float64())))
        table = table.drop_columns(["value", "value_int", "value_div"])
        table = table.add_column(3, pa.field("value", pa.float64(), False), value)
    rows = table.num_rows
    mytsdb_bytes = sum(f.stat().st_size for f in files)
    labels = [c for c in table.column_names if c not in ("metric", "series_id", "ts", "value")]
    base = dict(compression="zstd", compression_level=3, row_group_size=256 * 1024,
                use_dictionary=["metric", "series_id", *labels],
                column_encoding={"ts": "DELTA_BINARY_PACKED", "value": "PLAIN"},
                write_statistics=True, write_page_index=True)
    variants = [
        ("MyTSDB's files as written", None),
        ("one double `value` column (files before decimals), rewritten by pyarrow", {}),
        ("ts PLAIN (instead of DELTA_BINARY_PACKED)",
         {"column_encoding": {"value": "PLAIN"}, "use_dictionary": ["metric", "series_id", *labels]}),
        ("value BYTE_STREAM_SPLIT (instead of PLAIN)",
         {"column_encoding": {"ts": "DELTA_BINARY_PACKED", "value": "BYTE_STREAM_SPLIT"}}),
        ("value dictionary", {"column_encoding": {"ts": "DELTA_BINARY_PACKED"},
                              "use_dictionary": ["metric", "series_id", "value", *labels]}),
        ("labels and metric PLAIN (no dictionary)",
         {"use_dictionary": ["series_id"]}),
        ("series_id PLAIN (no dictionary)",
         {"use_dictionary": ["metric", *labels]}),
        ("snappy instead of ZSTD", {"compression": "snappy", "compression_level": None}),
        ("ZSTD level 9", {"compression_level": 9}),
        ("row groups of 1 Mi rows (instead of 256 Ki)", {"row_group_size": 1024 * 1024}),
        ("no compression", {"compression": "none", "compression_level": None}),
    ]
    split, decimal_rows = decimal_split(table)
    decimal = {"column_encoding": {"ts": "DELTA_BINARY_PACKED", "value": "PLAIN",
                                   "value_int": "DELTA_BINARY_PACKED"},
               "use_dictionary": ["metric", "series_id", "value_div", *labels], "table": split}
    variants += [
        (f"value as decimal: value_int DELTA_BINARY_PACKED + value_div "
         f"({decimal_rows / rows:.1%} of rows; the rest in value)", decimal),
        ("the same, value_int PLAIN", {**decimal, "column_encoding": {
            "ts": "DELTA_BINARY_PACKED", "value": "PLAIN", "value_int": "PLAIN"}}),
        ("the same as decimal, ZSTD level 9", {**decimal, "compression_level": 9}),
        ("the same, value_int BYTE_STREAM_SPLIT", {**decimal, "column_encoding": {
            "ts": "DELTA_BINARY_PACKED", "value": "PLAIN", "value_int": "BYTE_STREAM_SPLIT"}}),
        ("the same, value_int BYTE_STREAM_SPLIT, ZSTD level 9", {
            **decimal, "compression_level": 9, "column_encoding": {
                "ts": "DELTA_BINARY_PACKED", "value": "PLAIN", "value_int": "BYTE_STREAM_SPLIT"}}),
    ]
    print(f"{rows:,} samples in {len(files)} file(s), {len(labels)} label columns\n")
    print(f"| variant | bytes/sample | vs MyTSDB |")
    print(f"| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for name, change in variants:
            if change is None:
                size = mytsdb_bytes
            else:
                kw = {**base, **change}
                if kw.get("compression_level") is None:
                    kw.pop("compression_level", None)
                if "column_encoding" in kw:
                    # Dictionary must be off on columns with an explicit encoding.
                    enc_cols = set(kw["column_encoding"])
                    kw["use_dictionary"] = [c for c in kw["use_dictionary"] if c not in enc_cols]
                data = kw.pop("table", table)
                size = write(data, os.path.join(tmp, "v.parquet"), **kw)
            print(f"| {name} | {size / rows:.3f} | {size / mytsdb_bytes:.2f}x |")
        # Bytes per column in MyTSDB's files (compressed, from the footers).
        per_column = {}
        for f in files:
            md = pq.ParquetFile(f).metadata
            for rg in range(md.num_row_groups):
                for c in range(md.num_columns):
                    col = md.row_group(rg).column(c)
                    per_column[col.path_in_schema] = per_column.get(col.path_in_schema, 0) + \
                        col.total_compressed_size
        print("\n| column | bytes/sample in MyTSDB's files |")
        print("| --- | --- |")
        for name, size in sorted(per_column.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {size / rows:.3f} |")


if __name__ == "__main__":
    main()
