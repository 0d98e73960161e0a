"""Slow, obviously correct numpy versions of the study kernel, kept for equivalence tests.

Each function has the signature and conventions of its fast twin in
``benchmarks.kernel_study.kernel``
(empty filters score 0.0; candidates are pairs with score ``>= threshold``, sorted by
``i`` then ``j``). Bits are counted with ``np.unpackbits``, with no shortcut or pruning.
"""

from __future__ import annotations

import numpy as np

__all__ = ["dice_all_pairs", "dice_pairs", "popcounts"]


def _bit_counts(packed: np.ndarray) -> np.ndarray:
    """Set bits per row of a ``uint64`` array (any leading shape), as ``int64``."""
    as_bytes = np.ascontiguousarray(packed).view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1).sum(axis=-1, dtype=np.int64)


def _dice(intersection: np.ndarray, count_a: np.ndarray, count_b: np.ndarray) -> np.ndarray:
    total = count_a + count_b
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = 2.0 * intersection / total
    return np.where(total == 0, 0.0, scores)


def popcounts(packed: np.ndarray) -> np.ndarray:
    """Number of set bits of every packed filter, as ``int32``."""
    return _bit_counts(packed).astype(np.int32)


def dice_pairs(a: np.ndarray, b: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Dice coefficient of the pairs ``(a[i[k]], b[j[k]])``."""
    rows_a, rows_b = a[np.asarray(i)], b[np.asarray(j)]
    return _dice(_bit_counts(rows_a & rows_b), _bit_counts(rows_a), _bit_counts(rows_b))


def dice_all_pairs(
    a: np.ndarray, b: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs with Dice ``>= threshold``, by scoring the full ``n × m`` matrix."""
    intersection = _bit_counts(a[:, None, :] & b[None, :, :])
    scores = _dice(intersection, _bit_counts(a)[:, None], _bit_counts(b)[None, :])
    rows_a, rows_b = np.nonzero(scores >= threshold)  # row-major: sorted by i, then j
    return rows_a.astype(np.int64), rows_b.astype(np.int64), scores[rows_a, rows_b]
