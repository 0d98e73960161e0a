"""Field-level Bloom filters (CLKs), one independent key per field.

Each filter field of the linkage schema is a complete clkhash v3 schema. Its filter is made as
clkhash makes it (``padan.owner.clk``, bit-identical) with a key derived for that field
only, and the record's CLK is the concatenation of its field filters (every field a
multiple of 64 bits, so the coordinator can compare field by field on 64-bit words).
Work is split into chunks over a process pool; chunk order is kept, so output is
deterministic.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from padan.core.files import worker_pool
from padan.core.schema import LinkageSchema
from padan.owner.clk import (
    ClkSchema,
    feature_keys,
    filter_bits,
    parse_clk_schema,
    to_bytes,
    token_bits,
)

CHUNK = 4096
VALUE_CACHE = 100_000  # per field and process; bounds memory on huge inputs


class TokenFilters:
    """One field's Bloom filter, built from a cache of per-token filters.

    With the bits-per-token strategy and no XOR folding, a record's filter is the OR of
    the filters of its tokens, and a token's filter depends only on the token and the
    field key. So each distinct token (a bigram, a digit at a position) is hashed once and
    reused for every record: bit-identical to the per-record path, and much faster
    because the hashing leaves the per-record loop. Whole values (a sex, a birth place, a
    common name) repeat too, so their filters are cached as well. A schema without that
    property (``bitsPerFeature``, folding) takes the per-record path.
    """

    def __init__(self, schema: ClkSchema, keys: tuple[bytes, ...]):
        if len(schema.features) != 1:
            raise ValueError("a field's clkhash schema must have exactly one feature")
        self.applicable = schema.token_cacheable
        self._schema, self._keys, self._feature = schema, keys, schema.features[0]
        self._n_bytes = schema.l // 8
        # Filters as Python ints (big-endian bit strings): OR is one operation.
        self._tokens: dict[str, int] = {}
        self._values: dict[str, bytes] = {}

    def _token_filter(self, token: str) -> int:
        found = self._tokens.get(token)
        if found is None:
            feature = self._feature
            found = self._tokens[token] = token_bits(
                token, self._keys[0], feature.bits, self._schema.l, feature.encoding
            )
        return found

    def _value_filter(self, value: str) -> bytes:
        found = self._values.get(value)
        if found is None:
            bits = 0
            feature = self._feature
            if feature.hashed:
                for token in feature.tokenization.tokens(feature.prepare(value)):
                    bits |= self._token_filter(token)
            if len(self._values) >= VALUE_CACHE:
                self._values.clear()
            found = self._values[value] = bits.to_bytes(self._n_bytes, "big")
        return found

    def encode(self, values: Sequence[str]) -> np.ndarray:
        """Filters of ``values`` as an ``(n, l/8)`` uint8 array."""
        if self.applicable:
            data = b"".join(map(self._value_filter, values))
        else:
            data = encode_reference(values, self._keys, self._schema)
        return np.frombuffer(data, dtype=np.uint8).reshape(len(values), self._n_bytes)


def encode_reference(values: Sequence[str], keys: tuple[bytes, ...], schema: ClkSchema) -> bytes:
    """One-feature filters of ``values``, record by record (slow; the reference path)."""
    return b"".join(to_bytes(filter_bits([v], keys, schema), schema.l) for v in values)


class FieldEncoder:
    """Encodes rows of field values (schema order) into concatenated field filters.

    ``field_keys`` is looked up by field name.
    """

    def __init__(self, linkage_schema: LinkageSchema, field_keys: Mapping[str, bytes]):
        self.layouts = linkage_schema.field_layouts
        self.width = linkage_schema.clk_bytes
        self._schemas = [parse_clk_schema(spec.clkhash()) for spec in linkage_schema.filters]
        self._keys = [
            feature_keys(field_keys[spec.name], schema)
            for spec, schema in zip(linkage_schema.filters, self._schemas, strict=True)
        ]
        self._filters = [
            TokenFilters(schema, keys)
            for schema, keys in zip(self._schemas, self._keys, strict=True)
        ]

    def _place(self, rows: Sequence[Sequence[str]], encode_field: Callable) -> np.ndarray:
        out = np.zeros((len(rows), self.width), dtype=np.uint8)
        for col, layout in enumerate(self.layouts):
            present = [i for i, row in enumerate(rows) if row[col]]
            if present:
                span = slice(layout.offset_bytes, layout.offset_bytes + layout.n_bytes)
                out[present, span] = encode_field(col, [rows[i][col] for i in present])
        return out

    def encode(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """Return an ``(n, width)`` uint8 array; an empty value leaves its field all zero."""
        return self._place(rows, lambda col, values: self._filters[col].encode(values))

    def encode_reference(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """The same through the per-record path (slow; kept for the equivalence test)."""

        def field(col: int, values: list[str]) -> np.ndarray:
            data = encode_reference(values, self._keys[col], self._schemas[col])
            return np.frombuffer(data, dtype=np.uint8).reshape(len(values), -1)

        return self._place(rows, field)


_worker_encoder: FieldEncoder | None = None


def _init_worker(linkage_schema: LinkageSchema, field_keys: Mapping[str, bytes]) -> None:
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
    linkage_schema: LinkageSchema,
    field_keys: Mapping[str, bytes],
    workers: int | None = None,
) -> Iterator[Callable[[Sequence[Sequence[str]]], np.ndarray]]:
    """Yield a function encoding rows (in order) on ``workers`` processes (default: all cores).

    The filters alone, for benchmarks; ``padan.owner.encode``
    runs the whole per-row path in its workers instead.
    """
    workers = workers or os.cpu_count() or 1
    width = linkage_schema.clk_bytes
    encoder_args = (linkage_schema, field_keys)

    def assemble(parts: Iterable[np.ndarray]) -> np.ndarray:
        chunks = list(parts)
        return np.concatenate(chunks) if chunks else np.zeros((0, width), dtype=np.uint8)

    if workers == 1:
        encoder = FieldEncoder(*encoder_args)
        yield lambda rows: assemble(encoder.encode(c) for c in _chunks(rows))
        return
    with worker_pool(workers, initializer=_init_worker, initargs=encoder_args) as pool:
        yield lambda rows: assemble(pool.map(_encode_chunk, _chunks(rows)))
