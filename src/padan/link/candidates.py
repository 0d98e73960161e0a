"""Candidate pairs from keyed blocking keys (private blocking at the coordinator).

Two records become a candidate pair when they share any blocking key (equal keyed
tokens of e.g. birth date, NIK date part, name + year). Blocks whose pair count
exceeds a cap are skipped and counted, never silently: the statistics go to the report.

Memory is what limits a city-scale run, so pairs are written by a numba loop straight
into preallocated arrays (no per-pair temporaries), record indices are int32, and the
union over keys is one in-place sort of int64 pair codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numba as nb
import numpy as np


@dataclass(slots=True)
class BlockingStats:
    """Per-key and total counts of a blocking run (aggregate only, no record data)."""

    pairs_per_key: dict[str, int] = field(default_factory=dict)
    blocks_per_key: dict[str, int] = field(default_factory=dict)
    oversized_blocks: dict[str, int] = field(default_factory=dict)
    skipped_pairs: dict[str, int] = field(default_factory=dict)
    candidate_pairs: int = 0
    keyless_records: int = 0


def index_dtype(n: int) -> type[np.signedinteger]:
    """The narrowest signed integer type that holds record indices below ``n``."""
    return np.int32 if n < 2**31 else np.int64


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort order, distinct non-zero keys, their start in the sorted order and counts."""
    order = np.flatnonzero(keys)
    order = order[np.argsort(keys[order], kind="stable")]
    distinct, starts, counts = np.unique(keys[order], return_index=True, return_counts=True)
    return order.astype(index_dtype(len(keys))), distinct, starts, counts


@dataclass(slots=True)
class _Blocks:
    """The blocks of one key that are paired: where their members sit in the sort orders."""

    order_a: np.ndarray
    order_b: np.ndarray
    start_a: np.ndarray
    count_a: np.ndarray
    start_b: np.ndarray
    count_b: np.ndarray
    within: bool  # pairs inside one file: only i < j
    pairs: int
    oversized: int
    skipped: int


def _plan(keys_a: np.ndarray, keys_b: np.ndarray | None, max_block_pairs: int) -> _Blocks:
    """Which blocks of one key are paired, and how many pairs that makes (none made yet)."""
    order_a, distinct_a, starts_a, counts_a = _groups(keys_a)
    if keys_b is None:
        order_b, sa, ca, sb, cb = order_a, starts_a, counts_a, starts_a, counts_a
        pairs_per = counts_a * (counts_a - 1) // 2
    else:
        order_b, distinct_b, starts_b, counts_b = _groups(keys_b)
        _, ia, ib = np.intersect1d(distinct_a, distinct_b, assume_unique=True, return_indices=True)
        sa, ca, sb, cb = starts_a[ia], counts_a[ia], starts_b[ib], counts_b[ib]
        pairs_per = ca * cb
    keep = (pairs_per <= max_block_pairs) & (pairs_per > 0)
    return _Blocks(
        order_a,
        order_b,
        sa[keep],
        ca[keep],
        sb[keep],
        cb[keep],
        within=keys_b is None,
        pairs=int(pairs_per[keep].sum()),
        oversized=int((pairs_per > max_block_pairs).sum()),
        skipped=int(pairs_per[~keep].sum()),
    )


@nb.njit(cache=True)
def _emit(order_a, order_b, sa, ca, sb, cb, within, out_i, out_j):  # pragma: no cover
    """Every pair of every block, block by block, row-major inside a block."""
    p = 0
    for k in range(len(sa)):
        for wa in range(ca[k]):
            for wb in range(wa + 1 if within else 0, cb[k]):
                out_i[p] = order_a[sa[k] + wa]
                out_j[p] = order_b[sb[k] + wb]
                p += 1


def _pairs(plan: _Blocks) -> tuple[np.ndarray, np.ndarray]:
    i = np.empty(plan.pairs, dtype=plan.order_a.dtype)
    j = np.empty(plan.pairs, dtype=plan.order_b.dtype)
    _emit(plan.order_a, plan.order_b, plan.start_a, plan.count_a, plan.start_b, plan.count_b,
          plan.within, i, j)  # fmt: skip
    return i, j


def block_pairs(
    keys_a: np.ndarray, keys_b: np.ndarray | None, max_block_pairs: int
) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Pairs (i in a, j in b) sharing a key; ``keys_b=None`` pairs a with itself (i < j).

    Returns ``(i, j, blocks, oversized_blocks, skipped_pairs)``; key 0 means no key.
    Pairs come block by block (blocks in key order), row-major within a block.
    """
    plan = _plan(keys_a, keys_b, max_block_pairs)
    i, j = _pairs(plan)
    return i, j, len(plan.start_a), plan.oversized, plan.skipped


@nb.njit(cache=True)
def _shared_keys(keys_a, keys_b, i, j, key, out):  # pragma: no cover
    for p in range(len(i)):
        row_a, row_b = keys_a[i[p]], keys_b[j[p]]
        shared = np.uint64(0)
        for k in range(keys_a.shape[1]):
            if row_a[k] != 0 and row_a[k] == row_b[k]:
                if k < key:  # an earlier key pairs them: counted there
                    shared = np.uint64(0)
                    break
                shared |= np.uint64(1) << np.uint64(k)
        out[p] = shared


def shared_keys(
    keys_a: np.ndarray, keys_b: np.ndarray, i: np.ndarray, j: np.ndarray, key: int
) -> np.ndarray:
    """Which keys each pair (a[i], b[j]) of key ``key`` shares, as a bit mask per pair.

    ``keys_*`` are ``(n, kinds)`` paired key values (0: none). Bit k is set when both
    records hold the same non-zero value of key k. A pair that shares a key before
    ``key`` gets 0: it is counted under its first shared key, not this one.
    """
    if keys_a.shape[1] > 64:
        raise ValueError("at most 64 blocking keys fit a pair's key mask")
    out = np.empty(len(i), dtype=np.uint64)
    _shared_keys(keys_a, keys_b, i, j, key, out)
    return out


@nb.njit(cache=True)
def _count_distinct(codes):  # pragma: no cover
    """Number of distinct values in sorted ``codes``."""
    count = 0
    for p in range(len(codes)):
        if p == 0 or codes[p] != codes[p - 1]:
            count += 1
    return count


@nb.njit(cache=True)
def _split_distinct(codes, n_b, out_i, out_j):  # pragma: no cover
    """Distinct values of sorted ``codes`` as (code // n_b, code % n_b)."""
    u = 0
    for p in range(len(codes)):
        if p == 0 or codes[p] != codes[p - 1]:
            out_i[u] = codes[p] // n_b
            out_j[u] = codes[p] % n_b
            u += 1


def _sorted_codes(plans: list[_Blocks], n_b: int) -> np.ndarray:
    """Pair codes ``i·n_b + j`` of every plan in one buffer, sorted in place (repeats kept).

    Peak memory is 8 bytes per pair of all keys plus the pairs of one key.
    """
    codes = np.empty(sum(p.pairs for p in plans), dtype=np.int64)
    start = 0
    while plans:
        i, j = _pairs(plans.pop(0))
        part = codes[start : start + len(i)]
        np.multiply(i, n_b, out=part, dtype=np.int64)
        part += j
        start += len(i)
    codes.sort()
    return codes


def candidate_pairs(
    blocks_a: Mapping[str, np.ndarray],
    blocks_b: Mapping[str, np.ndarray] | None,
    max_block_pairs: int,
    keys: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union over blocking keys of the pairs sharing that key, sorted, without repeats.

    ``blocks_b=None`` finds pairs within ``a`` (deduplication). Returns ``(i, j, stats)``
    with int32 indices (int64 beyond 2³¹ records).
    """
    stats = BlockingStats()
    kinds = keys or list(blocks_a)
    n_a = len(next(iter(blocks_a.values())))
    n_b = len(next(iter((blocks_b or blocks_a).values())))
    plans = []
    for kind in kinds:
        plan = _plan(blocks_a[kind], None if blocks_b is None else blocks_b[kind], max_block_pairs)
        stats.pairs_per_key[kind] = plan.pairs
        stats.blocks_per_key[kind] = len(plan.start_a)
        stats.oversized_blocks[kind] = plan.oversized
        stats.skipped_pairs[kind] = plan.skipped
        plans.append(plan)
    codes = _sorted_codes(plans, n_b)
    stats.candidate_pairs = _count_distinct(codes)
    i = np.empty(stats.candidate_pairs, dtype=index_dtype(n_a))
    j = np.empty(stats.candidate_pairs, dtype=index_dtype(n_b))
    _split_distinct(codes, n_b, i, j)
    keyless = np.ones(n_a, dtype=bool)
    for kind in kinds:
        keyless &= blocks_a[kind] == 0
    stats.keyless_records = int(keyless.sum())
    return i, j, stats


@dataclass(slots=True)
class PairedKeys:
    """One key's values where a record's block makes pairs (0 elsewhere), and its counts.

    A block makes pairs when it has members on both sides (two members within one file)
    and at most ``max_block_pairs`` pairs. Zeroing every other value lets pair work be
    split by key value: a record whose block makes no pair goes nowhere, and a pair
    shares a *paired* block of a key exactly when both its records hold the same
    non-zero value here.
    """

    keys_a: np.ndarray
    keys_b: np.ndarray | None
    blocks: int
    pairs: int
    oversized: int
    skipped: int


def paired_keys(keys_a: np.ndarray, keys_b: np.ndarray | None, max_block_pairs: int) -> PairedKeys:
    """The key values of the blocks :func:`block_pairs` would pair (same counts too)."""
    values_a, inverse_a, counts_a = np.unique(keys_a, return_inverse=True, return_counts=True)
    if keys_b is None:
        pairs_per = counts_a * (counts_a - 1) // 2
    else:
        values_b, inverse_b, counts_b = np.unique(keys_b, return_inverse=True, return_counts=True)
        at = np.minimum(np.searchsorted(values_b, values_a), max(len(values_b) - 1, 0))
        shared = (values_b[at] == values_a) if len(values_b) else np.zeros(len(values_a), bool)
        pairs_per = counts_a * np.where(shared, counts_b[at] if len(values_b) else 0, 0)
    real = values_a != 0
    keep = real & (pairs_per > 0) & (pairs_per <= max_block_pairs)
    over = real & (pairs_per > max_block_pairs)
    kept_b = None
    if keys_b is not None:
        held = np.isin(values_b, values_a[keep], assume_unique=True)
        kept_b = np.where(held[inverse_b.reshape(-1)], keys_b, 0).astype(keys_b.dtype)
    return PairedKeys(
        np.where(keep[inverse_a.reshape(-1)], keys_a, 0).astype(keys_a.dtype),
        kept_b,
        blocks=int(keep.sum()),
        pairs=int(pairs_per[keep].sum()),
        oversized=int(over.sum()),
        skipped=int(pairs_per[over].sum()),
    )
