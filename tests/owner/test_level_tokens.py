"""Comparison-level tokens (schema v2): each level, and equality only inside one scope."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from padan.core.schema import load_linkage_schema
from padan.core.types import Problem, Record, RowRef
from padan.link.comparison import level_words, token_levels
from padan.owner.features import BABY_OF, birth_date_and_sex, level_values
from padan.owner.tokens import LevelTokenizer

SCHEMA = load_linkage_schema()
KINDS = SCHEMA.scoped_tokens
FIELDS = {f.name: i for i, f in enumerate(SCHEMA.token_fields)}
TOKENIZER = LevelTokenizer(
    {k: bytes([i + 1]) * 32 for i, k in enumerate(KINDS)}, b"s" * 32, SCHEMA.scoped_token_bytes
)
DATES = st.dates(dt.date(1930, 1, 1), dt.date(2024, 12, 31))


def _record(**values) -> Record:
    return Record(ref=RowRef("x.csv", 2), **values)


def _words(records: list[Record], scopes: list[int]) -> np.ndarray:
    scoped = TOKENIZER.scoped(
        [level_values(r) for r in records], {"k": np.array(scopes, dtype=np.uint64)}
    )
    return level_words(scoped["k"], SCHEMA.scoped_token_bytes)


def _level(a: Record, b: Record, field: str, scopes: tuple[int, int] = (7, 7)) -> int:
    words = _words([a, b], list(scopes))
    levels = token_levels(
        words, words, np.array([0]), np.array([1]), SCHEMA.token_fields, list(KINDS)
    )
    return int(levels[0, FIELDS[field]])


def _nik(region: str, date: dt.date, sex: str, serial: str) -> str:
    day = date.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{date.month:02d}{date.year % 100:02d}{serial}"


@settings(max_examples=60, deadline=None)
@given(DATES, st.sampled_from("LP"))
def test_birth_date_levels(date: dt.date, sex: str) -> None:
    person = _record(birth_date=date, sex=sex)
    assert _level(person, _record(birth_date=date, sex=sex), "birth_date") == 0
    other_sex = "P" if sex == "L" else "L"
    assert _level(person, _record(birth_date=date, sex=other_sex), "birth_date") == 1
    year_off = date.replace(year=date.year + 1) if (date.month, date.day) != (2, 29) else None
    if year_off:
        assert _level(person, _record(birth_date=year_off, sex=sex), "birth_date") == 2
    if date.day <= 12 and date.day != date.month:
        swapped = dt.date(date.year, date.day, date.month)
        assert _level(person, _record(birth_date=swapped, sex=sex), "birth_date") == 2
    far = dt.date(date.year - 7, date.month % 12 + 1, 1 if date.day > 15 else 20)
    assert _level(person, _record(birth_date=far, sex=sex), "birth_date") == 3
    assert _level(person, _record(sex=sex), "birth_date") == -1


@settings(max_examples=60, deadline=None)
@given(DATES, st.sampled_from("LP"), st.integers(1, 9999), st.integers(0, 3))
def test_nik_levels_compare_region_and_serial_not_the_date(
    date: dt.date, sex: str, serial: int, position: int
) -> None:
    nik = _nik("367301", date, sex, f"{serial:04d}")
    person = _record(nik=nik, nik_prefix=nik, birth_date=date, sex=sex)
    assert _level(person, _record(nik=nik, nik_prefix=nik), "nik") == 0
    # Only the date part differs (a typo there): region and serial agree exactly.
    other_date = dt.date(date.year - 1 if date.year > 1930 else date.year + 1, date.month, 1)
    assume(other_date != date)
    moved = _nik("367301", other_date, sex, f"{serial:04d}")
    assert _level(person, _record(nik=moved, nik_prefix=moved), "nik") == 1
    # Excel kept 15 digits: region and the serial's first three digits agree.
    assert _level(person, _record(nik_prefix=nik[:15]), "nik") == 2
    # Two serial digits transposed.
    digits = list(f"{serial:04d}")
    swap = min(position, 2)
    digits[swap], digits[swap + 1] = digits[swap + 1], digits[swap]
    assume(digits != list(f"{serial:04d}"))
    transposed = _nik("367301", date, sex, "".join(digits))
    assert _level(person, _record(nik=transposed, nik_prefix=transposed), "nik") == 2
    # Same date and sex, another kecamatan and serial: no NIK evidence at all.
    stranger = _nik("367305", date, sex, f"{(serial + 1234) % 9999 + 1:04d}")
    assert _level(person, _record(nik=stranger, nik_prefix=stranger), "nik") == 3


def test_kk_level_and_missing_fields() -> None:
    a = _record(kk="3673012005150007", name="x")
    assert _level(a, _record(kk="3673012005150007"), "kk") == 0
    assert _level(a, _record(kk="3673012005150008"), "kk") == 1
    assert _level(a, _record(name="y"), "kk") == -1
    assert _level(a, _record(name="y"), "nik") == -1


@settings(max_examples=40, deadline=None)
@given(DATES, st.sampled_from("LP"), st.integers(1, 2**63), st.integers(1, 2**63))
def test_tokens_are_equal_only_inside_one_scope(
    date: dt.date, sex: str, scope: int, other: int
) -> None:
    assume(scope != other)
    nik = _nik("367301", date, sex, "0001")
    person = _record(nik=nik, nik_prefix=nik, kk="3673012005150007", birth_date=date, sex=sex)
    words = _words([person, person, person], [scope, scope, other])
    assert np.array_equal(words[0], words[1])
    assert (words[0] != 0).all()
    assert not (words[0] == words[2]).any()  # nothing joins across blocks
    # No block (scope 0): no tokens at all.
    assert not _words([person], [0]).any()


def test_the_nik_date_stands_in_only_for_a_missing_birth_date() -> None:
    date = dt.date(1990, 8, 17)
    nik = _nik("367301", date, "P", "0003")
    assert birth_date_and_sex(_record(nik=nik, nik_prefix=nik)) == (date, "P")
    recorded = dt.date(1990, 8, 18)
    assert birth_date_and_sex(_record(nik=nik, nik_prefix=nik, birth_date=recorded, sex="P")) == (
        recorded,
        "P",
    )
    # A baby listed under the mother's NIK does not borrow her birth date.
    baby = _record(nik=nik, nik_prefix=nik, name="siti")
    baby.problems.append(Problem(baby.ref, "name", BABY_OF))
    assert birth_date_and_sex(baby) == (None, None)
