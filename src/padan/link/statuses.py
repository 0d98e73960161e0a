"""Statuses, match ids, duplicate groups and confidence bands of every record.

Pure rules over the decisions (links, person clusters, exact NIK/KK tokens); the
status codes and their meaning are in DESIGN.md and :class:`padan.core.types.Status`.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from padan.core.types import Confidence, Status
from padan.formats.records import RecordsTable
from padan.formats.result import ResultRows
from padan.link.assignment import Links
from padan.link.training import decision_settings
from padan.link.verify import LoadedPackage


class MatchIds:
    """Random identifiers for match ids and duplicate groups (seeded when asked)."""

    def __init__(self, seed: int | None):
        self._rng: random.Random = (
            random.Random(seed) if seed is not None else secrets.SystemRandom()
        )
        self._used: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            value = f"{prefix}{self._rng.getrandbits(40):010x}"
            if value not in self._used:
                self._used.add(value)
                return value


def confidence_bands(bits: np.ndarray, schema: Mapping[str, Any]) -> np.ndarray:
    """Confidence band (object array of :class:`Confidence`) of each log-odds value."""
    cuts = decision_settings(schema)["confidence_bits"]
    bands = np.array([Confidence.TINGGI, Confidence.SEDANG, Confidence.RENDAH], dtype=object)
    return bands[np.where(bits >= cuts["TINGGI"], 0, np.where(bits >= cuts["SEDANG"], 1, 2))]


def object_column(n: int, fill: Any = None) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = fill
    return out


class NikOwners:
    """Which registry person holds a NIK token (a sorted lookup, not a 700k-entry dict)."""

    def __init__(self, reg_nik: np.ndarray, person: np.ndarray):
        held = np.flatnonzero(reg_nik)
        # Stable sort, last record of a repeated token wins (as a dict built in order would).
        order = held[np.argsort(reg_nik[held], kind="stable")]
        tokens = reg_nik[order]
        last = np.r_[tokens[1:] != tokens[:-1], True][: len(tokens)]
        self.tokens, self.person = tokens[last], person[order[last]]

    def owner(self, nik: np.ndarray) -> np.ndarray:
        """Person holding each token; -1 where missing (0) or not in the registry."""
        if not len(self.tokens):
            return np.full(len(nik), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.tokens, nik), len(self.tokens) - 1)
        found = (nik != 0) & (self.tokens[at] == nik)
        return np.where(found, self.person[at], -1)


def list_status(
    nik: np.ndarray,
    kk: np.ndarray,
    links: Links,
    person: np.ndarray,
    owners: NikOwners,
    reg_kk: np.ndarray,
) -> np.ndarray:
    """Status (object array of :class:`Status`) of every row of one list."""
    target = links.registry_index
    linked = target >= 0
    who = np.full(len(target), -1, dtype=np.int64)
    who[linked] = person[target[linked]]
    target_kk = np.zeros(len(target), dtype=reg_kk.dtype)
    target_kk[linked] = reg_kk[target[linked]]
    owner = owners.owner(nik)
    foreign = (owner >= 0) & (owner != who)  # the row's NIK is another person's
    sure = linked & ~links.ambiguous
    status = object_column(len(target), Status.TIDAK_DITEMUKAN)
    # Later assignments take precedence over earlier ones.
    status[~linked & (owner >= 0)] = Status.NIK_MILIK_ORANG_LAIN
    status[sure] = Status.COCOK
    status[sure & (kk != 0) & (target_kk != 0) & (kk != target_kk)] = Status.KK_BERBEDA
    status[sure & foreign] = Status.NIK_MILIK_ORANG_LAIN
    status[sure & (owner < 0)] = Status.NIK_BERBEDA
    # Unsure who the row is, but sure its NIK is someone else's: say so.
    status[linked & links.ambiguous] = Status.RAGU
    status[linked & links.ambiguous & foreign] = Status.NIK_MILIK_ORANG_LAIN
    return status


def _ids_by_person(
    registry: RecordsTable, person: np.ndarray, linked: np.ndarray, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Duplicate-group ids (people with several records) and match ids (linked people).

    Ids are handed out in record-id order, so a seeded run is reproducible.
    """
    ids = MatchIds(seed)
    sizes = np.bincount(person, minlength=len(registry))
    # Record ids as two big-endian words sort like the bytes do.
    words = np.ascontiguousarray(registry.record_id).view(">u8")
    seen = person[np.lexsort((words[:, 1], words[:, 0]))]
    _, first = np.unique(seen, return_index=True)
    dup_group, match_id = object_column(len(registry)), object_column(len(registry))
    for who in seen[np.sort(first)].tolist():
        if sizes[who] > 1:
            dup_group[who] = ids.new("G")
        if linked[who]:
            match_id[who] = ids.new("M")
    return dup_group, match_id


def result_rows(
    registry_pkg: LoadedPackage,
    list_pkgs: Sequence[LoadedPackage],
    links: Sequence[Links],
    person: np.ndarray,
    schema: Mapping[str, Any],
    seed: int | None,
) -> dict[str, ResultRows]:
    """Every record's status, ids and confidence band, as columns per package."""
    registry = registry_pkg.table
    linked = np.zeros(len(registry), dtype=bool)  # per person: a list row is surely theirs
    for lk in links:
        linked[person[lk.registry_index[(lk.registry_index >= 0) & ~lk.ambiguous]]] = True
    dup_group, match_id = _ids_by_person(registry, person, linked, seed)

    reg_kk = registry.token_key("kk")
    owners = NikOwners(registry.token_key("nik"), person)
    rows: dict[str, ResultRows] = {}
    reg_matched_same_nik = np.zeros(len(registry), dtype=bool)
    reg_best_bits = np.full(len(registry), -np.inf)
    for pkg, lk in zip(list_pkgs, links, strict=True):
        table = pkg.table
        status = list_status(
            table.token_key("nik"), table.token_key("kk"), lk, person, owners, reg_kk
        )
        sure = np.flatnonzero((lk.registry_index >= 0) & ~lk.ambiguous)
        target = lk.registry_index[sure]
        who = person[target]
        same_nik = (status[sure] == Status.COCOK) | (status[sure] == Status.KK_BERBEDA)
        reg_matched_same_nik[target[same_nik]] = True
        np.maximum.at(reg_best_bits, target, lk.bits[sure])
        list_match, list_dup = object_column(len(table)), object_column(len(table))
        list_match[sure], list_dup[sure] = match_id[who], dup_group[who]
        confidence = object_column(len(table))
        confidence[sure] = confidence_bands(lk.bits[sure], schema)
        confidence[(lk.registry_index >= 0) & lk.ambiguous] = Confidence.RENDAH
        rows[str(pkg.path)] = ResultRows(table.record_id, status, list_match, list_dup, confidence)

    reg_linked = linked[person]
    status = object_column(len(registry), Status.NIK_BERBEDA)
    status[reg_linked & reg_matched_same_nik] = Status.COCOK
    status[~reg_linked] = Status.TIDAK_DITEMUKAN
    status[np.bincount(person, minlength=len(registry))[person] > 1] = Status.GANDA
    confidence = object_column(len(registry))
    banded = reg_linked & np.isfinite(reg_best_bits)
    confidence[banded] = confidence_bands(reg_best_bits[banded], schema)
    rows[str(registry_pkg.path)] = ResultRows(
        registry.record_id, status, match_id[person], dup_group[person], confidence
    )
    return rows
