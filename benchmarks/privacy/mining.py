"""Frequency alignment and frequent-q-gram pattern mining on text filter fields (attack a,
after Kroll & Steinmetzer 2015 and Christen et al. 2017/18).

For every filter field that is not positional (names, birth place, address), within each
salt group the package shows: equal filters are equal values, so distinct filters ranked
by count are aligned with plaintext values ranked by count (only unique counts are
claimed), and the aligned frequent filters teach each q-gram's bit positions, which then
decode the rest (``hardening.pattern_mining``). The attacker's plaintext frequencies are
the registry's own values (worst case: public name statistics as good as the truth);
for a salted field, its salt groups are taken as aligned with the plaintext groups (the
salt column's class sizes give that away where it is in the clear).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
from clkhash.schema import from_json_dict

# padan internals used by the benchmark (kept in one place for the layout refactor).
from benchmarks.privacy.v1 import SALT_SOURCES, filter_specs
from padan.core.types import Record
from padan.owner.features import FIELD_SOURCES
from padan.owner.risk import PackageColumns

from .hardening import frequency_alignment, pattern_mining


def mine_text_fields(
    columns: PackageColumns, schema: dict[str, Any], records: Sequence[Record]
) -> dict[str, dict[str, Any]]:
    """Per text filter field: frequency alignment and pattern mining results."""
    specs = {s["name"]: s for s in filter_specs(schema) if "clkhash" in s}
    out = {}
    for column in columns.filters:
        spec = specs[column.name]
        source = FIELD_SOURCES.get(spec["source"])
        if column.positional or source is None:
            continue
        rows = [i for i, r in enumerate(records) if source(r)]
        if not rows:
            continue
        truth = [source(records[i]) for i in rows]
        salt = SALT_SOURCES.get(column.salt or "")
        groups = [salt(records[i]) if salt else "" for i in rows]
        words = column.words[rows]
        bits = np.unpackbits(words.view(np.uint8), axis=1).astype(bool)
        field = from_json_dict(copy.deepcopy(spec["clkhash"])).fields[0]
        fhp = field.hashing_properties

        def tokenize(value: str, fhp=fhp, field=field) -> list[str]:
            return list(fhp.comparator.tokenize(field.format_value(value)))

        guesses, aligned = frequency_alignment([w.tobytes() for w in words], truth, groups)
        mined = pattern_mining(
            bits, truth, groups, guesses, tokenize, fhp.strategy.bits_per_token(1)[0]
        )
        share = len(rows) / max(columns.records, 1)
        out[column.name] = {
            "fields": list(column.fields),
            "aligned": aligned["reidentified"] * share,
            "mined_exact": mined["exact"] * share,
            "training_filters": mined["training_filters"],
        }
    return out
