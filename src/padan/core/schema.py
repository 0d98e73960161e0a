"""The linkage schema, parsed once into a typed, frozen object (data in ``schemas/linkage/``).

A linkage schema says what an owner encodes and how the coordinator compares it:

* **filter fields** (free text: names, birth place, address) — one clkhash v3 Bloom filter
  per field, concatenated into the record's CLK and compared by Dice cut into levels;
* **token fields** (NIK, No. KK, birth date with sex) — compared by equality of keyed
  comparison-level tokens the owner computes: a pair is at level *l* when any token kind of
  level *l* is equal on both sides. ``exact`` token kinds (full NIK, No. KK) are global
  128-bit tokens; every other kind is *scoped*: keyed with the blocking-key value it
  travels with, so it can be compared only inside one block (never joined across the
  package);
* **blocking** keys, their cap and which fields each key forces to agree (for EM);
* **decision** settings (EM, thresholds, confidence bands, the bar for action statuses).

Random record pairs show how often fields agree by chance (u). Level tokens compare only
inside a block, so every record also carries its level tokens bound to a random
*u-sample bucket* (one of ``u_sample_buckets``, drawn per record): pairs in one bucket are
random pairs that can compare them, and a bucket is a few hundred random people at most.

:class:`Labels` holds the HKDF label scheme: every key derived from the linkage secret is
named here and nowhere else.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

from padan.core.errors import InputError, VerificationError
from padan.core.resources import schemas_dir

SCHEMA_VERSION = 2
"""The linkage-schema version this padan reads and writes."""
DEFAULT_SCHEMA = "padan-v2"


def linkage_schema_names() -> tuple[str, ...]:
    """Names of the linkage schemas padan ships (``schemas/linkage/NAME.json``), sorted."""
    return tuple(sorted(p.stem for p in (schemas_dir() / "linkage").glob("*.json")))


class Labels:
    """HKDF labels of every key derived from the linkage secret (distinct per use)."""

    @staticmethod
    def filter(field: str) -> str:
        """Key of one field's Bloom filter."""
        return f"clk/{field}"

    @staticmethod
    def token(kind: str) -> str:
        """Key of a global exact token (``nik``, ``kk``)."""
        return f"token/{kind}"

    @staticmethod
    def block(kind: str) -> str:
        """Key of a blocking key."""
        return f"block/{kind}"

    @staticmethod
    def level_token(kind: str) -> str:
        """Key of a comparison-level token kind before it is scoped (``date_dm``, …)."""
        return f"level/{kind}"

    @staticmethod
    def scope() -> str:
        """Key that binds level tokens to the blocking-key value they travel with."""
        return "scope/v2"

    @staticmethod
    def u_sample() -> str:
        """Key that binds level tokens to a record's random u-sample bucket."""
        return "scope/u-sample"


@dataclass(frozen=True, slots=True)
class FieldLayout:
    """Where one field's filter sits inside the concatenated CLK (in bytes and words)."""

    name: str
    offset_bytes: int
    n_bytes: int

    @property
    def word_slice(self) -> slice:
        """The field's 64-bit words inside a packed CLK row."""
        return slice(self.offset_bytes // 8, (self.offset_bytes + self.n_bytes) // 8)


@dataclass(frozen=True, slots=True)
class FilterField:
    """A free-text field encoded as its own keyed Bloom filter (a clkhash v3 schema)."""

    name: str
    source: str
    levels: tuple[float, ...]  # descending Dice cut points
    clkhash_json: str  # the field's clkhash schema, canonical JSON

    @property
    def n_levels(self) -> int:
        """Number of cut points (levels run 0..n_levels; -1 is missing)."""
        return len(self.levels)

    @property
    def bits(self) -> int:
        """Filter length in bits."""
        return int(self.clkhash()["clkConfig"]["l"])

    def clkhash(self) -> dict[str, Any]:
        """A fresh copy of the clkhash schema dict (clkhash edits what it is given)."""
        return json.loads(self.clkhash_json)


@dataclass(frozen=True, slots=True)
class TokenField:
    """A structured field compared by equal comparison-level tokens.

    ``levels[l]`` are the token kinds of level *l* (best first): the pair is at the first
    level where any of them is equal; below all, ``n_levels``; -1 when either side has
    none of the field's tokens.
    """

    name: str
    levels: tuple[tuple[str, ...], ...]

    @property
    def n_levels(self) -> int:
        """Number of agreement levels (the disagreement level is ``n_levels``)."""
        return len(self.levels)

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every token kind this field uses, in level order."""
        return tuple(k for level in self.levels for k in level)


@dataclass(frozen=True, slots=True)
class Blocking:
    """Blocking keys (schema order decides which key a pair is counted under)."""

    keys: tuple[str, ...]
    max_block_pairs: int
    involves: Mapping[str, tuple[str, ...]]  # key -> fields that agree by construction


@dataclass(frozen=True, slots=True)
class ConfidenceBits:
    """Log-odds (bits) at which a match is ``TINGGI`` or ``SEDANG`` (else ``RENDAH``)."""

    tinggi: float
    sedang: float


@dataclass(frozen=True, slots=True)
class Decision:
    """How the coordinator fits the model and decides."""

    match_probability: float
    ambiguity_margin_bits: float
    confidence_bits: ConfidenceBits
    action_bits: float  # a status that makes a clerk change data needs this much evidence
    em_iterations: int
    u_sample_pairs: int
    u_sample_buckets: int  # random buckets whose pairs show u (see ``Labels.u_sample``)
    dedup_ignore_fields: tuple[str, ...]
    household_fields: tuple[str, ...]
    correlated_fields: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class LinkageSchema:
    """A parsed, version-checked linkage schema."""

    version: int
    name: str
    description: str
    filters: tuple[FilterField, ...]
    token_fields: tuple[TokenField, ...]
    exact_tokens: tuple[str, ...]  # global 128-bit tokens (full NIK, No. KK)
    scoped_tokens: tuple[str, ...]  # level-token kinds stored per blocking key, in order
    scoped_token_bytes: int
    blocking: Blocking
    decision: Decision
    fingerprint: str  # SHA-256 of the canonical JSON

    @property
    def fields(self) -> tuple[str, ...]:
        """Comparison fields in model order: filter fields, then token fields."""
        return tuple(f.name for f in self.filters) + tuple(f.name for f in self.token_fields)

    @property
    def n_levels(self) -> list[int]:
        """Agreement levels per comparison field (model order)."""
        return [f.n_levels for f in self.filters] + [f.n_levels for f in self.token_fields]

    @property
    def field_layouts(self) -> tuple[FieldLayout, ...]:
        """Byte layout of the concatenated CLK (filter fields only)."""
        layouts, offset = [], 0
        for spec in self.filters:
            layouts.append(FieldLayout(spec.name, offset, spec.bits // 8))
            offset += spec.bits // 8
        return tuple(layouts)

    @property
    def clk_bytes(self) -> int:
        """Width of the concatenated CLK in bytes."""
        return sum(f.bits for f in self.filters) // 8

    def field_index(self, name: str) -> int:
        """Position of a comparison field in model order."""
        return self.fields.index(name)


def _version_error(name: str, version: object) -> VerificationError:
    return VerificationError(
        f"made with linkage schema {name} (version {version}); this padan needs version "
        f"{SCHEMA_VERSION} — re-encode with this padan"
    )


def parse_linkage_schema(data: Mapping[str, Any]) -> LinkageSchema:
    """Parse and check a linkage schema (JSON data) into a :class:`LinkageSchema`."""
    name = str(data.get("name", "?"))
    version = data.get("padanSchemaVersion")
    if version != SCHEMA_VERSION:
        raise _version_error(name, version)
    try:
        filters = tuple(
            FilterField(
                spec["name"],
                spec["source"],
                tuple(float(x) for x in spec["levels"]),
                json.dumps(spec["clkhash"], sort_keys=True),
            )
            for spec in data["filters"]
        )
        token_fields = tuple(
            TokenField(spec["name"], tuple(tuple(level) for level in spec["levels"]))
            for spec in data["token_fields"]
        )
        blocking = data["blocking"]
        decision = data["decision"]
        schema = LinkageSchema(
            version=version,
            name=name,
            description=str(data.get("description", "")),
            filters=filters,
            token_fields=token_fields,
            exact_tokens=tuple(data["exact_tokens"]),
            scoped_tokens=tuple(data["scoped_tokens"]),
            scoped_token_bytes=int(data["scoped_token_bytes"]),
            blocking=Blocking(
                tuple(blocking["keys"]),
                int(blocking["max_block_pairs"]),
                {k: tuple(v) for k, v in blocking["involves"].items()},
            ),
            decision=Decision(
                match_probability=float(decision["match_probability"]),
                ambiguity_margin_bits=float(decision["ambiguity_margin_bits"]),
                confidence_bits=ConfidenceBits(
                    float(decision["confidence_bits"]["TINGGI"]),
                    float(decision["confidence_bits"]["SEDANG"]),
                ),
                action_bits=float(decision["action_bits"]),
                em_iterations=int(decision["em_iterations"]),
                u_sample_pairs=int(decision["u_sample_pairs"]),
                u_sample_buckets=int(decision["u_sample_buckets"]),
                dedup_ignore_fields=tuple(decision["dedup_ignore_fields"]),
                household_fields=tuple(decision["household_fields"]),
                correlated_fields=tuple(tuple(g) for g in decision["correlated_fields"]),
            ),
            fingerprint=_fingerprint(data),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"linkage schema {name} is malformed: {exc!r}") from None
    _check(schema)
    return schema


def _check(schema: LinkageSchema) -> None:
    """Cross-references inside a schema: every name used is defined."""
    fields = set(schema.fields)
    for spec in schema.filters:
        if spec.bits % 64:
            raise InputError(f"field {spec.name}: l={spec.bits} is not a multiple of 64")
    known_kinds = set(schema.exact_tokens) | set(schema.scoped_tokens)
    for tf in schema.token_fields:
        if missing := set(tf.kinds) - known_kinds:
            raise InputError(f"token field {tf.name} uses undefined token kinds {missing}")
    for key, involved in schema.blocking.involves.items():
        if key not in schema.blocking.keys or not set(involved) <= fields:
            raise InputError(f"blocking key {key}: unknown key or fields {involved}")
    d = schema.decision
    for name in (*d.dedup_ignore_fields, *d.household_fields, *sum(d.correlated_fields, ())):
        if name not in fields:
            raise InputError(f"decision settings name an unknown field '{name}'")


def _fingerprint(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def _schema_data(name: str) -> Mapping[str, Any]:
    path = schemas_dir() / "linkage" / f"{name}.json"
    if not path.is_file():
        known = ", ".join(linkage_schema_names())
        raise InputError(f"unknown linkage schema '{name}'; known: {known}")
    return MappingProxyType(json.loads(path.read_text(encoding="utf-8")))


@cache
def _parsed(name: str) -> LinkageSchema:
    return parse_linkage_schema(copy.deepcopy(dict(_schema_data(name))))


def linkage_schema_data(name: str = DEFAULT_SCHEMA) -> dict[str, Any]:
    """The shipped schema's JSON data (a fresh copy), for tools that read it generically."""
    return copy.deepcopy(dict(_schema_data(name)))


def load_linkage_schema(name: str = DEFAULT_SCHEMA) -> LinkageSchema:
    """The shipped linkage schema ``schemas/linkage/NAME.json``, parsed once."""
    return _parsed(name)


def schema_fingerprint(name: str = DEFAULT_SCHEMA) -> str:
    """SHA-256 (hex) of the schema's canonical JSON: equal iff the schemas are equal."""
    return load_linkage_schema(name).fingerprint


def check_package_schema(name: str, version: object, fingerprint: str) -> LinkageSchema:
    """The schema a package names, refused when its version or fingerprint differs."""
    if version != SCHEMA_VERSION:
        raise _version_error(name, version)
    schema = load_linkage_schema(name)
    if schema.fingerprint != fingerprint:
        raise VerificationError(
            f"made with a different linkage schema than this padan's '{name}' "
            "(schema fingerprints differ)"
        )
    return schema


def schema_named_by_fingerprint(fingerprint: str) -> str:
    """The name of the shipped linkage schema with this fingerprint (a secret names its
    schema only by fingerprint)."""
    for path in sorted((schemas_dir() / "linkage").glob("*.json")):
        if schema_fingerprint(path.stem) == fingerprint:
            return path.stem
    raise InputError(
        "the linkage secret was made for a linkage schema this padan does not have "
        "(an older padan's secret: make a new secret with this padan)"
    )
