"""Schema v1's salt rule and CLK layout, which v2 no longer has: the suite attacks v1
packages too (it must find v1's leak), so it keeps what it needs to read them here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from padan.core.schema import FieldLayout
from padan.core.types import Record

SALT_SOURCES: dict[str, Callable[[Record], str]] = {
    "birth_year": lambda r: str(r.birth_date.year) if r.birth_date else "unknown",
}
"""v1's salt values of a record, by the ``salt`` names of its field specs."""


def field_layouts(linkage_schema: Mapping[str, Any]) -> list[FieldLayout]:
    """Byte layout of a v1 schema's concatenated CLK (every field has a clkhash spec)."""
    layouts, offset = [], 0
    for spec in linkage_schema.get("fields", linkage_schema.get("filters", [])):
        n_bytes = spec["clkhash"]["clkConfig"]["l"] // 8
        layouts.append(FieldLayout(spec["name"], offset, n_bytes))
        offset += n_bytes
    return layouts
