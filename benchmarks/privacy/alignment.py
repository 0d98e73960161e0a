"""Frequency alignment of equality columns, one by one and jointly (attack b).

The attacker knows the public schema and code, so for every equality column whose input
the leaked list holds it computes the *plaintext* key of each listed person (e.g. birth
date + name initials for ``block_birth_ym_name``, the name itself for ``filter_name``).
Equal keyed values form classes in the package, equal plaintext keys classes in the list;
their sizes are compared:

* **per column**: a package class whose size no other package class has, aligned with
  the one plaintext class of that size, tells its records' key;
* **jointly**: each record's *signature* (its class size in every column) against each
  listed person's; a signature that one record and one person share re-identifies the
  record. Each re-identification then maps the record's classes to the person's; a
  record whose mapped classes leave one candidate person is re-identified too, and the
  mapping grows (``ROUNDS`` rounds).

Columns without a plaintext counterpart (e.g. scoped slots of another schema, whose
keys the running code cannot compute) still count in the package-side statistics of
``padan.owner.risk`` but not here.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# padan internals used by the benchmark (kept in one place for the layout refactor).
from benchmarks.privacy.v1 import SALT_SOURCES, filter_specs
from padan.core.types import Record
from padan.owner.features import BLOCK_SOURCES, FIELD_SOURCES, token_values
from padan.owner.risk import EqualityColumn, PackageColumns, class_sizes

ROUNDS = 3


def _plain_source(
    column: EqualityColumn, schema: dict[str, Any]
) -> Callable[[Record], str | None] | None:
    """The public code that computes a column's plaintext key, if this code has it."""
    rest = column.name.partition("_")[2]
    if column.kind == "block":
        return BLOCK_SOURCES.get(rest)
    if column.kind == "salt":
        return SALT_SOURCES.get(rest)
    if column.kind == "token":
        return lambda r: token_values(r).get(rest)
    if column.kind == "filter":
        spec = next((s for s in filter_specs(schema) if s["name"] == rest), None)
        source = FIELD_SOURCES.get(spec["source"]) if spec else None
        if source is None:
            return None
        salt = SALT_SOURCES.get(spec.get("salt") or "")
        return lambda r: (source(r) or None) and f"{source(r)}|{salt(r) if salt else ''}"
    return None


def _factorise(values: Sequence[str | None]) -> np.ndarray:
    """Plaintext keys → uint64 class ids, the same id for the same value in any list."""
    ids: dict[str, int] = {}
    for v in set(values) - {None}:
        ids[v] = int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little") or 1
    return np.array([0 if v is None else ids[v] for v in values], dtype=np.uint64)


def plain_columns(
    columns: PackageColumns, schema: dict[str, Any], records: Sequence[Record]
) -> dict[str, np.ndarray]:
    """Plaintext class ids (0 = missing) per column the attacker can compute on ``records``;
    a column no record has a value for (e.g. a NIK key on a list without NIKs) is left out."""
    out = {}
    for column in columns.equality:
        source = _plain_source(column, schema)
        if source is None:
            continue
        keys = _factorise([source(r) for r in records])
        if keys.any():
            out[column.name] = keys
    return out


def _unique_size_alignment(enc: np.ndarray, plain: np.ndarray) -> dict[int, int]:
    """Package class → plaintext class, where a class size is unique on both sides."""
    e_classes, e_sizes = np.unique(enc[enc != 0], return_counts=True)
    p_classes, p_sizes = np.unique(plain[plain != 0], return_counts=True)
    e_count, p_count = Counter(e_sizes.tolist()), Counter(p_sizes.tolist())
    p_by_size = {s: c for c, s in zip(p_classes.tolist(), p_sizes.tolist(), strict=True)}
    return {
        c: p_by_size[s]
        for c, s in zip(e_classes.tolist(), e_sizes.tolist(), strict=True)
        if e_count[s] == 1 and p_count.get(s) == 1
    }


def align_columns(
    enc: dict[str, np.ndarray], plain: dict[str, np.ndarray], truth: dict[str, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Per column: share of records whose key class-size alignment recovers, and its
    precision. ``truth`` holds each package record's own plaintext class id."""
    out = {}
    for name, keys in enc.items():
        mapping = _unique_size_alignment(keys, plain[name])
        claimed = np.array([mapping.get(int(k), 0) for k in keys], dtype=np.uint64)
        has = claimed != 0
        right = has & (claimed == truth[name])
        n = max(int((keys != 0).sum()), 1)
        out[name] = {
            "classes": len(np.unique(keys[keys != 0])),
            "decoded": float(right.sum() / n),
            "precision": float(right.sum() / max(int(has.sum()), 1)),
        }
    return out


def _signatures(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One uint64 per row: a hash of its class sizes over ``columns``."""
    sig = np.zeros(len(columns[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for keys in columns:
            sig = sig * np.uint64(1_000_003) + class_sizes(keys).astype(np.uint64)
    return sig


def _unique_matches(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For each left row, the right row with the same value when that value is unique on
    both sides; -1 otherwise."""
    lv, li, lc = np.unique(left, return_index=True, return_counts=True)
    rv, ri, rc = np.unique(right, return_index=True, return_counts=True)
    _, lpos, rpos = np.intersect1d(lv, rv, return_indices=True)
    keep = (lc[lpos] == 1) & (rc[rpos] == 1)
    out = np.full(len(left), -1, dtype=np.int64)
    out[li[lpos[keep]]] = ri[rpos[keep]]
    return out


def reidentify(enc: dict[str, np.ndarray], plain: dict[str, np.ndarray]) -> np.ndarray:
    """Joint alignment: the leaked person each package record is claimed to be (-1: none)."""
    names = sorted(enc)
    if not names:
        return np.full(0, -1, dtype=np.int64)
    claim = _unique_matches(
        _signatures([enc[n] for n in names]), _signatures([plain[n] for n in names])
    )
    for _ in range(ROUNDS):
        claim = _propagate(claim, [enc[n] for n in names], [plain[n] for n in names])
    return claim


def _propagate(
    claim: np.ndarray, enc: Sequence[np.ndarray], plain: Sequence[np.ndarray]
) -> np.ndarray:
    """Map package classes to plaintext classes through the claims (majority), then
    claim every record whose mapped classes leave exactly one unclaimed person."""
    known = np.flatnonzero(claim >= 0)
    mapped = []
    for e, p in zip(enc, plain, strict=True):
        votes = Counter(zip(e[known].tolist(), p[claim[known]].tolist(), strict=True))
        best: dict[int, tuple[int, int]] = {}
        for (ec, pc), n in votes.items():
            if ec and pc and n > best.get(ec, (0, 0))[1]:
                best[ec] = (pc, n)
        mapped.append(np.array([best.get(int(k), (0, 0))[0] for k in e], dtype=np.uint64))
    # A record's candidates: persons equal to its mapped class in every mapped column.
    taken = np.zeros(len(plain[0]), dtype=bool)
    taken[claim[known]] = True
    key_cols = np.stack(mapped, axis=1)
    plain_cols = np.stack(plain, axis=1)
    out = claim.copy()
    index: dict[tuple[int, int], np.ndarray] = {}
    for c in range(len(enc)):
        values, inverse = np.unique(plain_cols[:, c], return_inverse=True)
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(values) + 1))
        for v, lo, hi in zip(values.tolist(), bounds[:-1], bounds[1:], strict=True):
            index[c, v] = order[lo:hi]
    for i in np.flatnonzero(claim < 0):
        cols = np.flatnonzero(key_cols[i])
        if not len(cols):
            continue
        pools = [index.get((int(c), int(key_cols[i, c])), np.zeros(0, np.int64)) for c in cols]
        pool = min(pools, key=len)
        if len(pool) > 200:
            continue
        fits = pool[(plain_cols[pool][:, cols] == key_cols[i, cols]).all(axis=1) & ~taken[pool]]
        if len(fits) == 1:
            out[i] = fits[0]
            taken[fits[0]] = True
    return out
