"""The random stream used by the generator: ``random.Random`` plus two fast draws.

``Random.choice`` and ``randint`` go through rejection sampling on ``getrandbits``;
at a million people that is a large share of the run time. ``pick`` and ``between``
scale one ``random()`` instead (bias below 2**-40 for the small ranges used here).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


class Rng(random.Random):
    """A seeded ``random.Random`` with fast ``pick`` and ``between``."""

    def pick(self, seq: Sequence[T]) -> T:
        """A uniform element of a non-empty sequence."""
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """A uniform integer in ``[low, high]`` (both included)."""
        return low + int(self.random() * (high - low + 1))


def stream(seed: int, purpose: str) -> Rng:
    """An independent, reproducible stream for one purpose (``registry``, ``lists``)."""
    return Rng(f"padan-synth:{seed}:{purpose}")
