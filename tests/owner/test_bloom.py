"""padan's cached field encoder is bit-identical to its per-record reference path
(which tests/test_clk.py holds bit-identical to clkhash)."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.core.schema import field_layouts, load_linkage_schema
from padan.owner.bloom import FieldEncoder

SCHEMA = load_linkage_schema()
for _spec in SCHEMA["fields"]:
    _spec.pop("salt", None)  # unsalted here; salted fields are tested in test_salt.py
KEYS = {f["name"]: bytes([i + 1]) * 32 for i, f in enumerate(SCHEMA["fields"])}
VALUES = st.text(alphabet="abcdeéfgijkmnrstuy 0123456789-", max_size=24)
ROWS = st.lists(
    st.lists(VALUES, min_size=len(SCHEMA["fields"]), max_size=len(SCHEMA["fields"])), max_size=40
)


def _row(*values: str) -> list[str]:
    """A row in schema field order; fields not given are empty."""
    return [*values, *[""] * (len(SCHEMA["fields"]) - len(values))]


@settings(max_examples=40, deadline=None)
@given(ROWS)
def test_cached_encoder_equals_reference_path(rows: list[list[str]]) -> None:
    encoder = FieldEncoder(SCHEMA, KEYS)
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))
    # A second pass hits the caches and must still agree.
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))


def test_empty_value_leaves_its_field_empty_and_keys_matter() -> None:
    rows = [_row("siti aminah", "17081990", "P", "3673015708900003", "", "serang")]
    encoded = FieldEncoder(SCHEMA, KEYS).encode(rows)[0]
    layouts = {lay.name: lay for lay in field_layouts(SCHEMA)}
    kk = layouts["kk"]
    assert not encoded[kk.offset_bytes : kk.offset_bytes + kk.n_bytes].any()
    name = layouts["name"]
    assert encoded[name.offset_bytes : name.offset_bytes + name.n_bytes].any()
    other = FieldEncoder(SCHEMA, {k: v[::-1] + b"x" for k, v in KEYS.items()}).encode(rows)[0]
    assert not np.array_equal(encoded, other)


def test_schemas_the_cache_cannot_serve_fall_back_to_the_reference_path() -> None:
    folded = copy.deepcopy(SCHEMA)
    for spec in folded["fields"]:
        spec["clkhash"]["clkConfig"]["xor_folds"] = 1
        spec["clkhash"]["clkConfig"]["l"] //= 2
        spec["clkhash"]["clkConfig"]["l"] = max(64, spec["clkhash"]["clkConfig"]["l"])
    rows = [_row("budi santoso", "01071980", "L", "3673010107800001")] * 3
    encoder = FieldEncoder(folded, KEYS)
    assert not any(f.applicable for f in encoder._filters.values())
    assert np.array_equal(encoder.encode(rows), encoder.encode_reference(rows))
