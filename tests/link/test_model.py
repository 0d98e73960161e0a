"""Fellegi–Sunter estimates: u with the matches among random pairs weighed out."""

import numpy as np

from padan.link.model import (
    FSModel,
    Patterns,
    fit_em,
    level_frequencies,
    non_match_frequencies,
    pattern_codes,
    pattern_levels,
)


def test_matches_in_random_pairs_are_weighed_out_of_u():
    rng = np.random.default_rng(1)
    matches = np.zeros((200, 2), dtype=np.int8)  # full agreement on both fields
    others = rng.choice(np.array([1, 2], dtype=np.int8), size=(9800, 2), p=[0.3, 0.7])
    others[:5] = 0  # a few chance agreements
    levels = np.concatenate([matches, others])
    raw = level_frequencies(levels, [2, 2])
    model = FSModel(
        ["a", "b"],
        m=[np.array([0.9, 0.09, 0.01])] * 2,
        u=raw,
        prior=0.02,
        iterations=1,
    )
    cleaned = non_match_frequencies(levels, [2, 2], model)
    for before, after in zip(raw, cleaned, strict=True):
        assert before[0] > 0.02  # the matches dominate full agreement
        assert after[0] < 0.002  # only the chance agreements remain
        assert abs(after.sum() - 1) < 1e-9
        assert abs(after[2] / after[1] - before[2] / before[1]) < 0.05


def test_weights_default_to_counting_every_pair():
    levels = np.array([[0], [1], [1], [-1]], dtype=np.int8)
    (plain,) = level_frequencies(levels, [1])
    (weighted,) = level_frequencies(levels, [1], np.ones(4))
    assert np.allclose(plain, weighted)
    assert plain[1] > plain[0]


def _levels(rng: np.random.Generator, n: int) -> np.ndarray:
    levels = rng.choice(np.array([-1, 0, 1, 2], dtype=np.int8), (n, 3), p=[0.1, 0.05, 0.15, 0.7])
    levels[: n // 4] = 0  # a block of matches agreeing everywhere
    return levels


def test_patterns_round_trip_and_merge():
    n_levels = [2, 2, 2]
    levels = _levels(np.random.default_rng(3), 500)
    whole = Patterns.of(levels, n_levels)
    assert whole.pairs == 500
    assert len(whole.counts) <= 4**3  # -1..2 in three fields
    np.testing.assert_array_equal(pattern_levels(pattern_codes(levels, n_levels), n_levels), levels)
    halves = Patterns.merge(
        [Patterns.of(levels[:123], n_levels), Patterns.of(levels[123:], n_levels)], n_levels
    )
    np.testing.assert_array_equal(halves.levels, whole.levels)
    np.testing.assert_array_equal(halves.counts, whole.counts)
    masked = whole.masked([1], n_levels)
    assert masked.pairs == 500 and (masked.levels[:, 1] == -1).all()


def test_em_on_pattern_counts_equals_em_on_every_pair():
    n_levels = [2, 2, 2]
    levels = _levels(np.random.default_rng(8), 2000)
    u = level_frequencies(_levels(np.random.default_rng(9), 8000)[2000:], n_levels)
    names = ["a", "b", "c"]
    per_pair = fit_em(levels, n_levels, names, u=u, prior=0.1, total_pairs=1e6)
    patterns = Patterns.of(levels, n_levels)
    counted = fit_em(
        patterns.levels, n_levels, names, u=u, prior=0.1, weights=patterns.counts, total_pairs=1e6
    )
    assert counted.iterations == per_pair.iterations
    assert abs(counted.prior - per_pair.prior) < 1e-12 * per_pair.prior
    for ours, theirs in zip(counted.m, per_pair.m, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert per_pair.m[0][0] > 0.5  # the matches were found: the test compares a real fit
