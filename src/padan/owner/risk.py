"""What a curious coordinator could decode from a package, measured on the package itself.

The attacker holds the package, the public linkage schema and code, and public facts
(the NIK's structure, region codes, birth-date and name frequencies), never the secret.
This module runs the attacks that need nothing else ("package-only"); the red-team
benchmark (``benchmarks/privacy``) adds a leaked population list on top of them.

Every attack is generic over the package's columns, discovered from the Parquet schema
and the linkage schema, so the same code reads any schema version:

* ``clk`` is cut into one Bloom filter per linkage-schema field that has a ``clkhash``
  spec (in schema order, ``l`` bits each);
* every other column except ``record_id`` is an *equality column*: equal values mean
  equal (keyed) inputs. Integer columns (``block_*``, ``salt_*``) and binary columns of up
  to 32 bytes (``token_*``) are one column each; wider binary or list columns (e.g. scoped
  comparison tokens, records × block kinds × levels) are cut into 8-byte *slots*, each its
  own equality column (``name[i]``), and all of them together another (``name[*]``).

Attacks:

* **closure** (:func:`mine_filter`) on every filter field, within each salt group: two
  distinct filters that differ by at most one token's bits on each side (found by
  banding on random bits) expose parts of two tokens' bit sets; the *closure* of such a
  part (the bits set in almost all filters that hold it) holds the token's bits; the
  closures of one token are merged into its *atom*, and swaps link the atoms of one
  position into a *group*. A filter made up of learnt atoms is decoded up to the labels
  of each group's symbols, which public digit frequencies supply; the share of such
  filters is what the owner's report calls decodable.
* **equality classes** (:func:`equality_stats`): class sizes, singletons and the number
  of classes; a column with few classes (sex, birth year, a salt group) is read by
  aligning its class sizes with public frequencies.

:func:`assess_package` runs both on one package and says per field what is exposed.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from padan.core.schema import linkage_schema_data
from padan.formats.package import SIGNER_CARD, read_package
from padan.formats.records import fixed_binary_array

# padan internals used by this module (kept in one place for the layout refactor).
from padan.trust.cards import card_from_dict

FIELDS: tuple[str, ...] = (
    "birth_date",
    "sex",
    "nik",
    "kk",
    "name",
    "mother_name",
    "birth_place",
    "address",
)
"""The person fields the risk report speaks about."""

# Column-name words → field, most specific first ("birth_place" is not a birth date).
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("birth_place", "birth_place"),
    ("mother_name", "mother_name"),
    ("mother", "mother_name"),
    ("place", "birth_place"),
    ("birth", "birth_date"),
    ("date", "birth_date"),
    ("year", "birth_date"),
    ("sex", "sex"),
    ("nik", "nik"),
    ("kk", "kk"),
    ("address", "address"),
    ("name", "name"),
)

SAMPLE = 20_000
"""Records :func:`assess_package` mines (a random sample of a larger package)."""
LOW_CARDINALITY = 256
"""An equality column with at most this many classes is read by frequency alignment."""
CONSTANT = 0.98  # bits set in this share of a group's filters carry nothing
PAIR_WINDOW = 24  # neighbours compared within one band's sorted order
MIN_RECURRENCE = 3  # a difference seen less often may be chance
CLOSURE_SUPPORT = 0.9  # share of a part's holders a bit of its closure is set in
SAME_TOKEN = 0.5  # Jaccard of two closures' holders from which they are one token
TOKEN_SIZED = 1.5  # a closure of up to this many tokens' bits is one token's
MAX_CLOSURES = 2000
BANDS = 40  # random bit subsets a near pair must agree on in at least one of


def fields_in(name: str) -> tuple[str, ...]:
    """The person fields a column or schema-field name speaks about, by its words."""
    found: list[str] = []
    rest = name.lower()
    for word, target in _KEYWORDS:
        if word in rest:
            rest = rest.replace(word, " ")
            if target not in found:
                found.append(target)
    return tuple(found)


# --- the package as the coordinator sees it ------------------------------------------------


@dataclass(slots=True)
class FilterColumn:
    """One field's Bloom filters, as 64-bit words, and what the public schema says of it."""

    name: str
    fields: tuple[str, ...]
    salt: str | None
    bits_per_token: int
    positional: bool
    words: np.ndarray  # (n, l/64) uint64; an all-zero row is a missing value


@dataclass(slots=True)
class EqualityColumn:
    """A column whose only meaning is equality: class ids per record (0 = missing)."""

    name: str
    kind: str  # token | block | salt | slot | filter | other
    fields: tuple[str, ...]
    keys: np.ndarray  # (n,) uint64


@dataclass(slots=True)
class PackageColumns:
    """A package's records, split into filter fields and equality columns."""

    schema: str
    role: str
    records: int
    filters: list[FilterColumn]
    equality: list[EqualityColumn]

    def sample(self, limit: int, seed: int = 0) -> PackageColumns:
        """At most ``limit`` records, drawn at random (closure mining's cost grows with
        the record count; its shares are estimated well from a sample)."""
        if self.records <= limit:
            return self
        keep = np.sort(np.random.default_rng(seed).permutation(self.records)[:limit])
        return PackageColumns(
            self.schema,
            self.role,
            limit,
            [replace(f, words=f.words[keep]) for f in self.filters],
            [replace(c, keys=c.keys[keep]) for c in self.equality],
        )

    def salt_keys(self, kind: str) -> np.ndarray | None:
        """The salt column a salted filter field is keyed by, if the package has it."""
        for column in self.equality:
            if column.kind == "salt" and column.name == f"salt_{kind}":
                return column.keys
        return None


def _filter_specs(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    # v1 names its filter fields "fields", v2 "filters".
    return [spec for spec in schema.get("filters", schema.get("fields", [])) if "clkhash" in spec]


def _hash_rows(arr: np.ndarray) -> np.ndarray:
    """Rows of bytes → uint64 class ids (0 for an all-zero row, i.e. missing)."""
    width = arr.shape[1]
    padded = np.zeros((len(arr), -(-width // 8) * 8), dtype=np.uint8)
    padded[:, :width] = arr
    words = padded.view("<u8")
    out = np.zeros(len(arr), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(words.shape[1]):
            out = (out ^ words[:, i]) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(i + 1)
    out[~arr.any(axis=1)] = 0
    out[arr.any(axis=1) & (out == 0)] = 1
    return out


def _kind(name: str) -> str:
    prefix = name.split("_", 1)[0]
    return prefix if prefix in ("token", "block", "salt") else "other"


def _column_fields(name: str, schema: Mapping[str, Any]) -> tuple[str, ...]:
    """The fields behind a column: the schema's ``involves`` if it says, else its name."""
    involves = schema.get("blocking", {}).get("involves", {})
    base = name.split("_", 1)[1] if "_" in name else name
    listed = involves.get(base)
    if listed:
        return tuple(dict.fromkeys(f for item in listed for f in fields_in(item)))
    return fields_in(base)


def _equality_columns(
    table: pa.Table, name: str, schema: Mapping[str, Any]
) -> list[EqualityColumn]:
    column, kind, fields = table[name], _kind(name), _column_fields(name, schema)
    typ = column.type
    if pa.types.is_integer(typ):
        keys = column.fill_null(0).to_numpy().astype(np.uint64)
        return [EqualityColumn(name, kind, fields, keys)]
    if pa.types.is_fixed_size_binary(typ):
        arr = fixed_binary_array(column, typ.byte_width)
        if typ.byte_width <= 32:
            return [EqualityColumn(name, kind, fields, _hash_rows(arr))]
        slots = [arr[:, i : i + 8] for i in range(0, typ.byte_width, 8)]
    elif pa.types.is_list(typ) or pa.types.is_fixed_size_list(typ):
        values = column.combine_chunks()
        width = max((len(v) for v in values.to_pylist() if v is not None), default=0)
        grid = np.zeros((len(values), width), dtype=np.uint64)
        for i, row in enumerate(values.to_pylist()):
            if row:
                grid[i, : len(row)] = [0 if v is None else int(v) & (2**64 - 1) for v in row]
        slots = [grid[:, i : i + 1].view(np.uint8) for i in range(width)]
    else:
        return []
    # Each slot alone, and all slots together (the record's whole scoped signature).
    whole = EqualityColumn(f"{name}[*]", "slot", fields, _hash_rows(np.concatenate(slots, 1)))
    each = [
        EqualityColumn(f"{name}[{i}]", "slot", fields, _hash_rows(s)) for i, s in enumerate(slots)
    ]
    return [*each, whole]


def package_columns(
    records_parquet: bytes, schema: Mapping[str, Any], *, schema_name: str = "", role: str = ""
) -> PackageColumns:
    """Split a package's ``records.parquet`` into filter fields and equality columns."""
    table = pq.read_table(io.BytesIO(records_parquet))
    specs = _filter_specs(schema)
    filters: list[FilterColumn] = []
    if "clk" in table.column_names and specs:
        width = table.schema.field("clk").type.byte_width
        clk = fixed_binary_array(table["clk"], width)
        if sum(s["clkhash"]["clkConfig"]["l"] for s in specs) != 8 * width:
            raise ValueError("the clk width is not the sum of the schema's filter fields")
        offset = 0
        for spec in specs:
            n_bytes = spec["clkhash"]["clkConfig"]["l"] // 8
            span = np.ascontiguousarray(clk[:, offset : offset + n_bytes])
            offset += n_bytes
            hashing = spec["clkhash"]["features"][0]["hashing"]
            filters.append(
                FilterColumn(
                    name=spec["name"],
                    fields=fields_in(spec["name"]) or (spec["name"],),
                    salt=spec.get("salt"),
                    bits_per_token=int(hashing["strategy"].get("bitsPerToken", 1)),
                    positional=bool(hashing["comparison"].get("positional", False)),
                    words=span.view("<u8"),
                )
            )
    equality = [
        column
        for name in table.column_names
        if name not in ("record_id", "clk")
        for column in _equality_columns(table, name, schema)
    ]
    # The filter values themselves are equality classes too (a sex filter has two).
    for f in filters:
        keys = _hash_rows(f.words.view(np.uint8))
        equality.append(EqualityColumn(f"filter_{f.name}", "filter", f.fields, keys))
    return PackageColumns(schema_name, role, table.num_rows, filters, equality)


def read_package_columns(path: Path, schema: Mapping[str, Any] | None = None) -> PackageColumns:
    """Verify a package (against the card it carries) and split its records.

    The owner checks its own package, so the signer's card inside it is the one trusted;
    the linkage schema is the public one the manifest names, unless ``schema`` is given.
    """
    with zipfile.ZipFile(path) as archive:
        card = card_from_dict(json.loads(archive.read(SIGNER_CARD)), source="the signer's card")
    manifest, members, _ = read_package(path, {card.fingerprint: card})
    name = str(manifest.extra.get("schema", ""))
    schema = schema if schema is not None else linkage_schema_data(name)
    return package_columns(members["records.parquet"], schema, schema_name=name, role=manifest.role)


# --- equality classes ----------------------------------------------------------------------


@dataclass(slots=True)
class ClassStats:
    """Class-size structure of one equality column."""

    records: int  # records with a value
    classes: int
    singleton_share: float  # of records with a value, in a class of one
    largest_share: float
    entropy_bits: float

    @property
    def low_cardinality(self) -> bool:
        """Few enough classes to be read from class sizes and public frequencies."""
        return 0 < self.classes <= LOW_CARDINALITY


def equality_stats(keys: np.ndarray) -> ClassStats:
    """Class sizes of one equality column (0 = missing, not a class)."""
    present = keys[keys != 0]
    if not len(present):
        return ClassStats(0, 0, 0.0, 0.0, 0.0)
    _, sizes = np.unique(present, return_counts=True)
    p = sizes / len(present)
    return ClassStats(
        records=len(present),
        classes=len(sizes),
        singleton_share=float((sizes == 1).sum() / len(present)),
        largest_share=float(sizes.max() / len(present)),
        entropy_bits=float(-(p * np.log2(p)).sum()),
    )


def class_sizes(keys: np.ndarray) -> np.ndarray:
    """Per record, the size of its equality class (0 where missing)."""
    _, inverse, sizes = np.unique(keys, return_inverse=True, return_counts=True)
    out = sizes[inverse.ravel()]
    out[keys == 0] = 0
    return out


# --- closure / pattern mining on Bloom filters ----------------------------------------------


def _popcount(words: np.ndarray) -> np.ndarray:
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


@dataclass(slots=True)
class Closure:
    """What closure mining learnt about one filter field.

    ``atoms`` are token bit sets (as words), ``atom_group`` the group (a position, for
    positional fields) of each atom; per record, ``choice[:, j]`` is the atom its filter
    holds of the ``j``-th group of its own salt group (-1: none or several) and
    ``explained`` whether the atoms it holds (plus the bits nearly every filter of its
    salt group has) make up its whole filter.
    """

    field: str
    atoms: np.ndarray  # (a, w) uint64
    atom_group: np.ndarray  # (a,) int
    choice: np.ndarray  # (n, g) int
    explained: np.ndarray  # (n,) bool
    near_pairs: int

    @property
    def groups(self) -> int:
        """Number of atom groups found."""
        return int(self.atom_group.max()) + 1 if len(self.atom_group) else 0


def _near_pairs(bits: np.ndarray, rng: np.random.Generator, max_side: int) -> np.ndarray:
    """Pairs of distinct filters (rows of ``bits``) that differ by ≤ ``max_side`` bits on
    each side: found by banding on random subsets of the varying bits (LSH)."""
    m, _ = bits.shape
    freq = bits.mean(axis=0)
    varying = np.flatnonzero((freq > 0.0) & (freq < 1.0))
    if m < 2 or not len(varying):
        return np.zeros((0, 2), dtype=np.int64)
    # Enough bits per band that chance collisions stay ~m per band.
    r = int(np.clip(np.ceil(np.log2(max(m, 2)) * 1.2), 6, min(28, len(varying))))
    found = []
    for _ in range(BANDS):
        sel = rng.choice(varying, size=r, replace=False)
        packed = np.packbits(bits[:, sel], axis=1)
        key = _hash_rows(packed)
        order = np.lexsort((rng.random(m), key))
        sorted_key = key[order]
        for d in range(1, min(PAIR_WINDOW, m)):
            same = np.flatnonzero(sorted_key[d:] == sorted_key[:-d])
            if not len(same):
                break
            found.append(np.stack([order[same], order[same + d]], axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.sort(np.concatenate(found), axis=1)
    codes = np.unique(pairs[:, 0].astype(np.int64) * m + pairs[:, 1])
    pairs = np.stack([codes // m, codes % m], axis=1)
    a, b = bits[pairs[:, 0]], bits[pairs[:, 1]]
    left, right = (a & ~b).sum(1), (b & ~a).sum(1)
    keep = (left >= 1) & (right >= 1) & (left <= max_side) & (right <= max_side)
    return pairs[keep]


def _closure(bits: np.ndarray, weights: np.ndarray, seed: np.ndarray) -> np.ndarray | None:
    """The bits set in almost all filters that hold ``seed`` (None without support)."""
    support = bits[:, seed].all(axis=1)
    if weights[support].sum() < MIN_RECURRENCE:
        return None
    return seed | (np.average(bits[support], axis=0, weights=weights[support]) >= CLOSURE_SUPPORT)


def _merge_closures(
    bits: np.ndarray, weights: np.ndarray, closures: list[np.ndarray]
) -> list[np.ndarray]:
    """One atom per token: closures held by mostly the same filters (Jaccard of their
    holders ≥ ``SAME_TOKEN``) are of one token, and their intersection drops the bits
    each picked up by chance. Tokens of one position exclude each other and tokens of
    other positions are independent, so their holders overlap little."""
    if not closures:
        return []
    stack = np.stack(closures)
    missing = (~bits).astype(np.float32) @ stack.T.astype(np.float32)
    held = (missing == 0).astype(np.float32)
    both = (held * weights[:, None].astype(np.float32)).T @ held
    mass = np.diag(both)
    jaccard = both / np.maximum(mass[:, None] + mass[None, :] - both, 1e-9)
    parent = np.arange(len(closures))
    for i, j in zip(*np.nonzero(np.triu(jaccard >= SAME_TOKEN, 1)), strict=True):
        parent[parent == parent[j]] = parent[i]
    return [stack[parent == root].all(axis=0) for root in np.unique(parent)]


def _close_group(
    bits: np.ndarray, weights: np.ndarray, rng: np.random.Generator, k: int
) -> tuple[list[np.ndarray], list[tuple[int, int]], int]:
    """Atoms (bool bit sets) and swap edges between them, within one salt group.

    A one-token swap's difference on each side is a part of that token's bits (less what
    the shared context covers). The *closure* of such a part (the bits set in almost all
    filters holding it) holds the token's bits, those of tokens it implies and a few
    bits covered by chance; closures of one token are merged into its atom
    (:func:`_merge_closures`), and atoms that are unions of other atoms (two-token
    swaps) are dropped.
    """
    pairs = _near_pairs(bits, rng, k)
    if not len(pairs):
        return [], [], 0
    a, b = bits[pairs[:, 0]], bits[pairs[:, 1]]
    every = np.concatenate([a & ~b, b & ~a])
    _, first, inverse, counts = np.unique(
        _hash_rows(np.packbits(every, axis=1)),
        return_index=True,
        return_inverse=True,
        return_counts=True,
    )
    diffs = every[first]
    size = diffs.sum(1)
    recurring = (counts >= MIN_RECURRENCE) & (size >= max(2, k // 2))
    seeds = np.flatnonzero(recurring)
    seeds = seeds[np.lexsort((-size[seeds], -counts[seeds]))][:MAX_CLOSURES]
    closures: list[np.ndarray] = []
    for u in seeds:
        if closures:
            stack = np.stack(closures)
            if (~(diffs[u] & ~stack).any(axis=1) & (stack.sum(1) <= TOKEN_SIZED * k)).any():
                continue  # already inside a token-sized closure
        closure = _closure(bits, weights, diffs[u])
        if closure is not None:
            closures.append(closure)
    atoms = _drop_compounds(_merge_closures(bits, weights, closures))
    if not atoms:
        return [], [], len(pairs)
    # Each difference belongs to the smallest atom that holds it.
    stack = np.stack(atoms)
    holds = (diffs.astype(np.float32) @ (~stack).T.astype(np.float32)) == 0
    by_size = np.where(holds, stack.sum(1)[None, :], np.iinfo(np.int64).max)
    atom_of = np.where(holds.any(1), by_size.argmin(1), -1)
    half = len(pairs)
    left, right = atom_of[inverse[:half]], atom_of[inverse[half:]]
    keep = (left >= 0) & (right >= 0) & (left != right)
    edges = list(zip(left[keep].tolist(), right[keep].tolist(), strict=True))
    return atoms, edges, len(pairs)


def _drop_compounds(atoms: list[np.ndarray]) -> list[np.ndarray]:
    """Atoms less those made of two or more smaller atoms (two-token swaps)."""
    if not atoms:
        return atoms
    stack = np.stack(atoms)
    sizes = stack.sum(1)
    kept = []
    for i, atom in enumerate(stack):
        parts = stack[~(stack & ~atom).any(axis=1) & (sizes < sizes[i])]
        if len(parts) > 1 and (atom & ~parts.any(axis=0)).sum() <= 1:
            continue
        kept.append(atom)
    return kept


def _groups(n_atoms: int, edges: Sequence[tuple[int, int]]) -> np.ndarray:
    """Connected components of the swap graph: atoms of one position share a group."""
    parent = list(range(n_atoms))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in edges:
        parent[find(x)] = find(y)
    roots = [find(x) for x in range(n_atoms)]
    _, labels = np.unique(roots, return_inverse=True)
    return labels.astype(np.int64)


def mine_filter(column: FilterColumn, salt: np.ndarray | None = None, *, seed: int = 0) -> Closure:
    """Closure mining on one filter field, within each salt group (see the module doc).

    Atoms of different salt groups are kept apart (a salted field has other bit
    positions per group); a record's ``choice`` indexes the atoms of its own group.
    """
    rng = np.random.default_rng(seed)
    n, w = column.words.shape
    present = column.words.any(axis=1)
    groups = salt if salt is not None else np.zeros(n, dtype=np.uint64)
    all_atoms: list[np.ndarray] = []
    all_groups: list[np.ndarray] = []
    per_record: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    near = 0
    group_base = 0
    for g in np.unique(groups[present]):
        rows = np.flatnonzero(present & (groups == g))
        distinct, inverse, weights = np.unique(
            column.words[rows], axis=0, return_inverse=True, return_counts=True
        )
        bits = np.unpackbits(distinct.view(np.uint8), axis=1, bitorder="little").astype(bool)
        atoms, edges, pairs = _close_group(bits, weights.astype(float), rng, column.bits_per_token)
        near += pairs
        if not atoms:
            continue
        labels = _groups(len(atoms), edges)
        stack = np.stack(atoms)
        choice, explained = _decode(bits, stack, labels, weights)
        choice = np.where(choice >= 0, choice + len(all_atoms), -1)
        per_record.append((rows, choice[inverse.ravel()], explained[inverse.ravel()]))
        all_atoms.extend(atoms)
        all_groups.append(labels + group_base)
        group_base += int(labels.max()) + 1
    width = max((c.shape[1] for _, c, _ in per_record), default=0)
    choice_all = np.full((n, width), -1, dtype=np.int64)
    explained_all = np.zeros(n, dtype=bool)
    for rows, choice, explained in per_record:
        choice_all[rows, : choice.shape[1]] = choice
        explained_all[rows] = explained
    atom_words = (
        np.packbits(np.stack(all_atoms), axis=1, bitorder="little").view("<u8")
        if all_atoms
        else np.zeros((0, w), dtype=np.uint64)
    )
    return Closure(
        column.name,
        atom_words,
        np.concatenate(all_groups) if all_groups else np.zeros(0, dtype=np.int64),
        choice_all,
        explained_all,
        near,
    )


def _decode(
    bits: np.ndarray, atoms: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct filter: the largest atom of each group it holds, and whether the
    atoms it holds (with the always-set bits) make up the whole filter."""
    constant = np.average(bits, axis=0, weights=weights) >= CONSTANT
    held = ((~bits).astype(np.float32) @ atoms.T.astype(np.float32)) == 0
    sizes = atoms.sum(1)
    n_groups = int(labels.max()) + 1
    choice = np.full((len(bits), n_groups), -1, dtype=np.int64)
    # Every held atom lies inside the filter, so their union covers it or leaves bits over.
    covered = constant | ((held.astype(np.float32) @ atoms.astype(np.float32)) > 0)
    for g in range(n_groups):
        members = np.flatnonzero(labels == g)
        score = np.where(held[:, members], sizes[members][None, :], -1)
        best = members[score.argmax(1)]
        found = score.max(1) >= 0
        choice[:, g] = np.where(found, best, -1)
    explained = ~(bits & ~covered).any(axis=1)
    # Atom indexes are local to this salt group; mine_filter shifts them.
    return choice, explained


# --- the owner's report --------------------------------------------------------------------


@dataclass(slots=True)
class FieldRisk:
    """What a coordinator could decode of one field, by the package-only attacks."""

    field: str
    decodable: float  # share of records whose value (or part of it) an attack reads
    attacks: list[str] = field(default_factory=list)  # short English findings
    temuan: list[str] = field(default_factory=list)  # the same findings in Indonesian


@dataclass(slots=True)
class RiskReport:
    """The owner's risk report for one package."""

    package: str
    schema: str
    records: int
    fields: dict[str, FieldRisk]
    columns: dict[str, ClassStats]
    closures: dict[str, float]  # filter field → share of records explained by closure
    max_decodable: float

    @property
    def worst(self) -> float:
        """The largest decodable share over all fields."""
        return max((f.decodable for f in self.fields.values()), default=0.0)

    @property
    def passed(self) -> bool:
        """True when no field is decodable for more than ``max_decodable`` of records."""
        return self.worst <= self.max_decodable

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form of the report."""
        return {
            "package": self.package,
            "schema": self.schema,
            "records": self.records,
            "max_decodable": self.max_decodable,
            "passed": self.passed,
            "fields": {
                name: {"decodable": f.decodable, "findings": f.attacks, "temuan": f.temuan}
                for name, f in self.fields.items()
            },
            "closure_explained": self.closures,
            "columns": {
                name: {
                    "records": s.records,
                    "classes": s.classes,
                    "singleton_share": s.singleton_share,
                    "largest_share": s.largest_share,
                    "entropy_bits": s.entropy_bits,
                }
                for name, s in self.columns.items()
            },
        }


def assess_columns(
    columns: PackageColumns, *, max_decodable: float = 0.01, package: str = "", seed: int = 0
) -> RiskReport:
    """Run the package-only attacks on split package columns (see :func:`assess_package`)."""
    risks = {name: FieldRisk(name, 0.0) for name in FIELDS}

    def note(fields: Sequence[str], share: float, english: str, indonesian: str) -> None:
        for name in fields:
            risk = risks.setdefault(name, FieldRisk(name, 0.0))
            risk.decodable = max(risk.decodable, share)
            risk.attacks.append(english)
            risk.temuan.append(indonesian)

    n = max(columns.records, 1)
    closures: dict[str, float] = {}
    for column in columns.filters:
        salt = columns.salt_keys(column.salt) if column.salt else None
        closure = mine_filter(column, salt, seed=seed)
        share = float(closure.explained.sum() / n)
        closures[column.name] = share
        if share > 0:
            note(
                column.fields,
                share,
                f"filter '{column.name}': {share:.1%} of records fully decomposed into "
                f"{closure.groups} token groups by closure mining (labels from public "
                "frequencies)",
                f"filter '{column.name}': {share:.1%} rekaman terurai penuh menjadi "
                f"{closure.groups} kelompok token lewat penambangan pola (labelnya dari "
                "frekuensi publik)",
            )
    stats: dict[str, ClassStats] = {}
    for column in columns.equality:
        s = stats[column.name] = equality_stats(column.keys)
        if s.low_cardinality and s.records:
            share = s.records / n
            note(
                column.fields,
                share,
                f"column '{column.name}': only {s.classes} classes in the clear; class "
                "sizes aligned with public frequencies read them",
                f"kolom '{column.name}': hanya {s.classes} kelas terbuka; ukuran kelas "
                "yang dicocokkan dengan frekuensi publik membacanya",
            )
    return RiskReport(
        package=package,
        schema=columns.schema,
        records=columns.records,
        fields=risks,
        columns=stats,
        closures=closures,
        max_decodable=max_decodable,
    )


def assess_package(
    path: Path, *, max_decodable: float = 0.01, seed: int = 0, sample: int = SAMPLE
) -> RiskReport:
    """What a coordinator could decode from the package at ``path``, per field.

    Runs the package-only attacks (closure mining on every filter field within its salt
    groups; class-size statistics of every equality column) and reports, per person
    field, the largest share of records an attack reads, with its findings in English
    and Indonesian. ``max_decodable`` is the share above which the report fails; a
    package of more than ``sample`` records is assessed on a random sample of them.
    """
    columns = read_package_columns(path).sample(sample, seed)
    return assess_columns(columns, max_decodable=max_decodable, package=str(path), seed=seed)
