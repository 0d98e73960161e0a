"""What a link run decided, aggregate per stage, before anything is written out."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from padan.formats.result import ResultRows
from padan.link.candidates import BlockingStats
from padan.link.model import FSModel, Patterns, log_odds_bits
from padan.link.pairing import Comparer
from padan.link.verify import LoadedPackage


@dataclass(slots=True)
class Stage:
    """Outcome of one matching stage (dedup or link), aggregate only.

    Scores are kept per comparison pattern with the number of candidate pairs showing
    it: the histogram of every pair's score without a per-pair array.
    """

    model: FSModel
    blocking: BlockingStats
    pattern_bits: np.ndarray  # log-odds of each distinct candidate pattern
    pattern_pairs: np.ndarray  # candidate pairs with that pattern
    accepted: int

    @property
    def bits(self) -> np.ndarray:
        """Log-odds of every candidate pair (in pattern order, for the histogram)."""
        return np.repeat(self.pattern_bits, self.pattern_pairs)


@dataclass(slots=True)
class LinkOutcome:
    """Everything a link run decided, before it is written out."""

    packages: list[LoadedPackage]
    rows: dict[str, ResultRows]  # package path -> rows
    dedup: Stage
    link: Stage | None
    threshold_bits: float
    timings: dict[str, float] = field(default_factory=dict)


def stage_of(
    comparer: Comparer, model: FSModel, candidates: Patterns, stats: BlockingStats, accepted: int
) -> Stage:
    """The aggregate of one stage: every candidate pattern's log-odds and count."""
    bits = log_odds_bits(candidates.levels, model, comparer.correlated)
    return Stage(model, stats, bits, candidates.counts, accepted)
