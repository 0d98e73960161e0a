"""Linkage schemas: which features are encoded and how (data in ``schemas/linkage/``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from padan.core.errors import InputError
from padan.core.resources import schemas_dir

DEFAULT_SCHEMA = "padan-v1"


def linkage_schema_names() -> tuple[str, ...]:
    """Names of the linkage schemas padan ships (``schemas/linkage/NAME.json``), sorted."""
    return tuple(sorted(p.stem for p in (schemas_dir() / "linkage").glob("*.json")))


@cache
def _schema_text(name: str) -> str:
    path = schemas_dir() / "linkage" / f"{name}.json"
    if not path.is_file():
        known = ", ".join(linkage_schema_names())
        raise InputError(f"unknown linkage schema '{name}'; known: {known}")
    return path.read_text(encoding="utf-8")


def load_linkage_schema(name: str = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Load a linkage schema by name from ``schemas/linkage/NAME.json``.

    A schema may be a variant of another: ``{"extends": BASE, "unsalted": true, ...}``
    is BASE without field salts, with the variant's own name and description. Every
    call returns a fresh copy: clkhash edits the schema dicts it is given.
    """
    schema = json.loads(_schema_text(name))
    base = schema.pop("extends", None)
    if base is None:
        return schema
    resolved = load_linkage_schema(base)
    if schema.pop("unsalted", False):
        for spec in resolved["fields"]:
            spec.pop("salt", None)
    return {**resolved, **schema}


def schema_fingerprint(name: str = DEFAULT_SCHEMA) -> str:
    """SHA-256 (hex) of the schema's canonical JSON: equal iff the schemas are equal."""
    canonical = json.dumps(load_linkage_schema(name), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def schema_named_by_fingerprint(fingerprint: str) -> str:
    """The name of the shipped linkage schema with this fingerprint (a secret names its
    schema only by fingerprint)."""
    for path in sorted((schemas_dir() / "linkage").glob("*.json")):
        if schema_fingerprint(path.stem) == fingerprint:
            return path.stem
    raise InputError(
        "the linkage secret was made for a linkage schema this padan does not have "
        "(update padan, or make a new secret)"
    )


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


def field_layouts(linkage_schema: Mapping[str, Any]) -> list[FieldLayout]:
    """Byte layout of the concatenated CLK described by a linkage schema."""
    layouts, offset = [], 0
    for spec in linkage_schema["fields"]:
        bits = spec["clkhash"]["clkConfig"]["l"]
        if bits % 64:
            raise ValueError(f"field {spec['name']}: l={bits} is not a multiple of 64")
        layouts.append(FieldLayout(spec["name"], offset, bits // 8))
        offset += bits // 8
    return layouts
