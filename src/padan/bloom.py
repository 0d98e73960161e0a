"""Field-level Bloom filters (CLKs) with clkhash, one independent key per field.

Each field of the linkage schema is a complete clkhash v3 schema. Its filter is made by
clkhash with a key derived for that field only, and the record's CLK is the concatenation
of its field filters (every field a multiple of 64 bits, so the coordinator can compare
field by field on 64-bit words). Work is split into chunks over a process pool; chunk
order is kept, so output is deterministic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from clkhash.bloomfilter import stream_bloom_filters
from clkhash.key_derivation import generate_key_lists
from clkhash.schema import Schema, from_json_dict

CHUNK = 4096


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """Where one field's filter sits inside the concatenated CLK (in bytes and words)."""

    name: str
    offset_bytes: int
    n_bytes: int

    @property
    def word_slice(self) -> slice:
        """The field's 64-bit words inside a packed CLK row."""
        return slice(self.offset_bytes // 8, (self.offset_bytes + self.n_bytes) // 8)


def field_layouts(linkage_schema: Mapping[str, Any]) -> list[FieldLayout]:
    """Byte layout of the concatenated CLK described by a linkage schema."""
    layouts, offset = [], 0
    for spec in linkage_schema["fields"]:
        bits = spec["clkhash"]["clkConfig"]["l"]
        if bits % 64:
            raise ValueError(f"field {spec['name']}: l={bits} is not a multiple of 64")
        layouts.append(FieldLayout(spec["name"], offset, bits // 8))
        offset += bits // 8
    return layouts


class FieldEncoder:
    """Encodes rows of field values into concatenated field-level Bloom filters."""

    def __init__(self, linkage_schema: Mapping[str, Any], field_keys: Mapping[str, bytes]):
        self.layouts = field_layouts(linkage_schema)
        self.width = sum(f.n_bytes for f in self.layouts)
        self._schemas: list[Schema] = []
        self._keys: list[Any] = []
        for spec in linkage_schema["fields"]:
            schema = from_json_dict(spec["clkhash"])
            self._schemas.append(schema)
            self._keys.append(
                generate_key_lists(
                    field_keys[spec["name"]],
                    len(schema.fields),
                    key_size=schema.kdf_key_size,
                    salt=schema.kdf_salt,
                    info=schema.kdf_info,
                    kdf=schema.kdf_type,
                    hash_algo=schema.kdf_hash,
                )
            )

    def encode(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """Return an ``(n, width)`` uint8 array; an empty value leaves its field all zero."""
        out = np.zeros((len(rows), self.width), dtype=np.uint8)
        for col, (layout, schema, keys) in enumerate(
            zip(self.layouts, self._schemas, self._keys, strict=True)
        ):
            present = [i for i, row in enumerate(rows) if row[col]]
            if not present:
                continue
            filters = stream_bloom_filters([[rows[i][col]] for i in present], keys, schema)
            block = np.frombuffer(b"".join(f[0].tobytes() for f in filters), dtype=np.uint8)
            out[present, layout.offset_bytes : layout.offset_bytes + layout.n_bytes] = (
                block.reshape(len(present), layout.n_bytes)
            )
        return out


_worker_encoder: FieldEncoder | None = None


def _init_worker(linkage_schema: Mapping[str, Any], field_keys: Mapping[str, bytes]) -> None:
    global _worker_encoder
    _worker_encoder = FieldEncoder(linkage_schema, field_keys)


def _encode_chunk(rows: Sequence[Sequence[str]]) -> np.ndarray:
    assert _worker_encoder is not None
    return _worker_encoder.encode(rows)


def _chunks(rows: Sequence[Sequence[str]]) -> Iterator[Sequence[Sequence[str]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


@contextlib.contextmanager
def field_encoder_pool(
    linkage_schema: Mapping[str, Any],
    field_keys: Mapping[str, bytes],
    workers: int | None = None,
) -> Iterator[Callable[[Sequence[Sequence[str]]], np.ndarray]]:
    """Yield a function encoding rows (in order) on ``workers`` processes (default: all cores).

    The pool lives for the whole ``with`` block, so a long input is encoded batch by
    batch without restarting processes.
    """
    workers = workers or os.cpu_count() or 1
    width = sum(f.n_bytes for f in field_layouts(linkage_schema))
    encoder_args = (linkage_schema, field_keys)

    def assemble(parts: Iterable[np.ndarray]) -> np.ndarray:
        chunks = list(parts)
        return np.concatenate(chunks) if chunks else np.zeros((0, width), dtype=np.uint8)

    if workers == 1:
        encoder = FieldEncoder(*encoder_args)
        yield lambda rows: assemble(encoder.encode(c) for c in _chunks(rows))
        return
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=encoder_args) as pool:
        yield lambda rows: assemble(pool.map(_encode_chunk, _chunks(rows)))
