"""From scored pairs to decisions: one registry person per list row, registry clusters.

A list row links to at most one registry *person* (a cluster of registry records), while
several list rows may link to the same person (repeat visits, two puskesmas), so this is
a best-candidate assignment per list row, not a one-to-one solver. A list row is
ambiguous when the best other person scores within a margin of the best.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np


@dataclass(slots=True)
class Links:
    """Per list row: chosen registry record (-1 none), its log-odds and ambiguity."""

    registry_index: np.ndarray  # int64, -1 = not linked
    bits: np.ndarray  # float64, log-odds of the chosen (or best rejected) pair; -inf none
    ambiguous: np.ndarray  # bool


def best_links(
    list_index: np.ndarray,
    registry_index: np.ndarray,
    bits: np.ndarray,
    person: np.ndarray,
    n_list: int,
    *,
    threshold_bits: float,
    margin_bits: float,
) -> Links:
    """Choose each list row's best registry record among pairs at or above the threshold.

    ``person`` maps a registry record to its person (cluster) id; the runner-up is the
    best pair with a *different* person, so two records of one NIK-ganda person never
    make a row ambiguous.
    """
    chosen = np.full(n_list, -1, dtype=np.int64)
    best_bits = np.full(n_list, -np.inf)
    ambiguous = np.zeros(n_list, dtype=bool)
    if len(bits) == 0:
        return Links(chosen, best_bits, ambiguous)
    order = np.lexsort((-bits, list_index))
    li, ri, bi = list_index[order], registry_index[order], bits[order]
    first = np.flatnonzero(np.r_[True, li[1:] != li[:-1]])
    best_bits[li[first]] = bi[first]
    accepted = bi[first] >= threshold_bits
    chosen[li[first[accepted]]] = ri[first[accepted]]
    # Runner-up: first pair of the same list row whose person differs from the best's.
    best_person = np.repeat(person[ri[first]], np.diff(np.r_[first, len(li)]))
    other = person[ri] != best_person
    rows_with_other = li[other]
    if len(rows_with_other):
        lead = np.flatnonzero(np.r_[True, rows_with_other[1:] != rows_with_other[:-1]])
        runner_rows, runner_bits = rows_with_other[lead], bi[other][lead]
        close = (runner_bits >= threshold_bits) & (
            best_bits[runner_rows] - runner_bits < margin_bits
        )
        ambiguous[runner_rows[close & (chosen[runner_rows] >= 0)]] = True
    return Links(chosen, best_bits, ambiguous)


@nb.njit(cache=True)
def _root(parent: np.ndarray, x: int) -> int:  # pragma: no cover
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression
        parent[x], x = root, parent[x]
    return root


@nb.njit(cache=True)
def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:  # pragma: no cover
    parent = np.arange(n)
    for k in range(len(i)):
        ra, rb = _root(parent, i[k]), _root(parent, j[k])
        # The smaller root wins, so every root is the smallest member of its cluster.
        if ra < rb:
            parent[rb] = ra
        elif rb < ra:
            parent[ra] = rb
    for x in range(n):
        parent[x] = _root(parent, x)
    return parent


def clusters(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected components of the accepted pairs: a cluster id (smallest member) per record.

    Union-find compiled with numba (a Python loop took seconds per million records).
    """
    return _components(n, np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64))
