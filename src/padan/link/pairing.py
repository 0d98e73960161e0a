"""Pair work split by blocking key: compare record pairs, in-process or on Dask workers.

For each blocking key, the records of both sides whose block makes pairs are split into
P partitions by (keyed key value mod P). A block never straddles two partitions, so one
task finds all of that key's pairs among its own records (:func:`block_pairs`). A pair
sharing several keys is a candidate once, under the first key in schema order that pairs
it: each task checks that locally (every record carries all its key values), compares
only those pairs, once, and keeps each pair's comparison pattern (:class:`ComparePairs`).
From what it keeps come both the pattern counts EM needs (per key and for all candidate
pairs) and, once the model is fitted, the pairs reaching a score (:class:`ScoreKept`),
without comparing any pair again.

Counts add up and pairs are sorted on the coordinator, so results depend neither on P
nor on where tasks ran: the in-process path (:class:`LocalRunner`) runs the same tasks
one after another and keeps their results in memory;
:class:`padan.link.dask_runner.DaskRunner` runs them on a cluster and leaves their results
in the workers' memory.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import numba as nb
import numpy as np

from padan.core.schema import FieldLayout, LinkageSchema
from padan.formats.records import RecordsTable
from padan.link.candidates import BlockingStats, block_pairs, index_dtype, paired_keys, shared_keys
from padan.link.comparison import compare_pairs, level_words, pack_words, token_levels
from padan.link.model import FSModel, Patterns, log_odds_bits, pattern_codes, pattern_space

# Partitions hold whole blocks already capped by the coordinator: tasks pair all of them.
_NO_CAP = np.iinfo(np.int64).max
# Records per partition of the in-process path: bounds one task's pairs and levels.
LOCAL_PARTITION_RECORDS = 250_000
# Largest pattern-code space counted with a table (one slot per possible code) rather
# than by sorting the codes; the default schema has 1.3 M possible codes.
_TABLE_CODES = 1 << 22

T = TypeVar("T")
R = TypeVar("R")
T_co = TypeVar("T_co", covariant=True)


class PairComparer(Protocol):
    """The field-by-field comparison kernel (:func:`padan.link.comparison.compare_pairs`)."""

    def __call__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        layouts: Sequence[FieldLayout],
        cuts: Sequence[Sequence[float]],
    ) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: packed CLK words and the level-token words bound to the
    scope the pairs share (a blocking key, or a u-sample bucket); ``None``: no tokens."""

    words: np.ndarray
    levels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.words)


class Comparer:
    """Compares record pairs field by field as the linkage schema says (built once per run).

    Filter fields by Dice levels; token fields by equal level tokens, which compare
    only for pairs sharing a scope: one blocking key's block, or one u-sample bucket.
    """

    def __init__(self, schema: LinkageSchema, compare: PairComparer = compare_pairs):
        self.schema = schema
        self.compare = compare
        self.layouts = schema.field_layouts
        self.cuts = [f.levels for f in schema.filters]
        self.n_levels = schema.n_levels
        self.fields = list(schema.fields)
        self.n_filters = len(schema.filters)
        decision = schema.decision
        self.iterations = decision.em_iterations
        self.sample = decision.u_sample_pairs
        self.household = {self.fields.index(f) for f in decision.household_fields}
        self.correlated = [
            [self.fields.index(f) for f in group] for group in decision.correlated_fields
        ]
        self.token_fields = list(range(self.n_filters, len(self.fields)))

    def levels(
        self,
        a: Side,
        b: Side,
        i: np.ndarray,
        j: np.ndarray,
        compare: PairComparer | None = None,
    ) -> np.ndarray:
        """Comparison levels of pairs (a[i], b[j])."""
        kernel = compare or self.compare
        filters = kernel(a.words, b.words, i, j, self.layouts, self.cuts)
        if a.levels is None or b.levels is None:
            tokens = np.full((len(i), len(self.token_fields)), -1, dtype=np.int8)
        else:
            tokens = token_levels(
                a.levels, b.levels, i, j, self.schema.token_fields, self.schema.scoped_tokens
            )
        return np.concatenate([filters, tokens], axis=1)

    def random_pair_levels(self, a: SampleSide, b: SampleSide | None = None) -> np.ndarray:
        """Levels of random pairs of ``a`` and ``b`` (``None``: within ``a``).

        Filter fields are compared on uniformly random pairs (token fields missing);
        token fields on random pairs inside one u-sample bucket, the only random pairs
        that can compare level tokens (filter fields missing there, so each field's u
        comes from one sample). The seed is fixed: results stay reproducible.
        """
        other = a if b is None else b
        rng = np.random.default_rng(0)
        i = rng.integers(0, len(a), self.sample)
        j = rng.integers(0, len(other), self.sample)
        keep = (i != j) if b is None else np.ones(len(i), dtype=bool)
        filters = self.levels(Side(a.words), Side(other.words), i[keep], j[keep])
        i, j = self._bucket_pairs(a, b, rng)
        tokens = self.levels(a.side(), other.side(), i, j)
        tokens[:, : self.n_filters] = -1
        return np.concatenate([filters, tokens])

    def _bucket_pairs(
        self, a: SampleSide, b: SampleSide | None, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Random pairs inside one u-sample bucket: all of them when there are at most
        ``sample`` (small packages: a pair is never counted twice), else ``sample`` drawn
        as a random record of ``a`` with a random record of its bucket."""
        other = a if b is None else b
        values_a, counts_a = np.unique(a.bucket, return_counts=True)
        if b is None:
            total = int((counts_a * (counts_a - 1) // 2).sum())
        else:
            values_b, counts_b = np.unique(b.bucket, return_counts=True)
            _, at_a, at_b = np.intersect1d(values_a, values_b, return_indices=True)
            total = int((counts_a[at_a] * counts_b[at_b]).sum())
        if total <= self.sample:
            i, j, *_ = block_pairs(a.bucket, None if b is None else b.bucket, _NO_CAP)
            return i.astype(np.int64), j.astype(np.int64)
        order = np.argsort(other.bucket, kind="stable")
        buckets = other.bucket[order]
        i = rng.integers(0, len(a), self.sample)
        lo = np.searchsorted(buckets, a.bucket[i], side="left")
        hi = np.searchsorted(buckets, a.bucket[i], side="right")
        held = hi > lo
        i, lo, hi = i[held], lo[held], hi[held]
        j = order[lo + (rng.random(len(i)) * (hi - lo)).astype(np.int64)]
        keep = (i != j) if b is None else np.ones(len(i), dtype=bool)
        return i[keep], j[keep]


@dataclass(frozen=True, slots=True)
class SampleSide:
    """Records as random pairs see them: CLK words, u-sample bucket and its level tokens."""

    words: np.ndarray
    bucket: np.ndarray
    levels: np.ndarray

    @classmethod
    def of(cls, tables: Sequence[RecordsTable], token_bytes: int) -> SampleSide:
        """The random-pair side of one or more packages' records (in order)."""
        return cls(
            np.concatenate([pack_words(t.clk) for t in tables]),
            np.concatenate([t.u_sample.bucket for t in tables]),
            level_words(np.concatenate([t.u_sample.levels for t in tables]), token_bytes),
        )

    def side(self) -> Side:
        """These records as one side of a comparison, level tokens bound to their bucket."""
        return Side(self.words, self.levels)

    def __len__(self) -> int:
        return len(self.words)


@dataclass(slots=True)
class Members:
    """Records of one side (all, or one partition's): what pair tasks need, no ids.

    ``levels`` are the level-token words of the partition's blocking key (``None`` for
    a whole side, which holds every key's tokens in :class:`PairPlan`).
    """

    index: np.ndarray  # int64 record index in the whole side, increasing
    words: np.ndarray  # packed CLK words
    keys: np.ndarray  # (n, kinds) uint64 paired key values (0: block makes no pair)
    levels: np.ndarray | None = None  # (n, level kinds) uint32

    def take(self, rows: np.ndarray, levels: np.ndarray | None = None) -> Members:
        """The given rows (with ``levels``: those rows' level tokens of one key)."""
        return Members(self.index[rows], self.words[rows], self.keys[rows], levels)

    def side(self) -> Side:
        """These records as one side of a comparison."""
        return Side(self.words, self.levels)


@dataclass(slots=True)
class Partition:
    """The records of one key's partition; ``b=None`` pairs ``a`` with itself."""

    key: int  # position of the blocking key in schema order
    a: Members
    b: Members | None


@dataclass(slots=True)
class PairPlan:
    """Both sides with their paired key values, level tokens per key, and the blocking
    counts known upfront."""

    kinds: list[str]
    a: Members
    b: Members | None
    scoped_a: dict[str, np.ndarray]  # blocking kind -> (n, kinds * bytes) uint8
    scoped_b: dict[str, np.ndarray] | None
    token_bytes: int
    stats: BlockingStats = field(default_factory=BlockingStats)

    @property
    def records(self) -> int:
        """Records of both sides."""
        return len(self.a.index) + (0 if self.b is None else len(self.b.index))

    def partition_rows(
        self, key: int, part: int, n_parts: int
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Rows of each side in one partition of one key."""

        def rows(members: Members) -> np.ndarray:
            values = members.keys[:, key]
            return np.flatnonzero((values != 0) & (values % np.uint64(n_parts) == part))

        return rows(self.a), None if self.b is None else rows(self.b)

    def partition(self, key: int, part: int, n_parts: int) -> Partition:
        """One partition of one key, as a task receives it."""
        rows_a, rows_b = self.partition_rows(key, part, n_parts)
        kind = self.kinds[key]

        def levels(scoped: dict[str, np.ndarray], rows: np.ndarray) -> np.ndarray:
            return level_words(scoped[kind][rows], self.token_bytes)

        a = self.a.take(rows_a, levels(self.scoped_a, rows_a))
        if self.b is None or rows_b is None or self.scoped_b is None:
            return Partition(key, a, None)
        return Partition(key, a, self.b.take(rows_b, levels(self.scoped_b, rows_b)))


def _members(tables: Sequence[RecordsTable], keys: np.ndarray) -> Members:
    words = np.concatenate([pack_words(t.clk) for t in tables])
    return Members(np.arange(len(words), dtype=np.int64), words, keys)


def _scoped(tables: Sequence[RecordsTable], kinds: Sequence[str]) -> dict[str, np.ndarray]:
    # One table (the registry, most lists) is used as it is: no copy of its tokens.
    if len(tables) == 1:
        return {k: tables[0].scoped[k] for k in kinds}
    return {k: np.concatenate([t.scoped[k] for t in tables]) for k in kinds}


def plan_pairs(
    a_tables: Sequence[RecordsTable],
    b_table: RecordsTable | None,
    schema: LinkageSchema,
    max_block_pairs: int | None = None,
) -> PairPlan:
    """Plan the pairs of every ``a`` table with ``b`` (or of one ``a`` table within itself).

    Several ``a`` tables (the CKG lists) form one side, each capped against ``b`` on its
    own as if blocked alone: a registry record keeps a key value when any list pairs it.
    ``max_block_pairs`` overrides the schema's cap.
    """
    kinds = schema.blocking.keys
    max_block_pairs = max_block_pairs or schema.blocking.max_block_pairs
    n_a = sum(len(t) for t in a_tables)
    keys_a = np.zeros((n_a, len(kinds)), dtype=np.uint64)
    keys_b = None if b_table is None else np.zeros((len(b_table), len(kinds)), dtype=np.uint64)
    stats = BlockingStats()
    for k, kind in enumerate(kinds):
        start = 0
        stats.pairs_per_key[kind] = stats.blocks_per_key[kind] = 0
        stats.oversized_blocks[kind] = stats.skipped_pairs[kind] = 0
        for table in a_tables:
            other = None if b_table is None else b_table.blocks[kind]
            paired = paired_keys(table.blocks[kind], other, max_block_pairs)
            keys_a[start : start + len(table), k] = paired.keys_a
            start += len(table)
            if keys_b is not None and paired.keys_b is not None:
                np.maximum(keys_b[:, k], paired.keys_b, out=keys_b[:, k])
            stats.pairs_per_key[kind] += paired.pairs
            stats.blocks_per_key[kind] += paired.blocks
            stats.oversized_blocks[kind] += paired.oversized
            stats.skipped_pairs[kind] += paired.skipped
    for table in a_tables:
        keyless = np.ones(len(table), dtype=bool)
        for kind in kinds:
            keyless &= table.blocks[kind] == 0
        stats.keyless_records += int(keyless.sum())
    a = _members(a_tables, keys_a)
    b = None if b_table is None or keys_b is None else _members([b_table], keys_b)
    scoped_b = None if b_table is None else _scoped([b_table], kinds)
    return PairPlan(
        list(kinds), a, b, _scoped(a_tables, kinds), scoped_b, schema.scoped_token_bytes, stats
    )


def distinct_codes(codes: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pattern codes (increasing) and where each code is among them.

    ``codes`` are below ``space``. Many codes in a small space are counted in a table of
    every possible code, in linear time: sorting tens of millions of codes took longer
    than comparing their pairs.
    """
    if space > _TABLE_CODES or len(codes) < space // 16:
        distinct, inverse = np.unique(codes, return_inverse=True)
        return distinct, inverse.reshape(-1).astype(_position_dtype(len(distinct)))
    distinct = np.flatnonzero(np.bincount(codes, minlength=space))
    position = np.zeros(space, dtype=_position_dtype(len(distinct)))
    position[distinct] = np.arange(len(distinct))
    return distinct, position[codes]


def _position_dtype(n: int) -> type[np.unsignedinteger]:
    return np.uint16 if n <= 1 << 16 else np.uint32


@nb.njit(cache=True)
def _count_shared(position, shared, out):  # pragma: no cover
    for p in range(len(position)):
        for k in range(out.shape[0]):
            if (shared[p] >> np.uint64(k)) & np.uint64(1):
                out[k, position[p]] += 1


@dataclass(slots=True)
class KeyCounts:
    """Pattern counts of one partition's candidate pairs (those whose first key it is)."""

    key: int
    codes: np.ndarray  # distinct pattern codes, increasing
    shares: np.ndarray  # (kinds, len(codes)) int64: pairs of each pattern sharing each key

    def patterns(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        """Codes and counts of the patterns of pairs sharing ``key`` (non-zero counts)."""
        held = self.shares[key] > 0
        return self.codes[held], self.shares[key][held]


@dataclass(slots=True)
class ComparedPairs:
    """One partition's candidate pairs, each with its comparison pattern, and the counts."""

    counts: KeyCounts
    i: np.ndarray  # record index in side a (int32 below 2**31 records)
    j: np.ndarray  # record index in side b
    pattern: np.ndarray  # per pair: position of its code in ``counts.codes``


def _indices(index: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Whole-side indices of partition rows, narrowed (they are kept until scoring)."""
    return index[rows].astype(index_dtype(int(index[-1]) + 1 if len(index) else 0))


@dataclass(frozen=True, slots=True)
class ComparePairs:
    """First step: compare a partition's candidate pairs, keep their patterns, count them.

    Pairs counted under an earlier key are left to that key's task, so every candidate
    pair is compared exactly once; its key mask says which keys' m-training runs it
    belongs to (all pairs sharing that key).
    """

    comparer: Comparer

    def __call__(self, part: Partition, compare: PairComparer) -> ComparedPairs:
        comparer = self.comparer
        a = part.a
        b = a if part.b is None else part.b
        other = None if part.b is None else b.keys[:, part.key]
        i, j, *_ = block_pairs(a.keys[:, part.key], other, _NO_CAP)
        shared = shared_keys(a.keys, b.keys, i, j, part.key)
        first = np.flatnonzero(shared)
        i, j, shared = i[first], j[first], shared[first]
        levels = comparer.levels(a.side(), b.side(), i, j, compare)
        codes, position = distinct_codes(
            pattern_codes(levels, comparer.n_levels), pattern_space(comparer.n_levels)
        )
        shares = np.zeros((a.keys.shape[1], len(codes)), dtype=np.int64)
        _count_shared(position, shared, shares)
        counts = KeyCounts(part.key, codes, shares)
        return ComparedPairs(counts, _indices(a.index, i), _indices(b.index, j), position)


@dataclass(slots=True)
class ScoredPairs:
    """Pairs (indices into each side) with their log-odds."""

    i: np.ndarray
    j: np.ndarray
    bits: np.ndarray


@dataclass(frozen=True, slots=True)
class ScoreKept:
    """Second step: the kept pairs of a partition whose log-odds reach ``floor``.

    ``codes`` are every candidate pattern (increasing) and ``bits`` their log-odds, so a
    pair's score is its pattern's: nothing is compared again.
    """

    codes: np.ndarray
    bits: np.ndarray
    floor: float

    def __call__(self, part: ComparedPairs) -> ScoredPairs:
        bits = self.bits[np.searchsorted(self.codes, part.counts.codes)]
        keep = np.flatnonzero((bits >= self.floor)[part.pattern])
        return ScoredPairs(
            part.i[keep].astype(np.int64),
            part.j[keep].astype(np.int64),
            bits[part.pattern[keep]],
        )


PairTask = Callable[[Partition, PairComparer], T]


class Held(Protocol[T_co]):
    """Task results of every partition, kept where the tasks ran."""

    def map(self, fn: Callable[[T_co], R]) -> list[R]:
        """``fn`` of every result, computed where the result is (any order)."""
        ...


class PairRunner(Protocol):
    """Runs a task on every partition of a plan; the results stay where they ran."""

    def run(self, plan: PairPlan, task: PairTask[T]) -> Held[T]: ...


def n_partitions(records: int, partition_records: int, at_least: int = 1) -> int:
    """Partitions per key: enough to keep each near ``partition_records``."""
    return max(at_least, math.ceil(records / partition_records))


@dataclass(slots=True)
class Kept(Generic[T]):
    """Results held in this process."""

    results: list[T]

    def map(self, fn: Callable[[T], R]) -> list[R]:
        """``fn`` of every result."""
        return [fn(r) for r in self.results]


@dataclass(slots=True)
class LocalRunner:
    """The default path: every partition in this process, one after another."""

    compare: PairComparer = compare_pairs
    partition_records: int = LOCAL_PARTITION_RECORDS

    def run(self, plan: PairPlan, task: PairTask[T]) -> Kept[T]:
        """Results of ``task`` on every partition of every key."""
        n = n_partitions(plan.records, self.partition_records)
        return Kept(
            [
                task(plan.partition(key, part, n), self.compare)
                for key in range(len(plan.kinds))
                for part in range(n)
            ]
        )


@dataclass(slots=True)
class PairCounts:
    """First-step totals (per-key patterns for m, candidate patterns, blocking stats) and
    the compared pairs, kept for scoring."""

    per_key: dict[str, Patterns]
    candidates: Patterns
    stats: BlockingStats
    pairs: Held[ComparedPairs]


def count_pairs(plan: PairPlan, runner: PairRunner, comparer: Comparer) -> PairCounts:
    """Compare every candidate pair once and add up the pattern counts."""
    n_levels = comparer.n_levels
    pairs = runner.run(plan, ComparePairs(comparer))
    parts = pairs.map(operator.attrgetter("counts"))
    per_key = {
        kind: Patterns.add_up((p.patterns(k) for p in parts), n_levels)
        for k, kind in enumerate(plan.kinds)
    }
    # A partition's own key is every one of its pairs' first key.
    candidates = Patterns.add_up(((p.codes, p.shares[p.key]) for p in parts), n_levels)
    stats = plan.stats
    stats.candidate_pairs = candidates.pairs
    return PairCounts(per_key, candidates, stats, pairs)


def score_pairs(
    counts: PairCounts,
    comparer: Comparer,
    model: FSModel,
    floor: float,
    ignore: Sequence[int] = (),
) -> ScoredPairs:
    """Candidate pairs scoring at least ``floor``, sorted by (i, j).

    ``ignore`` fields are scored as missing (as the model was fitted).
    """
    levels = counts.candidates.levels.copy()
    levels[:, list(ignore)] = -1
    bits = log_odds_bits(levels, model, comparer.correlated)
    codes = pattern_codes(counts.candidates.levels, comparer.n_levels)
    parts = counts.pairs.map(ScoreKept(codes, bits, floor))
    i = np.concatenate([p.i for p in parts] + [np.zeros(0, dtype=np.int64)])
    j = np.concatenate([p.j for p in parts] + [np.zeros(0, dtype=np.int64)])
    bits = np.concatenate([p.bits for p in parts] + [np.zeros(0)])
    order = np.lexsort((j, i))
    return ScoredPairs(i[order], j[order], bits[order])
