"""Registry deduplication: cluster registry records that are one person (NIK ganda)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from padan.formats.records import RecordsTable
from padan.link.assignment import clusters
from padan.link.model import FSModel, fit_em, level_frequencies
from padan.link.outcome import Stage, stage_of
from padan.link.pairing import (
    Comparer,
    LocalRunner,
    PairRunner,
    SampleSide,
    count_pairs,
    plan_pairs,
    score_pairs,
)
from padan.link.training import train_m


@dataclass(frozen=True, slots=True)
class Duplicates:
    """Registry clusters: ``person`` (a cluster id per record, pairs at the threshold) and
    ``confident`` (the same from pairs reaching ``action_bits`` only)."""

    person: np.ndarray
    confident: np.ndarray

    def unsure(self) -> np.ndarray:
        """Records of a multi-record person that no confident pair joins to another."""
        n = len(self.person)
        size = np.bincount(self.person, minlength=n)[self.person]
        sure = np.bincount(self.confident, minlength=n)[self.confident]
        return (size > 1) & (sure < 2)


def deduplicate_registry(
    registry: RecordsTable,
    comparer: Comparer,
    threshold_bits: float,
    link_model: FSModel | None,
    runner: PairRunner | None = None,
) -> tuple[Duplicates, Stage]:
    """Cluster registry records that are one person (NIK ganda); return person ids.

    With a link model, its m probabilities are reused and only the share of duplicates
    is fitted: within one registry a NIK-ganda pair differs by design in NIK, KK and
    address (another region, another family card), so those fields are left out.
    Without one (a registry alone), m is fitted on the registry's own pairs.

    People are the clusters of pairs reaching the threshold; a registry record is
    marked ``GANDA`` (Disdukcapil acts on it) only where pairs reaching the action bar
    (``action_bits``) join it to another record (see :class:`Duplicates`).
    """
    runner = runner or LocalRunner()
    plan = plan_pairs([registry], None, comparer.schema)
    counts = count_pairs(plan, runner, comparer)
    if counts.candidates.pairs == 0:
        none, alone = np.zeros(0), np.arange(len(registry))
        return Duplicates(alone, alone), Stage(
            FSModel([], [], [], 0.0, 0), counts.stats, none, none.astype(np.int64), 0
        )
    sample = SampleSide.of([registry], comparer.schema.scoped_token_bytes)
    u = level_frequencies(comparer.random_pair_levels(sample), comparer.n_levels)
    total = len(registry) * (len(registry) - 1) / 2
    prior = 0.01 * len(registry) / total
    ignored: list[int] = []
    candidates = counts.candidates
    if link_model is None:
        m = train_m(comparer, counts.per_key, u)
        # u stays as sampled here: weighing the matches out (as for links) makes
        # exact agreement so strong that single wrong pairs merge whole clusters
        # (FEBRL3: cluster F1 0.996 → 0.991).
    else:
        m = link_model.m
        ignored = [comparer.fields.index(f) for f in comparer.schema.decision.dedup_ignore_fields]
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
    accepted = score_pairs(counts, comparer, model, threshold_bits, ignored)
    person = clusters(len(registry), accepted.i, accepted.j)
    sure = accepted.bits >= comparer.schema.decision.action_bits
    confident = clusters(len(registry), accepted.i[sure], accepted.j[sure])
    stage = stage_of(comparer, model, candidates, counts.stats, len(accepted.i))
    return Duplicates(person, confident), stage
