"""Pair work split by blocking key: compare record pairs, in-process or on Dask workers.

For each blocking key, the records of both sides whose block makes pairs are split into
P partitions by (keyed key value mod P). A block never straddles two partitions, so one
task finds all of that key's pairs among its own records (:func:`block_pairs`), compares
them and returns what the coordinator needs: comparison-pattern counts for EM (first
pass, :class:`CountPatterns`) or the pairs reaching a score with their log-odds (second
pass, :class:`ScorePairs`). A pair sharing several keys counts once, under the first key
in schema order that pairs it; each task checks that locally, since every record carries
its values of the earlier keys.

Counts add up and pairs are sorted on the coordinator, so results depend neither on P
nor on where tasks ran: the in-process path (:class:`LocalRunner`) runs the same tasks
one after another; :class:`padan.distributed.DaskRunner` runs them on a cluster.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np

from padan.bloom import FieldLayout, field_layouts
from padan.candidates import BlockingStats, block_pairs, paired_keys
from padan.comparison import compare_pairs, pack_words
from padan.records_table import RecordsTable
from padan.scoring import FSModel, Patterns, log_odds_bits, pattern_codes

# Partitions hold whole blocks already capped by the coordinator: tasks pair all of them.
_NO_CAP = np.iinfo(np.int64).max
# Records per partition of the in-process path: bounds one task's pairs and levels.
LOCAL_PARTITION_RECORDS = 250_000

T = TypeVar("T")


class PairComparer(Protocol):
    """The field-by-field comparison kernel (:func:`padan.comparison.compare_pairs`)."""

    def __call__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        layouts: Sequence[FieldLayout],
        cuts: Sequence[Sequence[float]],
    ) -> np.ndarray: ...


def _decision(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema["decision"]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: packed CLK words and the keyed salt tokens."""

    words: np.ndarray
    salts: Mapping[str, np.ndarray]

    @classmethod
    def of(cls, table: RecordsTable) -> Side:
        """The comparison side of a package's records."""
        return cls(pack_words(table.clk), table.salts)

    def __len__(self) -> int:
        return len(self.words)


class Comparer:
    """Compares record pairs field by field as the linkage schema says.

    A salted field's filters are keyed per salt value (e.g. birth year): two filters
    with different salts are unrelated whatever the values, so that field counts as
    missing for the pair rather than as a disagreement.
    """

    def __init__(self, schema: Mapping[str, Any], compare: PairComparer = compare_pairs):
        self.compare = compare
        self.layouts = field_layouts(schema)
        self.cuts = [f["levels"] for f in schema["fields"]]
        self.n_levels = [len(c) for c in self.cuts]
        self.fields = [f["name"] for f in schema["fields"]]
        self.iterations = _decision(schema)["em_iterations"]
        self.sample = _decision(schema)["u_sample_pairs"]
        self.household = {self.fields.index(f) for f in _decision(schema)["household_fields"]}
        self.correlated = [
            [self.fields.index(f) for f in group if f in self.fields]
            for group in _decision(schema).get("correlated_fields", [])
        ]
        self.salted: dict[str, list[int]] = {}
        for f, spec in enumerate(schema["fields"]):
            if spec.get("salt"):
                self.salted.setdefault(spec["salt"], []).append(f)

    def levels(self, a: Side, b: Side, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Comparison levels of pairs (a[i], b[j])."""
        levels = self.compare(a.words, b.words, i, j, self.layouts, self.cuts)
        for kind, columns in self.salted.items():
            if kind in a.salts and kind in b.salts:
                other_salt = a.salts[kind][i] != b.salts[kind][j]
                for column in columns:
                    levels[other_salt, column] = -1
        return levels

    def random_pair_levels(self, a: Side, b: Side) -> np.ndarray:
        """Levels of random pairs (fixed seed: results stay reproducible)."""
        rng = np.random.default_rng(0)
        i = rng.integers(0, len(a), self.sample)
        j = rng.integers(0, len(b), self.sample)
        keep = (i != j) if a is b else np.ones(len(i), dtype=bool)
        return self.levels(a, b, i[keep], j[keep])


@dataclass(slots=True)
class Members:
    """Records of one side (all, or one partition's): what pair tasks need, no ids."""

    index: np.ndarray  # int64 record index in the whole side, increasing
    words: np.ndarray  # packed CLK words
    keys: np.ndarray  # (n, kinds) uint64 paired key values (0: block makes no pair)
    salts: dict[str, np.ndarray]

    def take(self, rows: np.ndarray, kinds: int) -> Members:
        """The given rows, with the values of the first ``kinds`` keys only."""
        return Members(
            self.index[rows],
            self.words[rows],
            self.keys[rows, :kinds],
            {k: v[rows] for k, v in self.salts.items()},
        )

    def side(self) -> Side:
        """These records as one side of a comparison."""
        return Side(self.words, self.salts)


@dataclass(slots=True)
class Partition:
    """The records of one key's partition; ``b=None`` pairs ``a`` with itself."""

    key: int  # position of the blocking key in schema order
    a: Members
    b: Members | None


@dataclass(slots=True)
class PairPlan:
    """Both sides with their paired key values, and the blocking counts known upfront."""

    kinds: list[str]
    a: Members
    b: Members | None
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
        return Partition(
            key,
            self.a.take(rows_a, key + 1),
            None if self.b is None or rows_b is None else self.b.take(rows_b, key + 1),
        )


def _members(tables: Sequence[RecordsTable], keys: np.ndarray) -> Members:
    words = np.concatenate([pack_words(t.clk) for t in tables])
    salts = {k: np.concatenate([t.salts[k] for t in tables]) for k in tables[0].salts}
    return Members(np.arange(len(words), dtype=np.int64), words, keys, salts)


def plan_pairs(
    a_tables: Sequence[RecordsTable],
    b_table: RecordsTable | None,
    kinds: Sequence[str],
    max_block_pairs: int,
) -> PairPlan:
    """Plan the pairs of every ``a`` table with ``b`` (or of one ``a`` table within itself).

    Several ``a`` tables (the CKG lists) form one side, each capped against ``b`` on its
    own as if blocked alone: a registry record keeps a key value when any list pairs it.
    """
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
    return PairPlan(list(kinds), a, b, stats)


def _compare(
    part: Partition, comparer: Comparer
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of the partition's key, their levels, and which ones count under this key."""
    a = part.a
    b = a if part.b is None else part.b
    other = None if part.b is None else b.keys[:, part.key]
    i, j, *_ = block_pairs(a.keys[:, part.key], other, _NO_CAP)
    levels = comparer.levels(a.side(), b.side(), i, j)
    first = np.ones(len(i), dtype=bool)
    for k in range(part.key):  # an earlier key pairing them already counted the pair
        value = a.keys[i, k]
        first &= (value == 0) | (value != b.keys[j, k])
    return a.index[i], b.index[j], levels, first


@dataclass(slots=True)
class KeyCounts:
    """First-pass result of one partition: pattern counts of its key's pairs."""

    key: int
    every: Patterns  # all pairs sharing this key (the key's own EM run for m)
    first: Patterns  # pairs counted under this key (each candidate pair once)


@dataclass(frozen=True, slots=True)
class CountPatterns:
    """First pass: comparison-pattern counts of a partition's pairs."""

    schema: Mapping[str, Any]

    def __call__(self, part: Partition, compare: PairComparer) -> KeyCounts:
        comparer = Comparer(self.schema, compare)
        _, _, levels, first = _compare(part, comparer)
        codes = pattern_codes(levels, comparer.n_levels)
        return KeyCounts(
            part.key,
            Patterns.from_codes(codes, None, comparer.n_levels),
            Patterns.from_codes(codes[first], None, comparer.n_levels),
        )


@dataclass(slots=True)
class ScoredPairs:
    """Pairs (indices into each side) with their log-odds."""

    i: np.ndarray
    j: np.ndarray
    bits: np.ndarray


@dataclass(frozen=True, slots=True)
class ScorePairs:
    """Second pass: the partition's candidate pairs whose log-odds reach ``floor``.

    ``ignore`` fields are scored as missing (as the model was fitted).
    """

    schema: Mapping[str, Any]
    model: FSModel
    floor: float
    ignore: tuple[int, ...] = ()

    def __call__(self, part: Partition, compare: PairComparer) -> ScoredPairs:
        comparer = Comparer(self.schema, compare)
        i, j, levels, first = _compare(part, comparer)
        levels = levels[first]
        levels[:, list(self.ignore)] = -1
        # Score each distinct pattern once; pairs take their pattern's score.
        codes = pattern_codes(levels, comparer.n_levels)
        distinct, inverse = np.unique(codes, return_inverse=True)
        pattern_bits = log_odds_bits(
            Patterns.from_codes(distinct, None, comparer.n_levels).levels,
            self.model,
            comparer.correlated,
        )
        bits = pattern_bits[inverse.reshape(-1)]
        keep = bits >= self.floor
        return ScoredPairs(i[first][keep], j[first][keep], bits[keep])


PairTask = Callable[[Partition, PairComparer], T]


class PairRunner(Protocol):
    """Runs a task on every partition of a plan and returns the results (any order)."""

    def map(self, plan: PairPlan, task: PairTask[T]) -> list[T]: ...


def n_partitions(records: int, partition_records: int, at_least: int = 1) -> int:
    """Partitions per key: enough to keep each near ``partition_records``."""
    return max(at_least, math.ceil(records / partition_records))


@dataclass(slots=True)
class LocalRunner:
    """The default path: every partition in this process, one after another."""

    compare: PairComparer = compare_pairs
    partition_records: int = LOCAL_PARTITION_RECORDS

    def map(self, plan: PairPlan, task: PairTask[T]) -> list[T]:
        """Results of ``task`` on every partition of every key."""
        n = n_partitions(plan.records, self.partition_records)
        return [
            task(plan.partition(key, part, n), self.compare)
            for key in range(len(plan.kinds))
            for part in range(n)
        ]


@dataclass(slots=True)
class PairCounts:
    """First-pass totals: per-key patterns (for m), candidate patterns, blocking stats."""

    per_key: dict[str, Patterns]
    candidates: Patterns
    stats: BlockingStats


def count_pairs(plan: PairPlan, runner: PairRunner, schema: Mapping[str, Any]) -> PairCounts:
    """Run the first pass and add up its counts."""
    n_levels = Comparer(schema).n_levels
    parts = runner.map(plan, CountPatterns(schema))
    per_key = {
        kind: Patterns.merge([p.every for p in parts if p.key == k], n_levels)
        for k, kind in enumerate(plan.kinds)
    }
    candidates = Patterns.merge([p.first for p in parts], n_levels)
    stats = plan.stats
    stats.candidate_pairs = candidates.pairs
    return PairCounts(per_key, candidates, stats)


def score_pairs(
    plan: PairPlan,
    runner: PairRunner,
    schema: Mapping[str, Any],
    model: FSModel,
    floor: float,
    ignore: Sequence[int] = (),
) -> ScoredPairs:
    """Run the second pass: candidate pairs scoring at least ``floor``, sorted by (i, j)."""
    parts = runner.map(plan, ScorePairs(schema, model, floor, tuple(ignore)))
    i = np.concatenate([p.i for p in parts] + [np.zeros(0, dtype=np.int64)])
    j = np.concatenate([p.j for p in parts] + [np.zeros(0, dtype=np.int64)])
    bits = np.concatenate([p.bits for p in parts] + [np.zeros(0)])
    order = np.lexsort((j, i))
    return ScoredPairs(i[order], j[order], bits[order])
