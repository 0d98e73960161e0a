"""Field-level Bloom filters (CLKs), one independent key per field.

Each field of the linkage schema is a complete clkhash v3 schema. Its filter is made as
clkhash makes it (``padan.owner.clk``, bit-identical) with a key derived for that field
only, and the record's CLK is the concatenation of its field filters (every field a
multiple of 64 bits, so the coordinator can compare field by field on 64-bit words).
Work is split into chunks over a process pool; chunk order is kept, so output is
deterministic.

A field spec may name a *salt* (``"salt": "birth_year"``): its filters are then keyed per
salt value (key ``field_keys["<field>/<salt value>"]``), so equal values with different
salts get unrelated filters. Rows carry the salt values after the field values, one per
kind in :func:`salt_kinds` order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from padan.core.files import worker_pool
from padan.core.schema import field_layouts
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


def salt_kinds(linkage_schema: Mapping[str, Any]) -> list[str]:
    """The salt kinds the schema's fields use, in first-use order (the extra row columns)."""
    kinds: list[str] = []
    for spec in linkage_schema["fields"]:
        if spec.get("salt") and spec["salt"] not in kinds:
            kinds.append(spec["salt"])
    return kinds


def salted_label(field: str, salt: str) -> str:
    """The ``field_keys`` entry of a salted field's key for one salt value."""
    return f"{field}/{salt}"


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
    """Encodes rows of field values (then salt values) into concatenated field filters.

    ``field_keys`` is looked up by field name, or by :func:`salted_label` for a salted
    field; one cached :class:`TokenFilters` is kept per (field, salt value).
    """

    def __init__(self, linkage_schema: Mapping[str, Any], field_keys: Mapping[str, bytes]):
        self.layouts = field_layouts(linkage_schema)
        self.width = sum(f.n_bytes for f in self.layouts)
        self._field_keys = field_keys
        self._specs = list(linkage_schema["fields"])
        self._schemas = [parse_clk_schema(spec["clkhash"]) for spec in self._specs]
        kinds = salt_kinds(linkage_schema)
        # Row column holding each field's salt value (None: the field is not salted).
        self._salt_cols = [
            len(self._specs) + kinds.index(spec["salt"]) if spec.get("salt") else None
            for spec in self._specs
        ]
        self._keys: dict[tuple[int, str], tuple[bytes, ...]] = {}
        self._filters: dict[tuple[int, str], TokenFilters] = {}
        for col, salt_col in enumerate(self._salt_cols):
            if salt_col is None:
                self._token_filters(col, "")  # a missing key fails here, not mid-run

    def _feature_keys(self, col: int, salt: str) -> tuple[bytes, ...]:
        found = self._keys.get((col, salt))
        if found is None:
            name = self._specs[col]["name"]
            key = self._field_keys[salted_label(name, salt) if salt else name]
            found = self._keys[col, salt] = feature_keys(key, self._schemas[col])
        return found

    def _token_filters(self, col: int, salt: str) -> TokenFilters:
        found = self._filters.get((col, salt))
        if found is None:
            found = self._filters[col, salt] = TokenFilters(
                self._schemas[col], self._feature_keys(col, salt)
            )
        return found

    def _place(self, rows: Sequence[Sequence[str]], encode_group: Callable) -> np.ndarray:
        out = np.zeros((len(rows), self.width), dtype=np.uint8)
        for col, layout in enumerate(self.layouts):
            salt_col = self._salt_cols[col]
            # Rows with a value, grouped by salt value ("" for an unsalted field).
            groups: dict[str, list[int]] = {}
            for i, row in enumerate(rows):
                if row[col]:
                    groups.setdefault(row[salt_col] if salt_col is not None else "", []).append(i)
            span = slice(layout.offset_bytes, layout.offset_bytes + layout.n_bytes)
            for salt, present in groups.items():
                out[present, span] = encode_group(col, salt, [rows[i][col] for i in present])
        return out

    def encode(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """Return an ``(n, width)`` uint8 array; an empty value leaves its field all zero."""
        return self._place(
            rows, lambda col, salt, values: self._token_filters(col, salt).encode(values)
        )

    def encode_reference(self, rows: Sequence[Sequence[str]]) -> np.ndarray:
        """The same through the per-record path (slow; kept for the equivalence test)."""

        def group(col: int, salt: str, values: list[str]) -> np.ndarray:
            data = encode_reference(values, self._feature_keys(col, salt), self._schemas[col])
            return np.frombuffer(data, dtype=np.uint8).reshape(len(values), -1)

        return self._place(rows, group)


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

    The filters alone, for benchmarks; ``padan.owner.encode``
    runs the whole per-row path in its workers instead.
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
    with worker_pool(workers, initializer=_init_worker, initargs=encoder_args) as pool:
        yield lambda rows: assemble(pool.map(_encode_chunk, _chunks(rows)))
