"""The benchmark harness: metrics by hand, and ``python -m benchmarks --quick`` end to end.

No timing is asserted: speed is what the benchmarks report, not what tests check.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH_DEPENDENCIES = ("recordlinkage", "splink")
REFERENCES = ("anonlink", "splink")
PADAN = ("padan", "padan_unsalted")


@pytest.fixture
def metrics(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    import benchmarks.metrics

    return benchmarks.metrics


def test_pairwise_scores_ignore_pair_order_and_self_pairs(metrics) -> None:
    truth = [("a1", "b1"), ("a2", "b2"), ("a3", "b3")]
    predicted = [("b1", "a1"), ("a2", "b9"), ("a4", "a4")]
    scores = metrics.pairwise_scores(predicted, truth)
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (1, 1, 2)
    assert scores.precision == 0.5
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(0.4)


def test_cluster_scores_count_implied_pairs(metrics) -> None:
    truth = [{"a", "b", "c"}, {"d"}]
    # Splitting off "c" loses 2 of the 3 implied pairs; a wrong merge adds 1.
    scores = metrics.cluster_scores([{"a", "b"}, {"c", "d"}], truth)
    assert (scores.true_positives, scores.false_positives, scores.false_negatives) == (1, 1, 2)
    assert metrics.cluster_scores(truth, truth).f1 == 1.0


def test_connected_components_join_chains(metrics) -> None:
    clusters = metrics.connected_components([("a", "b"), ("c", "b"), ("d", "e")])
    assert sorted(map(sorted, clusters)) == [["a", "b", "c"], ["d", "e"]]


def test_empty_predictions_score_zero_recall(metrics) -> None:
    scores = metrics.pairwise_scores([], [("a", "b")])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def _needs_bench_group() -> None:
    missing = [name for name in BENCH_DEPENDENCIES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"needs the bench dependency group ({', '.join(missing)} missing)")


def test_repeated_runs_report_the_lower_median_run(metrics) -> None:
    _needs_bench_group()
    import benchmarks.febrl

    # Runs finding 1, 2, 0, 2 of 2 true pairs (one false positive when odd):
    # F1 0.5, 1.0, 0.0, 1.0.
    found = iter([1, 2, 0, 2])
    output, scores, runs = benchmarks.febrl.repeat_runs(
        4, lambda: next(found), lambda tp: metrics.Scores(tp, tp % 2, 2 - tp)
    )
    f1s = [metrics.Scores(tp, tp % 2, 2 - tp).f1 for tp in (1, 2, 0, 2)]
    assert runs["f1_runs"] == [round(f, 6) for f in f1s]
    # Sorted F1: 0.0, 0.5, 1.0, 1.0 → the lower median is 0.5 (the first run).
    assert (output, scores.f1) == (1, 0.5)
    assert runs["seconds"] >= 0


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory) -> dict:
    _needs_bench_group()
    output = tmp_path_factory.mktemp("bench") / "quick.json"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FEBRL accuracy" in result.stdout and "Dice comparisons/s" in result.stdout
    return json.loads(output.read_text())


@pytest.mark.parametrize("key", ["febrl4_pairwise_f1", "febrl4_cluster_f1", "febrl3_cluster_f1"])
def test_quick_run_reports_f1_of_each_system(quick_report: dict, key: str) -> None:
    scores = quick_report[key]
    assert set(scores) == {*PADAN, *REFERENCES}
    for name in (*PADAN, *REFERENCES):
        assert 0.0 <= scores[name] <= 1.0
        # Every system links FEBRL well; far less means the harness is broken.
        assert scores[name] > 0.9, f"{name} {key} = {scores[name]}"
    # padan draws a fresh secret per run: repeated, reported by a run that happened.
    systems = quick_report["febrl"]["systems"]
    for name in PADAN:
        if key != "febrl4_cluster_f1":
            runs = systems[name][key.replace("_f1", "_f1_runs")]
            assert len(runs) == systems[name]["runs"] == 2
            assert scores[name] in runs


def test_quick_run_reports_dice_speed_and_machine(quick_report: dict) -> None:
    assert quick_report["quick"] is True
    assert quick_report["dice_ratio_vs_anonlink_1t"] > 0
    dice = quick_report["dice"]
    assert dice["comparisons"] == dice["records"][0] * dice["records"][1]
    assert dice["candidates"] > 0  # the pairs both kernels agreed on
    machine = quick_report["machine"]
    assert machine["cpu_count"] >= 1
    assert machine["versions"]["numba"] and machine["versions"]["numpy"]
    assert {"febrl", "dice"} <= set(quick_report["seconds"])
