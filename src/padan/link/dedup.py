"""Registry deduplication: cluster registry records that are one person (NIK ganda)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from padan.formats.records import RecordsTable
from padan.link.assignment import clusters
from padan.link.model import FSModel, fit_em, level_frequencies
from padan.link.outcome import Stage, stage_of
from padan.link.pairing import (
    Comparer,
    LocalRunner,
    PairRunner,
    count_pairs,
    plan_pairs,
    score_pairs,
)
from padan.link.training import decision_settings, train_m


def deduplicate_registry(
    registry: RecordsTable,
    schema: Mapping[str, Any],
    threshold_bits: float,
    link_model: FSModel | None,
    runner: PairRunner | None = None,
) -> tuple[np.ndarray, Stage]:
    """Cluster registry records that are one person (NIK ganda); return person ids.

    With a link model, its m probabilities are reused and only the share of duplicates
    is fitted: within one registry a NIK-ganda pair differs by design in NIK, KK and
    address (another region, another family card), so those fields are left out.
    Without one (a registry alone), m is fitted on the registry's own pairs.
    """
    runner = runner or LocalRunner()
    comparer = Comparer(schema)
    plan = plan_pairs(
        [registry], None, list(registry.blocks), schema["blocking"]["max_block_pairs"]
    )
    counts = count_pairs(plan, runner, schema)
    if counts.candidates.pairs == 0:
        none = np.zeros(0)
        return np.arange(len(registry)), Stage(
            FSModel([], [], [], 0.0, 0), counts.stats, none, none.astype(np.int64), 0
        )
    a = plan.a.side()
    u = level_frequencies(comparer.random_pair_levels(a, a), comparer.n_levels)
    total = len(registry) * (len(registry) - 1) / 2
    prior = 0.01 * len(registry) / total
    ignored: list[int] = []
    candidates = counts.candidates
    if link_model is None:
        m = train_m(comparer, counts.per_key, u, schema)
        # u stays as sampled here: weighing the matches out (as for links) makes
        # exact agreement so strong that single wrong pairs merge whole clusters
        # (FEBRL3: cluster F1 0.996 → 0.991).
    else:
        m = link_model.m
        ignored = [
            comparer.fields.index(f) for f in decision_settings(schema)["dedup_ignore_fields"]
        ]
        candidates = candidates.masked(ignored, comparer.n_levels)
    model = fit_em(
        candidates.levels,
        comparer.n_levels,
        comparer.fields,
        u=u,
        prior=prior,
        weights=candidates.counts,
        m=m,
        fit_m=False,
        total_pairs=total,
        iterations=comparer.iterations,
    )
    accepted = score_pairs(counts, schema, model, threshold_bits, ignored)
    person = clusters(len(registry), accepted.i, accepted.j)
    return person, stage_of(comparer, model, candidates, counts.stats, len(accepted.i))
