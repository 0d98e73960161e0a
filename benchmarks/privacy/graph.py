"""Graph matching on field similarities (attack d, after Vidanage, Christen, Ranbaduge &
Schnell, CIKM 2020), simplified.

On a sample of registry records and the same people's rows of the leaked list (full
overlap, the paper's best case for the attacker): a similarity graph of the encoded
records (Dice of one filter field) and one of the plaintext values (Dice of their
q-gram sets, with the field's public tokeniser). The two scales differ, so each graph's
edges are cut at the same *quantiles* of its own similarities. Node features: degree at
each cut, the number of identical values (similarity 1) and the mean of the top
similarities; the nodes are matched by minimum-cost assignment on feature distance.
A record is re-identified when it is matched to its own person.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from clkhash.schema import from_json_dict
from scipy.optimize import linear_sum_assignment

from benchmarks.privacy.v1 import filter_specs
from padan.core.types import Record

# padan internals used by the benchmark (kept in one place for the layout refactor).
from padan.owner.features import FIELD_SOURCES
from padan.owner.risk import PackageColumns

SAMPLE = 1500
QUANTILES = (0.99, 0.995, 0.999, 0.9995)
TOP = 5


def _dice(a: np.ndarray) -> np.ndarray:
    """All-pairs Dice of the rows of a 0/1 matrix."""
    a = a.astype(np.float32)
    inter = a @ a.T
    sizes = a.sum(1)
    return 2 * inter / np.maximum(sizes[:, None] + sizes[None, :], 1)


def _features(sim: np.ndarray) -> np.ndarray:
    np.fill_diagonal(sim, -1)
    off = sim[~np.eye(len(sim), dtype=bool)]
    cuts = np.quantile(off, QUANTILES)
    degrees = [(sim >= c).sum(1) for c in cuts]
    top = -np.sort(-sim, axis=1)[:, :TOP].mean(1)
    identical = (sim >= 0.9999).sum(1)
    feats = np.stack([*degrees, identical], axis=1).astype(np.float32)
    feats = np.log1p(feats)
    top_rank = np.argsort(np.argsort(top)) / max(len(top) - 1, 1)
    return np.concatenate([feats, top_rank[:, None]], axis=1)


def graph_match(
    columns: PackageColumns,
    schema: dict[str, Any],
    records: Sequence[Record],
    *,
    seed: int = 1,
) -> dict[str, float]:
    """Per text filter field whose value a leaked list could hold: share of sampled
    records matched to their own person."""
    specs = {s["name"]: s for s in filter_specs(schema) if "clkhash" in s}
    rng = np.random.default_rng(seed)
    out = {}
    for column in columns.filters:
        spec = specs[column.name]
        source = FIELD_SOURCES.get(spec["source"])
        if column.positional or source is None:
            continue
        rows = np.flatnonzero([bool(source(r)) for r in records])
        if len(rows) < 10:
            continue
        rows = rng.permutation(rows)[:SAMPLE]
        encoded = np.unpackbits(column.words[rows].view(np.uint8), axis=1)
        field = from_json_dict(copy.deepcopy(spec["clkhash"])).fields[0]
        fhp = field.hashing_properties
        grams = [set(fhp.comparator.tokenize(field.format_value(source(records[i])))) for i in rows]
        vocab = {g: j for j, g in enumerate(sorted(set().union(*grams)))}
        plain = np.zeros((len(rows), len(vocab)), dtype=np.uint8)
        for i, gs in enumerate(grams):
            plain[i, [vocab[g] for g in gs]] = 1
        # The plaintext side in its own (shuffled) order, as a leaked list would be.
        shuffle = rng.permutation(len(rows))
        fe, fp = _features(_dice(encoded)), _features(_dice(plain[shuffle]))
        cost = ((fe[:, None, :] - fp[None, :, :]) ** 2).sum(2)
        left, right = linear_sum_assignment(cost)
        out[column.name] = float((shuffle[right] == left).mean())
    return out
