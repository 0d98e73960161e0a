"""Fellegi–Sunter match weights fitted by EM, without labels.

Each candidate pair is a vector of comparison levels (one per field, -1 = missing). A
two-class latent model (match / non-match, fields conditionally independent) is fitted
by expectation–maximisation: m[f][l] = P(level l | match), u[f][l] = P(level l | non-match)
and the match share λ. A pair's log-odds (bits) are log2(λ/(1-λ)) + Σ_f log2(m/u); the
default decision accepts a pair when its posterior match probability is ≥ 0.5, i.e. the
two-component mixture's own boundary, overridable from the command line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_FLOOR = 1e-6


@dataclass(slots=True)
class FSModel:
    """Fitted m/u probabilities per field and level, and the match share λ."""

    fields: list[str]
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float
    iterations: int

    def bayes_factors_bits(self) -> list[np.ndarray]:
        """log2(m/u) per field and level: the evidence each level carries."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready parameters (aggregate model, no record data) for the report."""
        return {
            "prior": self.prior,
            "iterations": self.iterations,
            "fields": {
                name: {
                    "m": m.round(6).tolist(),
                    "u": u.round(6).tolist(),
                    "bits": np.log2(m / u).round(2).tolist(),
                }
                for name, m, u in zip(self.fields, self.m, self.u, strict=True)
            },
        }


@dataclass(frozen=True, slots=True)
class Patterns:
    """Distinct comparison patterns and how many pairs showed each.

    The EM likelihood and a pair's log-odds depend on its levels vector only, so a
    model fitted on (pattern, count) is exactly the model fitted on every pair, at a
    size set by the schema (≤ Π(levels + 2) patterns), not by the number of pairs.
    Patterns are kept in code order, so equal inputs give bit-identical fits however
    the pairs were split into parts.
    """

    levels: np.ndarray  # (k, fields) int8, -1 = missing
    counts: np.ndarray  # (k,) int64

    @classmethod
    def of(cls, levels: np.ndarray, n_levels: Sequence[int]) -> Patterns:
        """Patterns of per-pair levels."""
        return cls.from_codes(pattern_codes(levels, n_levels), None, n_levels)

    @classmethod
    def from_codes(
        cls, codes: np.ndarray, counts: np.ndarray | None, n_levels: Sequence[int]
    ) -> Patterns:
        """Patterns from pattern codes (one per pair, or distinct codes with ``counts``)."""
        distinct, inverse = np.unique(codes, return_inverse=True)
        weights = None if counts is None else counts.astype(np.float64)
        summed = np.bincount(inverse.reshape(-1), weights, len(distinct))
        return cls(pattern_levels(distinct, n_levels), np.rint(summed).astype(np.int64))

    @classmethod
    def merge(cls, parts: Iterable[Patterns], n_levels: Sequence[int]) -> Patterns:
        """One table from several (counts of equal patterns add up)."""
        return cls.add_up(((pattern_codes(p.levels, n_levels), p.counts) for p in parts), n_levels)

    @classmethod
    def add_up(
        cls, tables: Iterable[tuple[np.ndarray, np.ndarray]], n_levels: Sequence[int]
    ) -> Patterns:
        """One table from several ``(codes, counts)`` tables (counts of equal codes add up)."""
        tables = list(tables)
        if not tables:
            return cls(np.zeros((0, len(n_levels)), dtype=np.int8), np.zeros(0, dtype=np.int64))
        codes, counts = zip(*tables, strict=True)
        return cls.from_codes(np.concatenate(codes), np.concatenate(counts), n_levels)

    def masked(self, columns: Sequence[int], n_levels: Sequence[int]) -> Patterns:
        """The same pairs with ``columns`` treated as missing (patterns merge)."""
        levels = self.levels.copy()
        levels[:, list(columns)] = -1
        return Patterns.merge([Patterns(levels, self.counts)], n_levels)

    @property
    def pairs(self) -> int:
        """Number of pairs counted."""
        return int(self.counts.sum())


def _strides(n_levels: Sequence[int]) -> np.ndarray:
    # Each field takes values -1..k, i.e. k + 2 digits of a mixed-radix number.
    return np.cumprod([1] + [k + 2 for k in n_levels[:-1]]).astype(np.int64)


def pattern_codes(levels: np.ndarray, n_levels: Sequence[int]) -> np.ndarray:
    """One int64 code per levels vector (mixed radix; equal vectors, equal codes)."""
    codes = np.zeros(len(levels), dtype=np.int64)
    for f, stride in enumerate(_strides(n_levels)):
        codes += (levels[:, f].astype(np.int64) + 1) * stride
    return codes


def pattern_space(n_levels: Sequence[int]) -> int:
    """Number of possible pattern codes: every code is below this."""
    return math.prod(k + 2 for k in n_levels)


def pattern_levels(codes: np.ndarray, n_levels: Sequence[int]) -> np.ndarray:
    """The levels vectors of pattern codes (inverse of :func:`pattern_codes`)."""
    out = np.empty((len(codes), len(n_levels)), dtype=np.int8)
    for f, (k, stride) in enumerate(zip(n_levels, _strides(n_levels), strict=True)):
        out[:, f] = (codes // stride) % (k + 2) - 1
    return out


def _field_evidence(levels: np.ndarray, probs: list[np.ndarray]) -> np.ndarray:
    """Σ_f log(p_f[level]) per pair, skipping missing fields."""
    total = np.zeros(len(levels))
    for f, p in enumerate(probs):
        col = levels[:, f]
        present = col >= 0
        total[present] += np.log(p[col[present]])
    return total


def _normalised(counts: np.ndarray) -> np.ndarray:
    counts = np.maximum(counts, _FLOOR)
    return counts / counts.sum()


def level_frequencies(
    levels: np.ndarray, n_levels: list[int], weights: np.ndarray | None = None
) -> list[np.ndarray]:
    """Observed level distribution per field (missing skipped), smoothed to avoid zeros.

    On random record pairs, which are almost all non-matches, this is the u estimate;
    ``weights`` (e.g. each pair's non-match posterior) count pairs partially.
    """
    w = np.ones(len(levels)) if weights is None else weights
    out = []
    for f, k in enumerate(n_levels):
        col = levels[:, f]
        present = col >= 0
        out.append(_normalised(np.bincount(col[present], w[present], k + 1)[: k + 1] + 1.0))
    return out


def non_match_frequencies(
    levels: np.ndarray,
    n_levels: list[int],
    model: FSModel,
    weights: np.ndarray | None = None,
) -> list[np.ndarray]:
    """u from random pairs with the matches among them weighed out by ``model``.

    When almost every record has a partner (FEBRL, a registry covering a whole city),
    the matches in a random sample outnumber the chance agreements at the best levels
    and make full agreement look common; weighing each pair by its non-match posterior
    restores the weight of an exact agreement. ``weights`` count each row (pattern counts).
    """
    non_match = 1.0 - probability(log_odds_bits(levels, model))
    return level_frequencies(
        levels, n_levels, non_match if weights is None else non_match * weights
    )


def fit_em(
    levels: np.ndarray,
    n_levels: list[int],
    fields: list[str],
    *,
    u: list[np.ndarray],
    prior: float,
    weights: np.ndarray | None = None,
    m: list[np.ndarray] | None = None,
    fit_m: bool = True,
    total_pairs: float | None = None,
    iterations: int = 40,
    tolerance: float = 1e-7,
) -> FSModel:
    """Fit m and λ (and keep u fixed) to the comparison levels of the candidate pairs.

    ``u`` comes from random pairs (:func:`level_frequencies`): blocking makes candidate
    pairs mostly matches in clean data, so u cannot be learnt from them. ``m`` starts
    from a geometric fall-off from the best level unless given; with ``fit_m=False``
    only λ is fitted. With ``total_pairs`` (all pairs blocking chose from, e.g. n_a·n_b),
    λ is the probability that two *random* records match — the scale on which u, taken
    from random pairs, is right — estimated as Σ posterior / total_pairs (all matches are
    assumed to be among the candidates). Without it, λ is the share within ``levels``.
    ``weights`` counts each row several times: fitting on :class:`Patterns` (distinct
    levels and their counts) equals fitting on every pair, at a fraction of the cost.
    """
    w = np.ones(len(levels)) if weights is None else np.asarray(weights, dtype=np.float64)
    if m is None:
        m = [_normalised(0.2 ** np.arange(k + 1)) for k in n_levels]
    lam = float(np.clip(prior, 1e-15, 0.5))
    log_u = _field_evidence(levels, u)
    done = 0
    for step in range(1, iterations + 1):
        done = step
        logit = np.log(lam) - np.log1p(-lam) + _field_evidence(levels, m) - log_u
        post = w / (1.0 + np.exp(-np.clip(logit, -700, 700)))  # expected matches per row
        new_m = m
        if fit_m:
            new_m = []
            for f, k in enumerate(n_levels):
                col = levels[:, f]
                present = col >= 0
                new_m.append(_normalised(np.bincount(col[present], post[present], k + 1)))
        share = post.sum() / (total_pairs if total_pairs else w.sum())
        new_lam = float(np.clip(share, 1e-15, 1 - 1e-9))
        shift = max(
            [abs(np.log(new_lam / lam))]
            + [float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)]
        )
        m, lam = new_m, new_lam
        if shift < tolerance:
            break
    return FSModel(fields, m, u, lam, done)


def log_odds_bits(
    levels: np.ndarray, model: FSModel, correlated: Sequence[Sequence[int]] = ()
) -> np.ndarray:
    """Posterior log-odds of a match, in bits, for every pair.

    Fields in one ``correlated`` group (e.g. KK and address: one family shares both)
    are not independent evidence: the group contributes its strongest agreement once,
    not the sum, so a household's fields cannot outvote a disagreeing birth date. A
    group with no agreeing field contributes the sum of its disagreements.
    """
    grouped = {f for group in correlated for f in group}
    evidence = np.zeros(len(levels))
    for f in range(len(model.m)):
        if f not in grouped:
            evidence += _field_ratio(levels[:, f], model.m[f], model.u[f])
    for group in correlated:
        ratios = [_field_ratio(levels[:, f], model.m[f], model.u[f]) for f in group]
        best = np.maximum.reduce(ratios)
        evidence += np.where(best > 0, best, np.add.reduce(ratios))
    return (np.log(model.prior) - np.log1p(-model.prior) + evidence) / np.log(2)


def _field_ratio(col: np.ndarray, m: np.ndarray, u: np.ndarray) -> np.ndarray:
    """log(m/u) of each pair's level of one field; 0 where the field is missing."""
    ratio = np.log(m / u)
    return np.where(col >= 0, ratio[np.maximum(col, 0)], 0.0)


def probability(bits: np.ndarray | float) -> np.ndarray:
    """Posterior match probability from log-odds in bits."""
    return 1.0 / (1.0 + np.exp2(-np.asarray(bits, dtype=float)))
