"""Reading field values and naming list rows with the leaked list (attack c).

A registry record the joint alignment re-identified takes the listed person's name, sex,
birth date and address; its NIK is rebuilt from public structure (home kecamatan, birth
date with day + 40 for women, serial ``0001``, the most common). A list row is linked to
the registry row with which it shares the most equality values (``MIN_SHARED``, one best)
in columns both packages carry (same secret, same keys: an exact NIK or KK token, block
keys); it is *named* when that registry row is re-identified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from padan.core.types import Record

# padan internals used by the benchmark (kept in one place for the layout refactor).
from padan.owner.features import FIELD_SOURCES
from padan.owner.risk import PackageColumns

MIN_SHARED = 2
MAX_CLASS = 50  # a class larger than this links nothing (it is a common value)
VALUES = {
    "name": FIELD_SOURCES["name"],
    "sex": lambda r: r.sex or "",
    "birth_date": lambda r: r.birth_date.strftime("%d%m%Y") if r.birth_date else "",
    "address": FIELD_SOURCES["address"],
}
"""The fields a re-identified record's value is read from the leaked list."""


def public_nik(record: Record, kecamatan: str) -> str | None:
    """The NIK public structure suggests for a listed person: home kecamatan, birth date
    (day + 40 for women) and serial 0001."""
    if not record.birth_date or not record.sex:
        return None
    day = record.birth_date.day + (40 if record.sex == "P" else 0)
    return f"{kecamatan}{day:02d}{record.birth_date:%m%y}0001"


def decoded_fields(
    claim: np.ndarray, leaked: Sequence[Record], kecamatan: Sequence[str]
) -> dict[str, list[str | None]]:
    """Per field, the value the attacker claims for each package record (None: no claim)."""
    out: dict[str, list[str | None]] = {name: [] for name in (*VALUES, "nik")}
    for c in claim.tolist():
        person = leaked[c] if c >= 0 else None
        for name, source in VALUES.items():
            out[name].append((source(person) or None) if person else None)
        out["nik"].append(public_nik(person, kecamatan[c]) if person else None)
    return out


def link_list_rows(registry: PackageColumns, listed: PackageColumns) -> np.ndarray:
    """For each list row, the registry row it shares the most equality values with
    (at least ``MIN_SHARED``, one best); -1 otherwise."""
    reg = {c.name: c.keys for c in registry.equality}
    rows, cols = [], []
    for column in listed.equality:
        keys = reg.get(column.name)
        if keys is None:
            continue
        values, counts = np.unique(keys[keys != 0], return_counts=True)
        usable = values[counts <= MAX_CLASS]
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        for i in np.flatnonzero(np.isin(column.keys, usable)):
            lo, hi = (
                np.searchsorted(sorted_keys, column.keys[i], side="left"),
                np.searchsorted(sorted_keys, column.keys[i], side="right"),
            )
            rows.extend([i] * (hi - lo))
            cols.extend(order[lo:hi].tolist())
    out = np.full(listed.records, -1, dtype=np.int64)
    if not rows:
        return out
    pairs = np.stack([np.array(rows), np.array(cols)], axis=1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    order = np.lexsort((-counts, unique[:, 0]))
    unique, counts = unique[order], counts[order]
    first = np.flatnonzero(np.r_[True, unique[1:, 0] != unique[:-1, 0]])
    for pos, start in enumerate(first):
        end = first[pos + 1] if pos + 1 < len(first) else len(unique)
        best = counts[start]
        if best >= MIN_SHARED and (end - start == 1 or counts[start + 1] < best):
            out[unique[start, 0]] = unique[start, 1]
    return out
