"""The city-scale benchmark's scoring: link / NIK-ganda F1 and true pairs, by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import benchmarks.city_scale

    return benchmarks.city_scale


def test_accuracy_follows_the_evaluate_definitions(city) -> None:
    registry = pd.DataFrame(
        {
            "person": ["P1", "P2", "P2", "P3", "P4"],
            "match_id": ["M1", "M2", "M2", None, "M4"],
            "dup_group": [None, "G1", "G1", "G2", "G2"],  # G2 merges two people
        }
    )
    lists = pd.DataFrame(
        {
            "person": ["P1", "P2", "P3", "P4", "P9"],
            "match_id": ["M1", "M2", None, "M1", None],  # P4's row linked to P1: wrong
            "dup_group": [None] * 5,
        }
    )
    scores = city.accuracy(registry, lists)
    assert scores["link"]["precision"] == pytest.approx(2 / 3)
    assert scores["link"]["recall"] == pytest.approx(2 / 4)  # P9 is not in the registry
    assert scores["nik_ganda"]["precision"] == pytest.approx(1 / 2)
    assert scores["nik_ganda"]["recall"] == 1.0


def test_true_pairs_within_and_across(city) -> None:
    a = pd.Series(["P1", "P2", "P1"])
    b = pd.Series(["P2", "P1", "P3", "P1"])
    across = sorted(city.true_pairs(a, b).tolist())
    assert across == sorted([0 * 4 + 1, 0 * 4 + 3, 1 * 4 + 0, 2 * 4 + 1, 2 * 4 + 3])
    assert city.true_pairs(a, None).tolist() == [0 * 3 + 2]
    assert city.true_pairs(pd.Series(["P1"]), None).dtype == np.int64
