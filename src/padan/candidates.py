"""Candidate pairs from keyed blocking keys (private blocking at the coordinator).

Two records become a candidate pair when they share any blocking key (equal keyed
tokens of e.g. birth date, NIK date part, name + year). Blocks whose pair count
exceeds a cap are skipped and counted, never silently: the statistics go to the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sort order, distinct non-zero keys, their start in the sorted order and counts."""
    order = np.flatnonzero(keys)
    order = order[np.argsort(keys[order], kind="stable")]
    distinct, starts, counts = np.unique(keys[order], return_index=True, return_counts=True)
    return order, distinct, starts, counts


def _expand(sizes_a: np.ndarray, sizes_b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For blocks of sizes a×b: block index and within-block (ia, ib) of every pair."""
    per_block = sizes_a * sizes_b
    block = np.repeat(np.arange(len(per_block)), per_block)
    first = np.cumsum(per_block) - per_block
    t = np.arange(per_block.sum(), dtype=np.int64) - first[block]
    return block, t // sizes_b[block], t % sizes_b[block]


def block_pairs(
    keys_a: np.ndarray, keys_b: np.ndarray | None, max_block_pairs: int
) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """Pairs (i in a, j in b) sharing a key; ``keys_b=None`` pairs a with itself (i < j).

    Returns ``(i, j, blocks, oversized_blocks, skipped_pairs)``; key 0 means no key.
    """
    order_a, distinct_a, starts_a, counts_a = _groups(keys_a)
    if keys_b is None:
        order_b, starts_b, counts_b, sa, ca = order_a, starts_a, counts_a, starts_a, counts_a
        pairs_per = counts_a * (counts_a - 1) // 2
    else:
        order_b, distinct_b, starts_b, counts_b = _groups(keys_b)
        _, ia, ib = np.intersect1d(distinct_a, distinct_b, assume_unique=True, return_indices=True)
        sa, ca, starts_b, counts_b = starts_a[ia], counts_a[ia], starts_b[ib], counts_b[ib]
        pairs_per = ca * counts_b
    keep = (pairs_per <= max_block_pairs) & (pairs_per > 0)
    oversized = int((pairs_per > max_block_pairs).sum())
    skipped = int(pairs_per[~keep].sum())
    sa, ca, sb, cb = sa[keep], ca[keep], starts_b[keep], counts_b[keep]
    block, wa, wb = _expand(ca, cb)
    i = order_a[sa[block] + wa]
    j = order_b[sb[block] + wb]
    if keys_b is None:
        upper = wa < wb
        i, j = i[upper], j[upper]
    return i, j, int(keep.sum()), oversized, skipped


def candidate_pairs(
    blocks_a: Mapping[str, np.ndarray],
    blocks_b: Mapping[str, np.ndarray] | None,
    max_block_pairs: int,
    keys: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, BlockingStats]:
    """Union over blocking keys of the pairs sharing that key, sorted, without repeats.

    ``blocks_b=None`` finds pairs within ``a`` (deduplication). Returns ``(i, j, stats)``.
    """
    stats = BlockingStats()
    n_b = len(next(iter((blocks_b or blocks_a).values())))
    codes = []
    for kind in keys or list(blocks_a):
        i, j, blocks, oversized, skipped = block_pairs(
            blocks_a[kind], None if blocks_b is None else blocks_b[kind], max_block_pairs
        )
        stats.pairs_per_key[kind] = len(i)
        stats.blocks_per_key[kind] = blocks
        stats.oversized_blocks[kind] = oversized
        stats.skipped_pairs[kind] = skipped
        codes.append(i.astype(np.int64) * n_b + j)
    code = np.unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    stats.candidate_pairs = len(code)
    all_keys = np.stack([blocks_a[k] for k in keys or list(blocks_a)])
    stats.keyless_records = int((all_keys == 0).all(axis=0).sum())
    return code // n_b, code % n_b, stats
