"""Training: fit the Fellegi–Sunter model of list ↔ registry pairs without labels.

m is trained by EM one blocking key at a time (as Splink does), u comes from random
pairs, and the share of matches is fitted last with m fixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from padan.formats.records import RecordsTable
from padan.link.model import FSModel, Patterns, fit_em, level_frequencies, non_match_frequencies
from padan.link.pairing import (
    Comparer,
    LocalRunner,
    PairCounts,
    PairRunner,
    Side,
    count_pairs,
    plan_pairs,
)


def decision_settings(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The linkage schema's decision settings (EM, thresholds, confidence bands)."""
    return schema["decision"]


def train_m(
    comparer: Comparer,
    per_key: Mapping[str, Patterns],
    u: list[np.ndarray],
    schema: Mapping[str, Any],
    ignore: Sequence[str] = (),
) -> list[np.ndarray]:
    """m probabilities by EM, one blocking key at a time, as Splink trains them.

    Pairs that share a key agree on the fields that key is made of whatever their
    match status, so those fields are masked in that key's EM run; each field's m is
    the mean over the runs that could see it. u stays fixed (random pairs). Each run
    sees all of its key's pairs, as pattern counts.
    """
    estimates: list[list[np.ndarray]] = [[] for _ in comparer.fields]
    for key, involved in schema["blocking"]["involves"].items():
        if key not in per_key or per_key[key].pairs < 50:
            continue
        masked = [comparer.fields.index(f) for f in (*involved, *ignore)]
        patterns = per_key[key].masked(masked, comparer.n_levels)
        model = fit_em(
            patterns.levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            prior=0.1,
            weights=patterns.counts,
            iterations=comparer.iterations,
        )
        for f in range(len(comparer.fields)):
            if f not in masked:
                estimates[f].append(model.m[f])
    default = [0.2 ** np.arange(k + 1) for k in comparer.n_levels]
    return [
        np.mean(est, axis=0) if est else default[f] / default[f].sum()
        for f, est in enumerate(estimates)
    ]


def fit_share(
    comparer: Comparer,
    candidates: Patterns,
    random_pairs: Patterns,
    m: list[np.ndarray],
    prior: float,
    total: float,
) -> FSModel:
    """Fit λ with m fixed, then again with the matches among the random pairs weighed
    out of u (see :func:`padan.link.model.non_match_frequencies`).

    Fields a household shares keep the raw u: a stronger exact agreement there would
    link a baby listed under the mother's name to the mother.
    """
    raw = level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts)
    u = raw
    for _ in range(2):
        model = fit_em(
            candidates.levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            m=m,
            fit_m=False,
            prior=prior,
            weights=candidates.counts,
            total_pairs=total,
            iterations=comparer.iterations,
        )
        cleaned = non_match_frequencies(
            random_pairs.levels, comparer.n_levels, model, random_pairs.counts
        )
        u = [raw[f] if f in comparer.household else c for f, c in enumerate(cleaned)]
        prior = model.prior
    return model


@dataclass(slots=True)
class LinkFit:
    """The lists ↔ registry compared pairs and their counts, and the fitted model."""

    counts: PairCounts
    model: FSModel


def fit_link(
    registry: RecordsTable,
    lists: Sequence[RecordsTable],
    schema: Mapping[str, Any],
    runner: PairRunner | None = None,
) -> LinkFit:
    """Block and compare every list with the registry; fit one Fellegi–Sunter model."""
    comparer = Comparer(schema)
    plan = plan_pairs(lists, registry, list(registry.blocks), schema["blocking"]["max_block_pairs"])
    counts = count_pairs(plan, runner or LocalRunner(), schema)
    a, b = plan.a.side(), Side.of(registry)
    random_pairs = Patterns.of(comparer.random_pair_levels(a, b), comparer.n_levels)
    u = level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts)
    m = train_m(comparer, counts.per_key, u, schema)
    n_list = len(plan.a.index)
    total = float(n_list) * len(registry)
    prior = min(n_list, len(registry)) / total
    model = fit_share(comparer, counts.candidates, random_pairs, m, prior, total)
    return LinkFit(counts, model)
