"""The encoded records of a package, as parallel arrays, and their Parquet form.

Columns: ``record_id`` (16 random bytes), ``clk`` (concatenated free-text field
filters), ``token_<kind>`` (16-byte keyed exact tokens of the full NIK and No. KK, null
when missing), ``block_<kind>`` (64-bit keyed blocking keys, 0 when missing) and
``scoped_<kind>`` (the comparison-level tokens bound to that blocking key's value, a few
bytes per level kind, all zero when missing), ``u_bucket`` (a random number drawn per
record, carrying nothing about it) and ``u_levels`` (the level tokens bound to that
bucket: pairs in one bucket are random pairs, which show how often levels agree by
chance). Nothing in here is a raw value, and no column is a class of the data.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from padan.core.errors import VerificationError

ID_BYTES = 16


@dataclass(slots=True)
class USample:
    """Each record's random u-sample bucket and its level tokens bound to that bucket."""

    bucket: np.ndarray  # (n,) uint64, 1..buckets
    levels: np.ndarray  # (n, level kinds * bytes) uint8

    def take(self, order: np.ndarray) -> USample:
        """Rows reordered (or selected) by ``order``."""
        return USample(self.bucket[order], self.levels[order])


@dataclass(slots=True)
class RecordsTable:
    """Encoded records as parallel numpy arrays (one row per record)."""

    record_id: np.ndarray  # (n, 16) uint8
    clk: np.ndarray  # (n, width) uint8
    tokens: dict[str, np.ndarray]  # kind -> (n, 16) uint8; all-zero row = missing
    blocks: dict[str, np.ndarray]  # kind -> (n,) uint64; 0 = missing
    scoped: dict[str, np.ndarray]  # blocking kind -> (n, level kinds * bytes) uint8
    u_sample: USample

    def __len__(self) -> int:
        return len(self.record_id)

    def take(self, order: np.ndarray) -> RecordsTable:
        """Rows reordered (or selected) by ``order``."""
        return RecordsTable(
            self.record_id[order],
            self.clk[order],
            {k: v[order] for k, v in self.tokens.items()},
            {k: v[order] for k, v in self.blocks.items()},
            {k: v[order] for k, v in self.scoped.items()},
            self.u_sample.take(order),
        )

    def token_key(self, kind: str) -> np.ndarray:
        """A token as a uint64 join key (its first 8 bytes); 0 where missing."""
        return self.tokens[kind][:, :8].copy().view("<u8").ravel()


def _fixed(arr: np.ndarray, *, nullable: bool = False) -> pa.Array:
    width = arr.shape[1]
    flat = pa.array(np.ascontiguousarray(arr).reshape(-1), type=pa.uint8())
    data = flat.buffers()[1]
    missing = ~arr.any(axis=1) if nullable else None
    if missing is not None and missing.any():
        validity = pa.array(~missing).buffers()[1]
        return pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(arr), [validity, data], null_count=int(missing.sum())
        )
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(arr), [None, data])


def fixed_binary_array(column: pa.ChunkedArray, width: int) -> np.ndarray:
    """A fixed-size binary Parquet column as an ``(n, width)`` uint8 array (nulls as zeros)."""
    arr = column.combine_chunks()
    if len(arr) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    data = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    start = arr.offset * width
    out = data[start : start + len(arr) * width].reshape(len(arr), width).copy()
    if arr.null_count:
        out[np.asarray(arr.is_null())] = 0
    return out


def to_parquet(table: RecordsTable) -> bytes:
    """Serialise to Parquet bytes (zstd compressed, deterministic for equal input)."""
    columns = {"record_id": _fixed(table.record_id), "clk": _fixed(table.clk)}
    for kind, arr in table.tokens.items():
        columns[f"token_{kind}"] = _fixed(arr, nullable=True)
    for kind, arr in table.blocks.items():
        columns[f"block_{kind}"] = pa.array(arr, type=pa.uint64())
    for kind, arr in table.scoped.items():
        columns[f"scoped_{kind}"] = _fixed(arr)
    columns["u_bucket"] = pa.array(table.u_sample.bucket, type=pa.uint64())
    columns["u_levels"] = _fixed(table.u_sample.levels)
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink, compression="zstd", row_group_size=262_144)
    return sink.getvalue()


def from_parquet(data: bytes, clk_bytes: int, scoped_bytes: int) -> RecordsTable:
    """Read Parquet bytes written by :func:`to_parquet`; check the CLK and token widths."""
    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise VerificationError(f"package records are unreadable: {exc}") from None
    names = table.column_names
    if not {"record_id", "clk", "u_bucket", "u_levels"} <= set(names):
        raise VerificationError("package records lack record_id/clk/u_bucket/u_levels columns")
    if table.schema.field("clk").type != pa.binary(clk_bytes):
        raise VerificationError("package CLKs do not have the linkage schema's width")
    scoped = [n for n in names if n.startswith("scoped_")]
    if any(table.schema.field(n).type != pa.binary(scoped_bytes) for n in scoped):
        raise VerificationError("package level tokens do not have the linkage schema's width")
    return RecordsTable(
        record_id=fixed_binary_array(table["record_id"], ID_BYTES),
        clk=fixed_binary_array(table["clk"], clk_bytes),
        tokens={n[6:]: fixed_binary_array(table[n], 16) for n in names if n.startswith("token_")},
        blocks={
            n.removeprefix("block_"): table[n].to_numpy().astype(np.uint64)
            for n in names
            if n.startswith("block_")
        },
        scoped={
            n.removeprefix("scoped_"): fixed_binary_array(table[n], scoped_bytes) for n in scoped
        },
        u_sample=USample(
            table["u_bucket"].to_numpy().astype(np.uint64),
            fixed_binary_array(table["u_levels"], scoped_bytes),
        ),
    )
