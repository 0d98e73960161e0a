"""padan's cached field encoder is bit-identical to its per-record reference path
(which tests/test_clk.py holds bit-identical to clkhash)."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.core.resources import schemas_dir
from padan.core.schema import DEFAULT_SCHEMA, load_linkage_schema, parse_linkage_schema
from padan.owner.bloom import FieldEncoder

SCHEMA = load_linkage_schema()
N_FIELDS = len(SCHEMA.filters)
KEYS = {f.name: bytes([i + 1]) * 32 for i, f in enumerate(SCHEMA.filters)}
VALUES = st.text(alphabet="abcdeéfgijkmnrstuy 0123456789-", max_size=24)
ROWS = st.lists(st.lists(VALUES, min_size=N_FIELDS, max_size=N_FIELDS), max_size=40)


def _row(**values: str) -> list[str]:
    """A row in schema field order; fields not given are empty."""
    return [values.get(f.name, "") for f in SCHEMA.filters]


@settings(max_examples=40, deadline=None)
@given(ROWS)
def test_cached_encoder_equals_reference_path(rows: list[list[str]]) -> None:
    encoder = FieldEncoder(SCHEMA, KEYS)
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))
    # A second pass hits the caches and must still agree.
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))


def test_empty_value_leaves_its_field_empty_and_keys_matter() -> None:
    rows = [_row(name="siti aminah", address_numbers="12 42117")]
    encoded = FieldEncoder(SCHEMA, KEYS).encode(rows)[0]
    layouts = {lay.name: lay for lay in SCHEMA.field_layouts}
    address = layouts["address"]
    assert not encoded[address.offset_bytes : address.offset_bytes + address.n_bytes].any()
    name = layouts["name"]
    assert encoded[name.offset_bytes : name.offset_bytes + name.n_bytes].any()
    other = FieldEncoder(SCHEMA, {k: v[::-1] + b"x" for k, v in KEYS.items()}).encode(rows)[0]
    assert not np.array_equal(encoded, other)


def test_schemas_the_cache_cannot_serve_fall_back_to_the_reference_path() -> None:
    data = json.loads((schemas_dir() / "linkage" / f"{DEFAULT_SCHEMA}.json").read_text())
    for spec in data["filters"]:
        spec["clkhash"]["clkConfig"]["xor_folds"] = 1
        spec["clkhash"]["clkConfig"]["l"] //= 2
    folded = parse_linkage_schema(data)
    rows = [_row(name="budi santoso", address="jalan mawar 12")] * 3
    encoder = FieldEncoder(folded, KEYS)
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))
