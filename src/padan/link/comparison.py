"""Field-by-field comparison of candidate pairs: Dice per field, cut into levels.

The CLK of a record is the concatenation of its field filters, each a whole number of
64-bit words, so one pass over the words of a pair yields every field's Dice. Levels
(0 = best agreement, rising as agreement falls, -1 = missing on either side) are what
the Fellegi–Sunter model weighs. ``compare_pairs_reference`` is the slow, obviously
correct numpy version kept beside the numba kernel for the equivalence test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np

from padan.core.schema import FieldLayout

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@nb.njit(inline="always")
def _popcount(x: np.uint64) -> np.uint64:
    # SWAR popcount; LLVM turns this idiom into the POPCNT instruction.
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@nb.njit(parallel=True, cache=True)
def _levels_kernel(a, b, i, j, starts, ends, thresholds, n_thresholds, out):  # pragma: no cover
    for p in nb.prange(len(i)):
        ra = a[i[p]]
        rb = b[j[p]]
        for f in range(len(starts)):
            inter = np.uint64(0)
            pa = np.uint64(0)
            pb = np.uint64(0)
            for w in range(starts[f], ends[f]):
                x = ra[w]
                y = rb[w]
                inter += _popcount(x & y)
                pa += _popcount(x)
                pb += _popcount(y)
            if pa == 0 or pb == 0:
                out[p, f] = -1
                continue
            dice = 2.0 * inter / (pa + pb)
            level = n_thresholds[f]
            for t in range(n_thresholds[f]):
                if dice >= thresholds[f, t]:
                    level = t
                    break
            out[p, f] = level


def pack_words(clk: np.ndarray) -> np.ndarray:
    """View an ``(n, bytes)`` uint8 CLK array as ``(n, words)`` uint64 (bytes % 8 == 0)."""
    return np.ascontiguousarray(clk).view(np.uint64)


def _threshold_matrix(levels: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(t) for t in levels)
    matrix = np.full((len(levels), width), np.inf)
    for f, cuts in enumerate(levels):
        matrix[f, : len(cuts)] = cuts
    return matrix, np.array([len(t) for t in levels], dtype=np.int64)


def compare_pairs(
    a: np.ndarray,
    b: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    layouts: Sequence[FieldLayout],
    levels: Sequence[Sequence[float]],
) -> np.ndarray:
    """Comparison levels ``(pairs, fields)`` int8 for pairs (a[i], b[j]) of packed CLKs.

    ``levels[f]`` are descending Dice cut points of field f: level t when
    Dice ≥ levels[f][t] (first match), ``len(levels[f])`` below all, -1 when missing.
    """
    thresholds, counts = _threshold_matrix(levels)
    starts = np.array([lay.word_slice.start for lay in layouts], dtype=np.int64)
    ends = np.array([lay.word_slice.stop for lay in layouts], dtype=np.int64)
    out = np.empty((len(i), len(layouts)), dtype=np.int8)
    if len(i):
        _levels_kernel(
            a, b, i.astype(np.int64), j.astype(np.int64), starts, ends, thresholds, counts, out
        )
    return out


def compare_pairs_reference(
    a: np.ndarray,
    b: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    layouts: Sequence[FieldLayout],
    levels: Sequence[Sequence[float]],
) -> np.ndarray:
    """Plain numpy version of :func:`compare_pairs` (slow; for tests)."""
    out = np.empty((len(i), len(layouts)), dtype=np.int8)
    for f, (lay, cuts) in enumerate(zip(layouts, levels, strict=True)):
        fa, fb = a[i][:, lay.word_slice], b[j][:, lay.word_slice]
        inter = np.bitwise_count(fa & fb).sum(axis=1).astype(float)
        pa, pb = np.bitwise_count(fa).sum(axis=1), np.bitwise_count(fb).sum(axis=1)
        dice = np.divide(2 * inter, pa + pb, out=np.zeros(len(i)), where=(pa + pb) > 0)
        level = np.full(len(i), len(cuts), dtype=np.int8)
        for t in reversed(range(len(cuts))):
            level[dice >= cuts[t]] = t
        level[(pa == 0) | (pb == 0)] = -1
        out[:, f] = level
    return out
