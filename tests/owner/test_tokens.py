"""Keyed tokens and block keys: equal values agree under one key, nothing else does."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from padan.owner import tokens
from padan.owner.tokens import TOKEN_BYTES, Tokenizer


def test_same_value_same_token_other_key_other_token() -> None:
    a, b = Tokenizer(b"k" * 32), Tokenizer(b"j" * 32)
    assert a.token("3673011708750001") == a.token("3673011708750001")
    assert len(a.token("x")) == TOKEN_BYTES
    assert a.token("3673011708750001") != a.token("3673011708750002")
    assert a.token("3673011708750001") != b.token("3673011708750001")


def test_missing_values_stay_missing() -> None:
    t = Tokenizer(b"k" * 32)
    assert t.tokens(["a", None]) == [t.token("a"), None]
    keys = t.block_keys([None, "a"])
    assert keys.dtype == np.uint64
    assert keys[0] == 0 and keys[1] != 0


@given(st.lists(st.text(max_size=8), min_size=1, max_size=40))
def test_block_keys_survive_the_cache_being_cleared(values: list[str]) -> None:
    fresh = Tokenizer(b"k" * 32).block_keys(values)
    small_cache = Tokenizer(b"k" * 32)
    original = tokens.CACHE_LIMIT
    tokens.CACHE_LIMIT = 2
    try:
        assert np.array_equal(small_cache.block_keys(values), fresh)
    finally:
        tokens.CACHE_LIMIT = original
