"""Precision, recall and F1 of predicted links or clusters against the true ones.

Definitions (used for every system, so the numbers are comparable):

* **pairwise**: the predicted record pairs, compared as unordered pairs with the true
  pairs. For a link this is one pair per predicted link (after the system's own solver).
* **cluster**: the pairs *implied* by clusters — every two records in the same cluster —
  compared with the pairs implied by the true clusters. A cluster of ``k`` records
  implies ``k·(k−1)/2`` pairs, so a wrongly merged or split large cluster weighs more
  than a wrong single link. For a link, the clusters are the connected components of the
  predicted links, so a record linked to two others also costs precision here.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

Pair = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class Scores:
    """Counts and rates of one comparison of predictions with the truth."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_positives + self.false_negatives
        return self.true_positives / actual if actual else 1.0

    @property
    def f1(self) -> float:
        denominator = 2 * self.true_positives + self.false_positives + self.false_negatives
        return 2 * self.true_positives / denominator if denominator else 1.0

    def as_dict(self) -> dict[str, float | int]:
        """Rates rounded for reports, with the raw counts."""
        return {
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
            "f1": round(self.f1, 6),
            "true_positives": self.true_positives,
            "false_positives": self.false_positives,
            "false_negatives": self.false_negatives,
        }


def unordered(pairs: Iterable[Pair]) -> set[frozenset]:
    """Pairs as order-free sets; a pair of a record with itself is dropped."""
    return {frozenset(pair) for pair in pairs if pair[0] != pair[1]}


def pairs_in_clusters(clusters: Iterable[Iterable[Hashable]]) -> set[frozenset]:
    """Every unordered pair of records that share a cluster."""
    return {
        frozenset(pair) for cluster in clusters for pair in itertools.combinations(set(cluster), 2)
    }


def _compare(predicted: set[frozenset], truth: set[frozenset]) -> Scores:
    hits = len(predicted & truth)
    return Scores(hits, len(predicted) - hits, len(truth) - hits)


def pairwise_scores(predicted: Iterable[Pair], truth: Iterable[Pair]) -> Scores:
    """Compare predicted record pairs with true pairs (order within a pair ignored)."""
    return _compare(unordered(predicted), unordered(truth))


def cluster_scores(
    predicted: Iterable[Iterable[Hashable]], truth: Iterable[Iterable[Hashable]]
) -> Scores:
    """Compare clusterings through the pairs they imply (see the module docstring)."""
    return _compare(pairs_in_clusters(predicted), pairs_in_clusters(truth))


def connected_components(pairs: Iterable[Pair]) -> list[set[Hashable]]:
    """Clusters formed by linking the records of every pair (union-find)."""
    parent: dict[Hashable, Hashable] = {}

    def root(node: Hashable) -> Hashable:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in pairs:
        parent[root(left)] = root(right)
    clusters: dict[Hashable, set[Hashable]] = {}
    for node in parent:
        clusters.setdefault(root(node), set()).add(node)
    return list(clusters.values())
