"""The typed linkage schema: parsed once, version checked, cross-references checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from padan.core.errors import InputError, VerificationError
from padan.core.resources import schemas_dir
from padan.core.schema import (
    DEFAULT_SCHEMA,
    SCHEMA_VERSION,
    Labels,
    check_package_schema,
    load_linkage_schema,
    parse_linkage_schema,
    schema_fingerprint,
)


def _raw() -> dict:
    return json.loads((schemas_dir() / "linkage" / f"{DEFAULT_SCHEMA}.json").read_text())


def test_default_schema_is_v2_and_typed() -> None:
    schema = load_linkage_schema()
    assert schema.version == SCHEMA_VERSION == 2
    assert schema.name == DEFAULT_SCHEMA
    # Free text in filters; NIK, No. KK and birth date (with sex) only as level tokens.
    assert [f.name for f in schema.filters] == ["name", "address", "address_numbers"]
    assert [f.name for f in schema.token_fields] == [
        "birth_date",
        "nik",
        "kk",
        "birth_place",
        "mother_name",
    ]
    assert schema.fields[: len(schema.filters)] == tuple(f.name for f in schema.filters)
    assert schema.clk_bytes == sum(lay.n_bytes for lay in schema.field_layouts)
    assert schema.field_layouts[1].offset_bytes == schema.filters[0].bits // 8
    assert load_linkage_schema() is schema  # parsed once
    with pytest.raises(AttributeError):
        schema.name = "other"  # type: ignore[misc]


def test_fingerprint_follows_the_content() -> None:
    data = _raw()
    assert parse_linkage_schema(data).fingerprint == schema_fingerprint()
    data["decision"]["action_bits"] += 1
    assert parse_linkage_schema(data).fingerprint != schema_fingerprint()


def test_v1_schema_is_refused_naming_its_version() -> None:
    v1 = json.loads(
        (Path(__file__).parent.parent / "fixtures" / "linkage-padan-v1.json").read_text()
    )
    with pytest.raises(VerificationError, match=r"padan-v1 \(version 1\).*needs version 2"):
        parse_linkage_schema(v1)


def test_package_schema_check_names_version_and_fingerprint() -> None:
    schema = load_linkage_schema()
    assert check_package_schema(DEFAULT_SCHEMA, 2, schema.fingerprint) is schema
    with pytest.raises(VerificationError, match=r"padan-v1 \(version 1\).*re-encode"):
        check_package_schema("padan-v1", 1, "ab" * 32)
    with pytest.raises(VerificationError, match="fingerprints differ"):
        check_package_schema(DEFAULT_SCHEMA, 2, "ab" * 32)


def test_undefined_names_are_refused() -> None:
    data = _raw()
    data["token_fields"][0]["levels"].append(["no_such_kind"])
    with pytest.raises(InputError, match="undefined token kinds"):
        parse_linkage_schema(data)
    data = _raw()
    data["decision"]["dedup_ignore_fields"].append("sex")
    with pytest.raises(InputError, match="unknown field 'sex'"):
        parse_linkage_schema(data)
    data = _raw()
    del data["blocking"]
    with pytest.raises(InputError, match="malformed"):
        parse_linkage_schema(data)


def test_labels_are_distinct_per_use() -> None:
    labels = {
        Labels.filter("nik"),
        Labels.token("nik"),
        Labels.block("nik"),
        Labels.level_token("nik"),
        Labels.scope(),
    }
    assert len(labels) == 5
