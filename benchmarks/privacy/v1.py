"""Schema v1's salt rule and CLK layout, which v2 no longer has: the suite attacks v1
packages too (it must find v1's leak), so it keeps what it needs to read them here."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from padan.core.schema import FieldLayout, linkage_schema_data
from padan.core.types import Record

SALT_SOURCES: dict[str, Callable[[Record], str]] = {
    "birth_year": lambda r: str(r.birth_date.year) if r.birth_date else "unknown",
}
"""v1's salt values of a record, by the ``salt`` names of its field specs."""


def field_layouts(linkage_schema: Mapping[str, Any]) -> list[FieldLayout]:
    """Byte layout of a v1 schema's concatenated CLK (every field has a clkhash spec)."""
    layouts, offset = [], 0
    for spec in filter_specs(linkage_schema):
        n_bytes = spec["clkhash"]["clkConfig"]["l"] // 8
        layouts.append(FieldLayout(spec["name"], offset, n_bytes))
        offset += n_bytes
    return layouts


def filter_specs(linkage_schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The schema's Bloom-filter field specs: v1's ``fields`` or v2's ``filters``."""
    return list(linkage_schema.get("fields", linkage_schema.get("filters", [])))


V1 = "padan-v1"
"""The weak encoding the suite must break: padan can no longer make it, so its packages
(2,000 synthetic people) are kept as test fixtures and its schema beside this module."""


def schema_data(name: str) -> dict[str, Any]:
    """A linkage schema as plain data: v1 from this folder, the others as padan ships them."""
    if name == V1:
        return json.loads(Path(__file__).with_name("padan-v1.json").read_text(encoding="utf-8"))
    return linkage_schema_data(name)
