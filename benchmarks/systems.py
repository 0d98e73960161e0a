"""The systems the accuracy benchmarks compare: the hook where padan plugs in.

A system is two functions on FEBRL-shaped ``pandas`` frames (index ``rec_id``, identity
columns only, ``None`` for missing values):

* ``link(left, right) -> set[(left_rec_id, right_rec_id)]``: the predicted links;
* ``dedup(records) -> list[set[rec_id]]``: the predicted clusters (singletons optional).

padan's own pipeline (``benchmarks/padan_system.py``) runs the same code as the CLI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from benchmarks import padan_system, reference_anonlink, reference_splink
from padan.core.schema import DEFAULT_SCHEMA

LinkFunction = Callable[[pd.DataFrame, pd.DataFrame], set[tuple[str, str]]]
DedupFunction = Callable[[pd.DataFrame], list[set[str]]]
# Fresh linkage secrets per padan system and task (median run reported, range kept).
PADAN_SECRETS = 5


@dataclass(frozen=True)
class System:
    """One record-linkage system under test."""

    link: LinkFunction
    dedup: DedupFunction
    description: str
    # Runs per task. padan draws a fresh random linkage secret (and record order) per run,
    # as every real linkage does, and the secret moves a few pairs: such a system is run
    # several times and reported by its median run. The references are deterministic.
    runs: int = 1


SYSTEMS: dict[str, System] = {
    "padan": System(
        *padan_system.system(DEFAULT_SCHEMA),
        description=f"padan default ({DEFAULT_SCHEMA}: coordinator-blind level tokens)",
        runs=PADAN_SECRETS,
    ),
    "anonlink": System(
        link=reference_anonlink.link,
        dedup=reference_anonlink.dedup,
        description="stock clkhash + anonlink, clkhash tutorial schema, greedy solver",
    ),
    "splink": System(
        link=reference_splink.link,
        dedup=reference_splink.dedup,
        description="Splink 5 + DuckDB on plaintext, no SSN, EM-trained",
    ),
}

# Every report lists these columns, null for a system not (yet) registered.
REPORTED = ("padan", "anonlink", "splink")
