"""Birth dates in every format, sex codes, names (titles, variants, spelling), other text."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.owner.identifiers import PROBLEMS, TWO_DIGIT_PIVOT
from padan.owner.normalise import (
    _MONTHS,
    modern_spelling,
    normalise_address,
    normalise_name,
    normalise_place,
    normalise_rt_rw,
    normalise_sex,
    parse_birth_date,
)

AUG17 = dt.date(1975, 8, 17)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "17-08-1975",
        "17/08/1975",
        "17.08.1975",
        "17 08 1975",
        "17-8-1975",
        "1975-08-17",
        "1975/08/17",
        "19750817",
        "17081975",
        "170875",
        "17-08-75",
        "17 Agustus 1975",
        "17 agustus 1975",
        "17 AGUSTUS 1975",
        "17 Agu 1975",
        "17 Agt 1975",
        "17-Agu-75",
        "17 August 1975",
        "17-Aug-75",
        "17 Aug. 1975",
        "August 17, 1975",
        "Agustus 17 1975",
        "27623",  # Excel serial, as text
        "27623.0",  # Excel serial read from a number cell
        "1975-08-17 00:00:00",  # a datetime cell or a pandas export
        "1975-08-17T00:00:00",
        "17/08/1975 0:00",
        " 17-08-1975 ",
    ],
)
def test_every_date_format(text: str) -> None:
    assert parse_birth_date(text) == (AUG17, ())


@pytest.mark.parametrize("name", sorted(_MONTHS))
def test_every_month_name_and_abbreviation(name: str) -> None:
    found, findings = parse_birth_date(f"5 {name} 1990")
    assert found == dt.date(1990, _MONTHS[name], 5)
    assert findings == ()


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        ("1", dt.date(1900, 1, 1)),
        ("59", dt.date(1900, 2, 28)),
        ("61", dt.date(1900, 3, 1)),  # Excel's fictitious 29 Feb 1900 is serial 60
        ("36526", dt.date(2000, 1, 1)),
        ("45000", dt.date(2023, 3, 15)),
    ],
)
def test_excel_serials(serial: str, expected: dt.date) -> None:
    assert parse_birth_date(serial)[0] == expected


def test_excel_serial_60_does_not_exist() -> None:
    assert codes(parse_birth_date("60")[1]) == ["birth_date_invalid"]


def test_two_digit_years_follow_the_pivot() -> None:
    above, at = (TWO_DIGIT_PIVOT + 1) % 100, TWO_DIGIT_PIVOT
    assert parse_birth_date(f"17-08-{above:02d}")[0].year == 1900 + above
    assert parse_birth_date(f"17-08-{at:02d}")[0] in (dt.date(2000 + at, 8, 17), None)


def test_ambiguous_day_and_month_read_day_first() -> None:
    assert parse_birth_date("05/06/1990") == (
        dt.date(1990, 6, 5),
        parse_birth_date("05/06/1990")[1],
    )
    assert codes(parse_birth_date("05/06/1990")[1]) == ["birth_date_ambiguous"]
    assert parse_birth_date("06/06/1990")[1] == ()  # same either way
    assert parse_birth_date("1990-06-05")[1] == ()  # ISO order is unambiguous


def test_month_first_dates_are_read_and_reported() -> None:
    found, findings = parse_birth_date("08/17/1975")
    assert found == AUG17
    assert codes(findings) == ["birth_date_month_first"]


@pytest.mark.parametrize(
    "text",
    [
        "31-02-1980",
        "29-02-2001",
        "29-02-1900",  # 1900 was not a leap year
        "31-04-1980",
        "00-01-1980",
        "32-01-1980",
        "abc",
        "17 Agustos 1975",  # unknown month name
        "13/13/1980",
        "01-01-1899",  # before 1900
        "01-01-2999",  # in the future
        "1234567",
    ],
)
def test_invalid_dates(text: str) -> None:
    found, findings = parse_birth_date(text)
    assert found is None
    assert codes(findings) == ["birth_date_invalid"]


def test_leap_days() -> None:
    assert parse_birth_date("29-02-2000")[0] == dt.date(2000, 2, 29)
    assert parse_birth_date("29-02-1996")[0] == dt.date(1996, 2, 29)


def test_missing_date() -> None:
    assert parse_birth_date("  ") == (None, parse_birth_date("")[1])
    assert codes(parse_birth_date("")[1]) == ["birth_date_missing"]


@settings(max_examples=150, deadline=None)
@given(st.dates(dt.date(1900, 3, 1), dt.date(2024, 12, 31)))
def test_dates_round_trip_through_every_written_form(day: dt.date) -> None:
    id_months = [None, "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
                 "Agustus", "September", "Oktober", "November", "Desember"]  # fmt: skip
    forms = [
        day.strftime("%d-%m-%Y"),
        day.strftime("%d/%m/%Y"),
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{day.day} {id_months[day.month]} {day.year}",
        day.strftime("%d %b %Y"),
        str((day - dt.date(1899, 12, 30)).days),
    ]
    for form in forms:
        found, findings = parse_birth_date(form)
        assert found == day, form
        assert set(codes(findings)) <= {"birth_date_ambiguous"}


# --- sex -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sex"),
    [
        ("L", "L"), ("l", "L"), ("LK", "L"), ("Laki-laki", "L"), ("LAKI LAKI", "L"),
        ("Pria", "L"), ("M", "L"), ("Male", "L"), ("1", "L"), ("1.0", "L"),
        ("P", "P"), ("PR", "P"), ("Perempuan", "P"), ("Wanita", "P"), ("F", "P"),
        ("female", "P"), ("2", "P"), (" p ", "P"),
    ],
)  # fmt: skip
def test_sex_codes(text: str, sex: str) -> None:
    assert normalise_sex(text) == (sex, ())


def test_sex_missing_and_invalid() -> None:
    assert codes(normalise_sex("")[1]) == ["sex_missing"]
    assert normalise_sex("X")[0] is None
    assert codes(normalise_sex("3")[1]) == ["sex_invalid"]


# --- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SITI AMINAH", "siti aminah"),
        ("  Siti   Aminah ", "siti aminah"),
        ("Hj. Siti Aminah, S.Pd.", "siti aminah"),
        ("Hj Siti Aminah", "siti aminah"),
        ("Hajjah Siti Aminah", "siti aminah"),
        ("H. Ahmad Fauzi", "ahmad fauzi"),
        ("Dr. H. Ahmad Fauzi, S.H., M.H.", "ahmad fauzi"),
        ("dr. Budi Santoso Sp.A", "budi santoso"),
        ("Drs. Budi Santoso", "budi santoso"),
        ("Dra. Dewi Lestari", "dewi lestari"),
        ("Ir. Joko Widodo", "joko widodo"),
        ("Prof. Dr. Ir. Bambang, M.Sc.", "bambang"),
        ("Ns. Dewi, S.Kep", "dewi"),
        ("Siti Aminah S.Pd.I", "siti aminah"),
        ("Siti Aminah, S. Pd", "siti aminah"),
        ("Budi Santoso, S.Kom", "budi santoso"),
        ("Budi, S.E., M.Si", "budi"),
        ("Budi Santoso, SE", "budi santoso"),
        ("Budi M.M.", "budi"),
        ("Rina, A.Md.Kep", "rina"),
        ("Rina Amd", "rina"),
        ("Dewi Lestari, M.Pd", "dewi lestari"),
        # a bare letter may be an initial: only leading "H." / "M." are titles
        ("Ahmad H. Santoso", "ahmad h santoso"),
        ("H Ahmad", "h ahmad"),
        ("Budi S. Hartono", "budi s hartono"),
        ("Siti Ma", "siti ma"),
        # Muhammad and its spellings
        ("Muhammad Yusuf", "muhammad yusuf"),
        ("Mohammad Yusuf", "muhammad yusuf"),
        ("Mohamad Yusuf", "muhammad yusuf"),
        ("Muhamad Yusuf", "muhammad yusuf"),
        ("Moch. Yusuf", "muhammad yusuf"),
        ("Moch Yusuf", "muhammad yusuf"),
        ("Moh. Yusuf", "muhammad yusuf"),
        ("Mochammad Yusuf", "muhammad yusuf"),
        ("Mhd. Yusuf", "muhammad yusuf"),
        ("Muh. Yusuf", "muhammad yusuf"),
        ("M. Yusuf", "muhammad yusuf"),
        ("M.Yusuf", "muhammad yusuf"),
        ("Ahmad Muhamad", "ahmad muhammad"),
        # old spelling
        ("Soekarno", "sukarno"),
        ("Djoko", "joko"),
        ("Tjahjo", "cahjo"),
        ("Sjarif", "syarif"),
        ("Njoman", "nyoman"),
        ("Chairul", "khairul"),
        ("Joko", "joko"),  # a lone j stays
        ("Pandjaitan", "panyaitan"),  # dj→j, then nj→ny: old and new spelling meet
        ("Panjaitan", "panyaitan"),
        ("Moehamad Joesoef", "muhammad jusuf"),
        # punctuation, accents
        ("Ma'ruf Amin", "maruf amin"),
        ("Siti-Aminah", "siti aminah"),
        ("José Müller", "jose muller"),
    ],
)
def test_name_normalisation(raw: str, expected: str) -> None:
    assert normalise_name(raw) == (expected, ())


@pytest.mark.parametrize(
    "raw", ["Bayi Ny. Siti Aminah", "BAYI NY SITI AMINAH", "By. Ny. Siti Aminah", "By Siti Aminah",
            "An. Siti Aminah", "Bayi Nyonya Siti Aminah"],
)  # fmt: skip
def test_baby_listed_under_the_mother(raw: str) -> None:
    name, findings = normalise_name(raw)
    assert name == "siti aminah"
    assert codes(findings) == ["name_baby_of"]


def test_names_that_merely_start_like_a_prefix_are_kept() -> None:
    assert normalise_name("Anisa")[0] == "anisa"
    assert normalise_name("Byan Pratama")[0] == "byan pratama"
    assert normalise_name("Hjalmar")[0] == "hjalmar"


def test_empty_names() -> None:
    assert codes(normalise_name("")[1]) == ["name_missing"]
    assert codes(normalise_name("Hj.")[1]) == ["name_missing"]
    assert codes(normalise_name("Bayi Ny.")[1]) == ["name_baby_of", "name_missing"]


def test_modern_spelling_reaches_a_fixed_point() -> None:
    assert modern_spelling("tjoetjoe") == "cucu"
    assert modern_spelling("ndj") == modern_spelling("nj") == "ny"


NAME_PARTS = (  # noqa: SIM905 (tokens that interact: titles, prefixes, initials, junk)
    "Hj. H. Dr. dr S.Pd S.E. , M. Moch. Bayi Ny. By An. Siti Ahmad KH Ma'ruf Djoko - 0 S Pd ny"
).split()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="abdhjkmnpsy .,-'0", max_size=30),
        st.lists(st.sampled_from(NAME_PARTS), max_size=6).map(" ".join),
    )
)
def test_names_are_plain_lowercase_words_for_any_input(raw: str) -> None:
    name, findings = normalise_name(raw)
    assert name is None or (name == " ".join(name.split()) and name.isascii())
    assert name is None or all(c.isalpha() or c == " " for c in name)
    assert all(f.code in PROBLEMS for f in findings)
    assert normalise_name(name or "")[0] == name  # idempotent


# --- other text ------------------------------------------------------------------------


def test_places() -> None:
    assert normalise_place("DJAKARTA") == "jakarta"
    assert normalise_place("Kota  Serang,") == "kota serang"
    assert normalise_place(" - ") is None


def test_addresses_spell_out_abbreviations() -> None:
    assert (
        normalise_address("Jl. Raya Serang No. 5, Kp. Baru Gg. Mawar")
        == "jalan raya serang nomor 5 kampung baru gang mawar"
    )
    assert normalise_address("JLN. A.YANI 12") == "jalan a yani 12"
    assert normalise_address("") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("003", "3"), ("3", "3"), ("RT 05", "5"), ("12", "12"), ("000", None), ("-", None)],
)
def test_rt_rw(raw: str, expected: str | None) -> None:
    assert normalise_rt_rw(raw) == expected
