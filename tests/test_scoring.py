"""Fellegi–Sunter estimates: u with the matches among random pairs weighed out."""

import numpy as np

from padan.scoring import FSModel, level_frequencies, non_match_frequencies


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
