"""The kernel study agrees with anonlink's kernel and with its numpy reference, bit for bit."""

from __future__ import annotations

import warnings

import numba
import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.kernel_study import kernel
from benchmarks.kernel_study import reference as kernel_reference

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # anonlink imports the deprecated pkg_resources
    from anonlink.similarities import (
        dice_coefficient_accelerated,
        dice_coefficient_pairs_python,
        dice_coefficient_python,
    )

THRESHOLDS = [0.0, 0.5, 0.7, 0.8, 0.9, 1.0]


def _bitarrays(bits: np.ndarray) -> list[bitarray]:
    """One bitarray per row of a boolean matrix."""
    return [bitarray(row.tolist()) for row in bits]


def _random_bits(rng: np.random.Generator, n: int, length: int, fill: float) -> np.ndarray:
    return rng.random((n, length)) < fill


def _with_near_copies(rng: np.random.Generator, bits: np.ndarray, flip: float) -> np.ndarray:
    """A second dataset holding noisy copies of ``bits`` and some unrelated rows, so that
    high thresholds still have candidates."""
    copies = bits ^ (rng.random(bits.shape) < flip)
    unrelated = _random_bits(rng, len(bits) // 2, bits.shape[1], bits.mean())
    return np.concatenate([copies, unrelated])[rng.permutation(len(bits) + len(unrelated))]


def _anonlink_candidates(method, clks_a, clks_b, threshold):
    """anonlink's candidates as (i, j, score) sorted by i, then j."""
    scores, (rows_a, rows_b) = method([clks_a, clks_b], threshold)
    rows_a, rows_b = np.asarray(rows_a, np.int64), np.asarray(rows_b, np.int64)
    order = np.lexsort((rows_b, rows_a))
    return rows_a[order], rows_b[order], np.asarray(scores)[order]


def _assert_same_candidates(ours, theirs) -> None:
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_allclose(ours[2], theirs[2], rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def adversarial() -> tuple[list[bitarray], list[bitarray]]:
    """All-zero, all-one, single-bit and random 128-bit filters; 7 and 6 rows so that the
    4 × 8 tiles of dice_all_pairs also meet padding rows and padding lanes."""
    rng = np.random.default_rng(7)
    length = 128
    zeros = np.zeros(length, bool)
    ones = np.ones(length, bool)
    first, last = zeros.copy(), zeros.copy()
    first[0], last[-1] = True, True
    special = [zeros, ones, first, last]
    a = np.array([*special, *_random_bits(rng, 3, length, 0.5)])
    b = np.array([ones, zeros, last, first, *_random_bits(rng, 2, length, 0.5)])
    return _bitarrays(a), _bitarrays(b)


@pytest.mark.parametrize("length", [128, 1000, 1024])
@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_all_pairs_match_anonlink_on_random_clks(length: int, threshold: float) -> None:
    rng = np.random.default_rng(length)
    bits_a = _random_bits(rng, 41, length, 0.6)
    clks_a, clks_b = _bitarrays(bits_a), _bitarrays(_with_near_copies(rng, bits_a, 0.05))
    ours = kernel.dice_all_pairs(kernel.pack_clks(clks_a), kernel.pack_clks(clks_b), threshold)
    theirs = _anonlink_candidates(dice_coefficient_accelerated, clks_a, clks_b, threshold)
    _assert_same_candidates(ours, theirs)
    if threshold == 0.9:
        assert 0 < len(ours[0]) < len(clks_a) * len(clks_b), "test data lost its point"


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_all_pairs_match_anonlink_on_adversarial_clks(adversarial, threshold: float) -> None:
    clks_a, clks_b = adversarial
    ours = kernel.dice_all_pairs(kernel.pack_clks(clks_a), kernel.pack_clks(clks_b), threshold)
    theirs = _anonlink_candidates(dice_coefficient_accelerated, clks_a, clks_b, threshold)
    _assert_same_candidates(ours, theirs)


def test_empty_filters_score_zero_like_anonlink(adversarial) -> None:
    clks_a, clks_b = adversarial
    rows_a, rows_b, scores = kernel.dice_all_pairs(
        kernel.pack_clks(clks_a), kernel.pack_clks(clks_b), 0.0
    )
    assert len(scores) == len(clks_a) * len(clks_b)  # threshold 0 keeps every pair
    zero_vs_zero = (rows_a == 0) & (rows_b == 1)
    assert scores[zero_vs_zero].tolist() == [0.0]
    ones_vs_ones = (rows_a == 1) & (rows_b == 0)
    assert scores[ones_vs_ones].tolist() == [1.0]
    # Above 0, an empty filter is nobody's candidate.
    rows_a, rows_b, _ = kernel.dice_all_pairs(
        kernel.pack_clks(clks_a), kernel.pack_clks(clks_b), 1e-9
    )
    assert 0 not in rows_a and 1 not in rows_b


@pytest.mark.parametrize("threshold", [0.0, 0.6, 0.85])
def test_lengths_not_a_multiple_of_8_match_anonlink_python(threshold: float) -> None:
    # anonlink's accelerated kernel refuses such lengths; its pure-Python one does not.
    rng = np.random.default_rng(1001)
    bits_a = _random_bits(rng, 13, 1001, 0.5)
    clks_a, clks_b = _bitarrays(bits_a), _bitarrays(_with_near_copies(rng, bits_a, 0.05))
    ours = kernel.dice_all_pairs(kernel.pack_clks(clks_a), kernel.pack_clks(clks_b), threshold)
    theirs = _anonlink_candidates(dice_coefficient_python, clks_a, clks_b, threshold)
    _assert_same_candidates(ours, theirs)


def test_score_exactly_at_threshold_is_a_candidate() -> None:
    # popcounts 2 and 2, intersection 1: Dice exactly 0.5.
    a = kernel.pack_clks([bitarray("1100" + "0" * 60)])
    b = kernel.pack_clks([bitarray("1010" + "0" * 60)])
    assert kernel.dice_all_pairs(a, b, 0.5)[2].tolist() == [0.5]
    assert kernel.dice_all_pairs(a, b, np.nextafter(0.5, 1.0))[2].size == 0


def test_thresholds_equal_to_real_scores_keep_exactly_the_reference_candidates() -> None:
    """The vector pre-test must never drop a pair whose score equals the threshold."""
    rng = np.random.default_rng(17)
    bits_a = _random_bits(rng, 21, 1000, 0.4)
    a = kernel.pack_clks(_bitarrays(bits_a))
    b = kernel.pack_clks(_bitarrays(_with_near_copies(rng, bits_a, 0.05)))
    scores = kernel_reference.dice_all_pairs(a, b, 0.0)[2]
    for threshold in rng.choice(scores[scores > 0.5], 12, replace=False):
        expected = kernel_reference.dice_all_pairs(a, b, threshold)
        assert threshold in expected[2]
        _assert_same_candidates(kernel.dice_all_pairs(a, b, threshold), expected)


def test_pack_clks_layout_and_padding() -> None:
    rng = np.random.default_rng(3)
    bits = _random_bits(rng, 5, 1000, 0.5)
    packed = kernel.pack_clks(_bitarrays(bits))
    assert packed.dtype == np.uint64
    assert packed.shape == (5, 16)  # 1000 bits -> 16 words, the last one padded
    assert packed.flags.c_contiguous
    assert kernel.popcounts(packed).tolist() == bits.sum(axis=1).tolist()
    from_bytes = kernel.pack_clks(np.packbits(bits, axis=1))
    np.testing.assert_array_equal(packed, from_bytes)


def test_pack_clks_refuses_mixed_lengths_and_wrong_arrays() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        kernel.pack_clks([bitarray("1" * 64), bitarray("1" * 128)])
    with pytest.raises(ValueError, match="uint8"):
        kernel.pack_clks(np.zeros((2, 8), dtype=np.int64))
    assert kernel.pack_clks([]).shape == (0, 0)


def test_popcounts_match_reference_and_bitarray() -> None:
    rng = np.random.default_rng(5)
    clks = _bitarrays(_random_bits(rng, 37, 2048, 0.3))
    packed = kernel.pack_clks(clks)
    counts = kernel.popcounts(packed)
    assert counts.dtype == np.int32
    np.testing.assert_array_equal(counts, kernel_reference.popcounts(packed))
    assert counts.tolist() == [clk.count() for clk in clks]


def test_dice_pairs_match_reference_and_anonlink() -> None:
    rng = np.random.default_rng(11)
    bits_a = _random_bits(rng, 50, 1024, 0.6)
    clks_a = _bitarrays(bits_a)
    clks_b = _bitarrays(_with_near_copies(rng, bits_a, 0.1))
    a, b = kernel.pack_clks(clks_a), kernel.pack_clks(clks_b)
    rows_a = rng.integers(0, len(a), 500)
    rows_b = rng.integers(0, len(b), 500)
    scores = kernel.dice_pairs(a, b, rows_a, rows_b)
    np.testing.assert_array_equal(scores, kernel_reference.dice_pairs(a, b, rows_a, rows_b))
    theirs = dice_coefficient_pairs_python(
        [(clks_a[i], clks_b[j]) for i, j in zip(rows_a, rows_b, strict=True)]
    )
    np.testing.assert_allclose(scores, theirs, rtol=0, atol=1e-12)


def test_dice_pairs_of_adversarial_filters(adversarial) -> None:
    a, b = (kernel.pack_clks(clks) for clks in adversarial)
    rows_a, rows_b = np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij")
    scores = kernel.dice_pairs(a, b, rows_a.ravel(), rows_b.ravel())
    np.testing.assert_array_equal(
        scores, kernel_reference.dice_pairs(a, b, rows_a.ravel(), rows_b.ravel())
    )
    assert scores[1] == 0.0  # all zeros vs all zeros
    assert kernel.dice_pairs(a, b, np.array([], np.int64), np.array([], np.int64)).size == 0


def test_dice_pairs_refuses_bad_indices_and_widths() -> None:
    a = kernel.pack_clks([bitarray("1" * 128)] * 3)
    with pytest.raises(IndexError):
        kernel.dice_pairs(a, a, np.array([0, 3]), np.array([0, 0]))
    with pytest.raises(IndexError):
        kernel.dice_pairs(a, a, np.array([0]), np.array([-1]))
    with pytest.raises(ValueError, match="same length"):
        kernel.dice_pairs(a, a, np.array([0, 1]), np.array([0]))
    wide = kernel.pack_clks([bitarray("1" * 256)])
    with pytest.raises(ValueError, match="different widths"):
        kernel.dice_all_pairs(a, wide, 0.5)


def test_thread_counts_and_blocks_do_not_change_results(monkeypatch) -> None:
    rng = np.random.default_rng(13)
    bits_a = _random_bits(rng, 103, 512, 0.5)
    a = kernel.pack_clks(_bitarrays(bits_a))
    b = kernel.pack_clks(_bitarrays(_with_near_copies(rng, bits_a, 0.1)))
    expected = kernel_reference.dice_all_pairs(a, b, 0.7)
    assert len(expected[0]) > len(a) / 2
    before = numba.get_num_threads()
    for threads in range(1, min(2, numba.config.NUMBA_NUM_THREADS) + 1):
        _assert_same_candidates(kernel.dice_all_pairs(a, b, 0.7, threads=threads), expected)
    assert numba.get_num_threads() == before  # the thread count is restored
    # A tiny scratch budget forces many blocks, including a short last one.
    monkeypatch.setattr(kernel, "_BLOCK_SCRATCH_BYTES", 1)
    _assert_same_candidates(kernel.dice_all_pairs(a, b, 0.7, threads=1), expected)
    with pytest.raises(ValueError, match="threads"):
        kernel.dice_all_pairs(a, b, 0.7, threads=0)


def test_empty_inputs_give_empty_candidates() -> None:
    a = kernel.pack_clks([bitarray("1" * 64)])
    empty = kernel.pack_clks([])
    for rows_a, rows_b in ((a, empty), (empty, a)):
        result = kernel.dice_all_pairs(rows_a, rows_b, 0.0)
        assert [part.size for part in result] == [0, 0, 0]


@settings(max_examples=60, deadline=None)
@given(
    n_a=st.integers(1, 9),
    n_b=st.integers(1, 9),
    nbytes=st.sampled_from([1, 8, 13, 16]),
    fill=st.floats(0.0, 1.0),
    threshold=st.sampled_from([0.0, 0.3, 0.5, 2 / 3, 0.8, 1.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_all_pairs_equal_reference_property(n_a, n_b, nbytes, fill, threshold, seed) -> None:
    rng = np.random.default_rng(seed)
    a = kernel.pack_clks(np.packbits(_random_bits(rng, n_a, nbytes * 8, fill), axis=1))
    b = kernel.pack_clks(np.packbits(_random_bits(rng, n_b, nbytes * 8, fill), axis=1))
    _assert_same_candidates(
        kernel.dice_all_pairs(a, b, threshold), kernel_reference.dice_all_pairs(a, b, threshold)
    )
