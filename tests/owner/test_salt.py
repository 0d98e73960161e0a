"""Salted fields: filters keyed per salt value (birth year), bit-identical to the reference."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.core.schema import field_layouts, load_linkage_schema
from padan.core.types import Record, RowRef
from padan.owner.bloom import FieldEncoder, salt_kinds
from padan.owner.encode import UNKNOWN_SALT, FieldKeys, field_rows
from padan.trust.secret import LinkageSecret, derive_key

SALTED = ("name", "mother_name")


def _salted_schema() -> dict:
    schema = copy.deepcopy(load_linkage_schema())
    for spec in schema["fields"]:
        spec.pop("salt", None)
        if spec["name"] in SALTED:
            spec["salt"] = "birth_year"
    return schema


SCHEMA = _salted_schema()
LAYOUTS = {layout.name: layout for layout in field_layouts(SCHEMA)}


def _secret(seed: bytes = b"1") -> LinkageSecret:
    # The same secret object at two owners: what ``padan secret new`` gives both.
    return LinkageSecret("ab" * 16, seed * 32, "fingerprint", "owner-a", ("owner-a", "owner-b"))


def _record(name: str, birth: dt.date | None, row: int = 2) -> Record:
    return Record(
        RowRef("x.csv", row),
        name=name,
        birth_date=birth,
        mother_name="siti aminah",
        birth_place="serang",
    )


def _field(clk: np.ndarray, name: str) -> np.ndarray:
    layout = LAYOUTS[name]
    return clk[:, layout.offset_bytes : layout.offset_bytes + layout.n_bytes]


def _encode(records: list[Record], secret: LinkageSecret) -> np.ndarray:
    return FieldEncoder(SCHEMA, FieldKeys(secret, SCHEMA)).encode(field_rows(records, SCHEMA))


def test_rows_carry_the_birth_year_or_the_unknown_salt() -> None:
    assert salt_kinds(SCHEMA) == ["birth_year"]
    rows = field_rows([_record("budi", dt.date(1975, 8, 17)), _record("budi", None)], SCHEMA)
    assert [row[-1] for row in rows] == ["1975", UNKNOWN_SALT]
    assert len(rows[0]) == len(SCHEMA["fields"]) + 1


def test_same_name_and_year_give_equal_filters_at_two_owners() -> None:
    registry = _encode([_record("budi santoso", dt.date(1975, 8, 17))], _secret())
    health_list = _encode([_record("budi santoso", dt.date(1975, 1, 2), row=9)], _secret())
    assert np.array_equal(_field(registry, "name"), _field(health_list, "name"))
    assert np.array_equal(_field(registry, "mother_name"), _field(health_list, "mother_name"))


def test_same_name_in_another_year_gets_an_unrelated_filter() -> None:
    clk = _encode(
        [
            _record("budi santoso", dt.date(1975, 8, 17)),
            _record("budi santoso", dt.date(1976, 8, 17)),
            _record("budi santoso", None),
        ],
        _secret(),
    )
    names = np.unpackbits(_field(clk, "name"), axis=1).astype(bool)
    for a, b in ((0, 1), (0, 2), (1, 2)):
        dice = 2 * (names[a] & names[b]).sum() / (names[a].sum() + names[b].sum())
        assert dice < 0.5  # equal bigrams, unrelated positions: chance overlap only
    # An unsalted field of the same records is unaffected by the year.
    places = _field(clk, "birth_place")
    assert places[0].any() and np.array_equal(places[0], places[1])


def test_salted_keys_are_derived_per_year_from_the_secret() -> None:
    keys = FieldKeys(_secret(), SCHEMA)
    assert "name" not in keys  # a salted field has no year-free key
    assert keys["name/1975"] == derive_key(_secret(), "clk/name/1975")
    assert keys["name/1975"] != keys["name/1976"] != keys["mother_name/1975"]
    assert FieldKeys(_secret(b"2"), SCHEMA)["name/1975"] != keys["name/1975"]


YEARS = st.sampled_from(["1975", "1976", "2001", UNKNOWN_SALT])
VALUES = st.text(alphabet="abcdeéfgijkmnrstuy 0123456789-", max_size=20)
ROWS = st.lists(
    st.tuples(
        st.lists(VALUES, min_size=len(SCHEMA["fields"]), max_size=len(SCHEMA["fields"])), YEARS
    ),
    max_size=30,
)


@settings(max_examples=30, deadline=None)
@given(ROWS)
def test_cached_encoder_equals_reference_path_per_salt(rows: list[tuple[list[str], str]]) -> None:
    encoder = FieldEncoder(SCHEMA, FieldKeys(_secret(), SCHEMA))
    full = [[*values, year] for values, year in rows]
    assert np.array_equal(encoder.encode(full), encoder.encode_reference(full))
    assert np.array_equal(encoder.encode(full), encoder.encode_reference(full))  # cached pass


def test_unsalted_variant_differs_from_the_default_only_in_salts() -> None:
    from padan.core.schema import load_linkage_schema, schema_fingerprint

    default, unsalted = load_linkage_schema(), load_linkage_schema("padan-v1-unsalted")
    assert any(spec.get("salt") for spec in default["fields"])
    assert not any(spec.get("salt") for spec in unsalted["fields"])
    for spec in default["fields"]:
        spec.pop("salt", None)
    assert {**default, "name": "", "description": ""} == {**unsalted, "name": "", "description": ""}
    assert schema_fingerprint() != schema_fingerprint("padan-v1-unsalted")
