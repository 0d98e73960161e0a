"""List ↔ registry linkage: the best registry person for every list row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from padan.formats.records import RecordsTable
from padan.link.assignment import Links, best_links
from padan.link.outcome import Stage, stage_of
from padan.link.pairing import Comparer, score_pairs
from padan.link.training import LinkFit, decision_settings


def link_lists(
    lists: Sequence[RecordsTable],
    fitted: LinkFit,
    person: np.ndarray,
    schema: Mapping[str, Any],
    threshold_bits: float,
) -> tuple[list[Links], Stage]:
    """Best registry person per list row under the fitted link model.

    Only pairs reaching the threshold can be chosen or make a choice ambiguous (the
    runner-up must reach it too), so scoring returns those pairs only.
    """
    scored = score_pairs(fitted.counts, schema, fitted.model, threshold_bits)
    margin = decision_settings(schema)["ambiguity_margin_bits"]
    links, start = [], 0
    for table in lists:
        lo, hi = np.searchsorted(scored.i, [start, start + len(table)])
        links.append(
            best_links(
                scored.i[lo:hi] - start,
                scored.j[lo:hi],
                scored.bits[lo:hi],
                person,
                len(table),
                threshold_bits=threshold_bits,
                margin_bits=margin,
            )
        )
        start += len(table)
    accepted = sum(int((lk.registry_index >= 0).sum()) for lk in links)
    counts = fitted.counts
    return links, stage_of(
        Comparer(schema), fitted.model, counts.candidates, counts.stats, accepted
    )
