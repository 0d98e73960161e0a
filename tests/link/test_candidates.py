"""Blocking: candidate pairs equal a plain-Python reference, order and statistics included."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.link.candidates import block_pairs, candidate_pairs


def _reference_block_pairs(keys_a, keys_b, cap):
    """Blocks in key order, pairs row-major inside a block; oversized blocks skipped."""
    members_a, members_b = defaultdict(list), defaultdict(list)
    for r, key in enumerate(keys_a.tolist()):
        if key:
            members_a[key].append(r)
    for r, key in enumerate((keys_a if keys_b is None else keys_b).tolist()):
        if key:
            members_b[key].append(r)
    pairs, blocks, oversized, skipped = [], 0, 0, 0
    for key in sorted(set(members_a) & set(members_b)):
        a, b = members_a[key], members_b[key]
        block = [(x, y) for x in a for y in b if keys_b is not None or x < y]
        if len(block) > cap:
            oversized, skipped = oversized + 1, skipped + len(block)
        elif block:
            blocks += 1
            pairs.extend(block)
    return pairs, blocks, oversized, skipped


def _reference_candidates(blocks_a, blocks_b, cap):
    union = set()
    for kind in blocks_a:
        pairs, *_ = _reference_block_pairs(
            blocks_a[kind], None if blocks_b is None else blocks_b[kind], cap
        )
        union.update(pairs)
    return sorted(union)


keys = st.lists(st.integers(0, 6), min_size=1, max_size=40).map(
    lambda v: np.array(v, dtype=np.uint64)
)


@settings(max_examples=150, deadline=None)
@given(a=keys, b=keys, cap=st.integers(0, 30), within=st.booleans())
def test_block_pairs_match_the_reference(a, b, cap, within) -> None:
    i, j, blocks, oversized, skipped = block_pairs(a, None if within else b, cap)
    pairs, *counts = _reference_block_pairs(a, None if within else b, cap)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == pairs
    assert [blocks, oversized, skipped] == counts


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    n_a=st.integers(1, 30),
    n_b=st.integers(1, 30),
    n_keys=st.integers(1, 3),
    within=st.booleans(),
)
def test_candidate_pairs_are_the_sorted_union_of_the_keys(data, n_a, n_b, n_keys, within) -> None:
    def draw(n):
        values = st.lists(st.integers(0, 4), min_size=n, max_size=n)
        return {f"k{k}": np.array(data.draw(values), dtype=np.uint64) for k in range(n_keys)}

    blocks_a = draw(n_a)
    blocks_b = None if within else draw(n_b)
    i, j, stats = candidate_pairs(blocks_a, blocks_b, 12)
    expected = _reference_candidates(blocks_a, blocks_b, 12)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert stats.candidate_pairs == len(expected)
    assert stats.keyless_records == sum(
        all(blocks_a[k][r] == 0 for k in blocks_a) for r in range(n_a)
    )
    for kind in blocks_a:
        pairs, blocks, oversized, skipped = _reference_block_pairs(
            blocks_a[kind], None if within else blocks_b[kind], 12
        )
        assert stats.pairs_per_key[kind] == len(pairs)
        assert (stats.blocks_per_key[kind], stats.oversized_blocks[kind]) == (blocks, oversized)
        assert stats.skipped_pairs[kind] == skipped


def test_indices_are_int32_and_a_subset_of_keys_can_be_chosen() -> None:
    blocks = {"x": np.array([1, 1, 2, 2], np.uint64), "y": np.array([3, 0, 3, 0], np.uint64)}
    i, j, stats = candidate_pairs(blocks, None, 10)
    assert (i.dtype, j.dtype) == (np.int32, np.int32)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (0, 2), (2, 3)]
    i, j, stats = candidate_pairs(blocks, None, 10, keys=["y"])
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 2)]
    assert list(stats.pairs_per_key) == ["y"]
    assert stats.keyless_records == 2


def test_no_shared_key_gives_no_pairs() -> None:
    a = {"x": np.array([1, 2], np.uint64)}
    b = {"x": np.array([3, 0, 4], np.uint64)}
    i, j, stats = candidate_pairs(a, b, 10)
    assert len(i) == len(j) == stats.candidate_pairs == 0
