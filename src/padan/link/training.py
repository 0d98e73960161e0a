"""Training: fit the Fellegi–Sunter model of list ↔ registry pairs without labels.

m is trained by EM one blocking key at a time (as Splink does), u of filter fields comes
from random pairs, and the share of matches is fitted last with m fixed. Token fields
(birth date, NIK, No. KK) compare only inside a block (their level tokens are bound to
it), so random pairs cannot show their u: it is learnt by the same per-key EM runs from
the non-matches inside blocks of keys that do not force that field to agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


@dataclass(slots=True)
class Trained:
    """m of every field and u of the token fields, from the per-key EM runs."""

    m: list[np.ndarray]
    u: list[np.ndarray]  # filter fields: as given (random pairs); token fields: learnt

    def with_u(self, filter_u: Sequence[np.ndarray], comparer: Comparer) -> list[np.ndarray]:
        """u of every field: ``filter_u`` for filter fields, the learnt u for token fields."""
        return [
            self.u[f] if f in comparer.token_fields else filter_u[f]
            for f in range(len(comparer.fields))
        ]


def _token_u_start(comparer: Comparer) -> list[np.ndarray]:
    # Where no run could see a token field: agreement rare among non-matches.
    return [(0.01 / 4) ** (k - np.arange(k + 1)) for k in comparer.n_levels]


def train_m(
    comparer: Comparer,
    per_key: Mapping[str, Patterns],
    u: list[np.ndarray],
    ignore: Sequence[str] = (),
) -> Trained:
    """m probabilities by EM, one blocking key at a time, as Splink trains them.

    Pairs that share a key agree on the fields that key is made of whatever their
    match status, so those fields are masked in that key's EM run; each field's m is
    the mean over the runs that could see it. u of filter fields stays fixed (random
    pairs); u of token fields is fitted in the same runs (see the module docstring) and
    averaged the same way. Each run sees all of its key's pairs, as pattern counts.
    """
    fields, schema = comparer.fields, comparer.schema
    start = _token_u_start(comparer)
    u = [start[f] / start[f].sum() if f in comparer.token_fields else u[f] for f in range(len(u))]
    m_runs: list[list[np.ndarray]] = [[] for _ in fields]
    u_runs: list[list[np.ndarray]] = [[] for _ in fields]
    for key, involved in schema.blocking.involves.items():
        if key not in per_key or per_key[key].pairs < 50:
            continue
        masked = [fields.index(f) for f in (*involved, *ignore)]
        patterns = per_key[key].masked(masked, comparer.n_levels)
        learnt = [f for f in comparer.token_fields if f not in masked]
        model = fit_em(
            patterns.levels,
            comparer.n_levels,
            list(fields),
            u=u,
            prior=0.1,
            weights=patterns.counts,
            iterations=comparer.iterations,
            fit_u=learnt,
        )
        for f in range(len(fields)):
            if f not in masked:
                m_runs[f].append(model.m[f])
        for f in learnt:
            u_runs[f].append(model.u[f])
    default = [0.2 ** np.arange(k + 1) for k in comparer.n_levels]
    m = [
        np.mean(est, axis=0) if est else default[f] / default[f].sum()
        for f, est in enumerate(m_runs)
    ]
    return Trained(m, [np.mean(est, axis=0) if est else u[f] for f, est in enumerate(u_runs)])


def fit_share(
    comparer: Comparer,
    candidates: Patterns,
    random_pairs: Patterns,
    trained: Trained,
    prior: float,
    total: float,
) -> FSModel:
    """Fit λ with m fixed, then again with the matches among the random pairs weighed
    out of u (see :func:`padan.link.model.non_match_frequencies`).

    Fields a household shares keep the raw u: a stronger exact agreement there would
    link a baby listed under the mother's name to the mother.
    """
    raw = trained.with_u(
        level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts), comparer
    )
    u, m = raw, trained.m
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
        u = trained.with_u(
            [raw[f] if f in comparer.household else c for f, c in enumerate(cleaned)], comparer
        )
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
    comparer: Comparer,
    runner: PairRunner | None = None,
) -> LinkFit:
    """Block and compare every list with the registry; fit one Fellegi–Sunter model."""
    plan = plan_pairs(lists, registry, comparer.schema)
    counts = count_pairs(plan, runner or LocalRunner(), comparer)
    a, b = plan.a.side(), Side.of(registry)
    random_pairs = Patterns.of(comparer.random_pair_levels(a, b), comparer.n_levels)
    u = level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts)
    trained = train_m(comparer, counts.per_key, u)
    n_list = len(plan.a.index)
    total = float(n_list) * len(registry)
    prior = min(n_list, len(registry)) / total
    model = fit_share(comparer, counts.candidates, random_pairs, trained, prior, total)
    return LinkFit(counts, model)
