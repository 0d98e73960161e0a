"""Registry clusters (NIK ganda): the compiled union-find equals a plain-Python one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.link.assignment import clusters


def _reference_clusters(n, i, j):
    """Grow components by repeated merging until nothing changes; id = smallest member."""
    label = list(range(n))
    changed = True
    while changed:
        changed = False
        for a, b in zip(i, j, strict=True):
            low = min(label[a], label[b])
            if label[a] != low or label[b] != low:
                label[a] = label[b] = low
                changed = True
    return label


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 40),
    edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=60),
)
def test_clusters_match_the_reference(n, edges) -> None:
    pairs = [(a % n, b % n) for a, b in edges]
    i = np.array([a for a, _ in pairs], dtype=np.int32)
    j = np.array([b for _, b in pairs], dtype=np.int32)
    assert clusters(n, i, j).tolist() == _reference_clusters(n, i.tolist(), j.tolist())


def test_a_chain_is_one_cluster_named_by_its_smallest_member() -> None:
    n = 1000
    # Edges in an order that defeats naive label propagation: from the far end inward.
    i = np.arange(n - 2, 4, -1)
    j = i + 1
    person = clusters(n, i, j)
    assert set(person[5:].tolist()) == {5}
    assert person[:5].tolist() == [0, 1, 2, 3, 4]
    assert person.dtype == np.int64
