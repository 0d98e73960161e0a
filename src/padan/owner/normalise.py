"""Normalisation of birth dates, sex, names and other text, as pure functions.

Each returns the normalised value (``None`` when missing or unusable) and the findings
(problem codes from :data:`padan.owner.identifiers.PROBLEMS`). The functions are cached: the
same date, sex, place or name text recurs constantly in registry-sized files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Literal

from padan.core.types import Sex
from padan.owner.identifiers import TWO_DIGIT_PIVOT, Finding

_NONE: tuple[Finding, ...] = ()

# --- dates -----------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "januari january jan",
        "februari pebruari february feb peb",
        "maret march mar mrt",
        "april apr",
        "mei may",
        "juni june jun",
        "juli july jul",
        "agustus august agu agt ags agus aug",
        "september sep sept",
        "oktober october okt oct",
        "november nopember nov nop",
        "desember december des dec",
    ),
    start=1,
):
    _MONTHS.update(dict.fromkeys(_names.split(), _number))

_TIME_SUFFIX = re.compile(r"[ t]\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?$")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[-/.\s](\d{1,2})[-/.\s](\d{4}|\d{2})")
_DIGITS = re.compile(r"\d{1,8}(?:\.\d+)?")
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[\s\-/.]*([a-z]+)\.?[\s\-/.,]*(\d{4}|\d{2})")
_MONTH_NAME_DAY = re.compile(r"([a-z]+)\.?\s*(\d{1,2})(?:st|nd|rd|th)?,?\s*(\d{4})")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EARLIEST = dt.date(1900, 1, 1)
_TODAY = dt.date.today()  # birth dates after the day padan started are impossible


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 1900 + year if year > TWO_DIGIT_PIVOT else 2000 + year
    return year


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _excel_serial(number: float) -> dt.date | None:
    serial = int(number)
    if serial == 60 or not 1 <= serial <= 2_958_465:  # 60 is Excel's fictitious 1900-02-29
        return None
    # Excel counts 1900 as a leap year: serials after 60 are one day ahead of the calendar.
    base = _EXCEL_EPOCH if serial > 60 else dt.date(1899, 12, 31)
    return base + dt.timedelta(days=serial)


def _day_first(day: int, month: int, year: int) -> tuple[dt.date | None, tuple[Finding, ...]]:
    if month > 12 >= day:
        # 08/17/1975 cannot be day-first: read it month-first and say so.
        return _make(year, day, month), (Finding("birth_date_month_first"),)
    found = _make(year, month, day)
    if found is not None and day <= 12 and day != month:
        return found, (Finding("birth_date_ambiguous"),)
    return found, _NONE


DateOrder = Literal["day_first", "month_first"]


@lru_cache(maxsize=65_536)
def date_order(raw: str) -> DateOrder | None:
    """The order a numeric date proves by itself: ``day_first`` when its first number
    cannot be a month (``17-08-1975``), ``month_first`` when its second cannot
    (``08/17/1975``); None for every other date (``05-06-1990``, ISO, month names)."""
    match = _DMY.fullmatch(_TIME_SUFFIX.sub("", raw.strip().lower()))
    if match is None:
        return None
    first, second = int(match[1]), int(match[2])
    if first > 12 >= second:
        return "day_first"
    if second > 12 >= first:
        return "month_first"
    return None


@dataclass(slots=True)
class DateOrderTally:
    """The day/month order of one file's dates, decided by its unambiguous dates.

    The file's order is the one at least ``DOMINANT`` of those dates follow: a few typed
    the other way (reported one by one as ``birth_date_month_first``) do not unsettle it.
    """

    DOMINANT: ClassVar[float] = 0.95
    day_first: int = 0
    month_first: int = 0

    def add(self, raw: str) -> None:
        """Count one date cell's evidence, if it has any."""
        order = date_order(raw)
        if order == "day_first":
            self.day_first += 1
        elif order == "month_first":
            self.month_first += 1

    @property
    def order(self) -> DateOrder | None:
        """The file's date order, or None when its dates do not settle it."""
        evidence = self.day_first + self.month_first
        if evidence and self.day_first >= self.DOMINANT * evidence:
            return "day_first"
        if evidence and self.month_first >= self.DOMINANT * evidence:
            return "month_first"
        return None


def _parse_digits(text: str) -> dt.date | None:
    if len(text) == 8 and text.isdigit():
        # yyyymmdd (FEBRL, ISO basic) first, then ddmmyyyy.
        return _make(int(text[:4]), int(text[4:6]), int(text[6:])) or _make(
            int(text[4:]), int(text[2:4]), int(text[:2])
        )
    if len(text) == 6 and text.isdigit():  # ddmmyy, as in the NIK
        return _make(_full_year(text[4:]), int(text[2:4]), int(text[:2]))
    return _excel_serial(float(text)) if len(text.split(".")[0]) <= 5 else None


@lru_cache(maxsize=65_536)
def parse_birth_date(raw: str) -> tuple[dt.date | None, tuple[Finding, ...]]:
    """Read a birth date written any way Indonesian lists write it.

    Accepts ``dd-mm-yyyy``, ``dd/mm/yyyy``, ``dd.mm.yyyy`` (and 2-digit years),
    ``yyyy-mm-dd``, ``yyyymmdd``, ``ddmmyy``, ``17 Agustus 1975`` / ``17-Agu-75`` /
    ``August 17, 1975`` (Indonesian and English month names and abbreviations), Excel
    serial numbers (``27623`` is 1975-08-17) and a trailing time of day. Day-first
    readings where day and month could be swapped are flagged ``birth_date_ambiguous``.
    Dates before 1900 or in the future are invalid.
    """
    text = raw.strip().lower()
    if not text:
        return None, (Finding("birth_date_missing"),)
    text = _TIME_SUFFIX.sub("", text)
    found: dt.date | None = None
    findings = _NONE
    if match := _YMD.fullmatch(text):
        found = _make(int(match[1]), int(match[2]), int(match[3]))
    elif match := _DMY.fullmatch(text):
        found, findings = _day_first(int(match[1]), int(match[2]), _full_year(match[3]))
    elif _DIGITS.fullmatch(text):
        found = _parse_digits(text)
    elif (match := _DAY_MONTH_NAME.fullmatch(text)) and match[2] in _MONTHS:
        found = _make(_full_year(match[3]), _MONTHS[match[2]], int(match[1]))
    elif (match := _MONTH_NAME_DAY.fullmatch(text)) and match[1] in _MONTHS:
        found = _make(int(match[3]), _MONTHS[match[1]], int(match[2]))
    if found is None:
        return None, (Finding("birth_date_invalid", raw.strip()[:40]),)
    if not _EARLIEST <= found <= _TODAY:
        return None, (Finding("birth_date_invalid", f"{found.isoformat()} is out of range"),)
    return found, findings


# --- sex -------------------------------------------------------------------------------

_SEX: dict[str, Sex] = {
    **dict.fromkeys(("L", "LK", "LAKI", "LAKILAKI", "PRIA", "M", "MALE", "1", "COWOK"), "L"),
    **dict.fromkeys(("P", "PR", "PEREMPUAN", "WANITA", "W", "F", "FEMALE", "2", "CEWEK"), "P"),
}
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=1024)
def normalise_sex(raw: str) -> tuple[Sex | None, tuple[Finding, ...]]:
    """``L``/``P`` from ``L/P``, ``1/2`` (SIAK), ``LAKI-LAKI/PEREMPUAN``, ``LK/PR``,
    ``M/F``, ``Male/Female``, ``Pria/Wanita`` (any case, punctuation ignored)."""
    text = raw.strip().upper().removesuffix(".0")  # "1.0": a SIAK code read as a number
    key = _NOT_ALNUM.sub("", text)
    if not key:
        return None, (Finding("sex_missing"),)
    sex = _SEX.get(key)
    if sex is None:
        return None, (Finding("sex_invalid", raw.strip()[:20]),)
    return sex, _NONE


# --- names and text --------------------------------------------------------------------


def _ascii_lower(raw: str) -> str:
    text = raw.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _title_pattern(title: str) -> str:
    # "s.pd.i" matches "S.Pd.I", "S. Pd. I", "SPdI": dots/spaces optional between parts.
    return r"[.\s]*".join(re.escape(part) for part in title.split("."))


# Academic titles safe to remove anywhere: no name token looks like them.
_ACADEMIC = (  # noqa: SIM905 (a word list reads better than 70 quoted items)
    "s.pd.i s.pd.sd s.pd s.kom s.kep s.ked s.keb s.kes s.km s.farm s.ag s.sos s.ip s.si "
    "s.psi s.st s.tr s.ak s.hum s.hi s.sy s.gz s.ikom s.tp s.pt s.hut s.sn s.ars s.th s.ds "
    "a.md.kep a.md.keb a.md.kes a.md.ak a.md m.si m.pd.i m.pd m.kes m.kom m.ag m.sc "
    "m.hum m.kn m.ba m.ma m.ikom sp.og sp.pd sp.rad sp.tht sp.an sp.jp sp.kk "
    "sp.a sp.b sp.m sp.p sp.s ph.d dr drs dra ir prof ns lc mba"
).split()
# Two-letter titles (S.E., S.H., M.M.) look like initials: removed only at the end of the
# name, and only with a dot ("S.E.") or after a comma (", SE").
_ACADEMIC_SHORT = ["se", "sh", "st", "sp", "ss", "mm", "ma", "me", "mt", "mh"]

_TITLES_ANYWHERE = re.compile(
    r"(?<![a-z])(?:" + "|".join(_title_pattern(t) for t in _ACADEMIC) + r")(?![a-z])\.?"
)
_TITLES_AT_END = re.compile(
    r"(?:(?:[\s,]+(?:"
    + "|".join(rf"{t[0]}\.\s*{t[1]}" for t in _ACADEMIC_SHORT)
    + r")|\s*,\s*(?:"
    + "|".join(_ACADEMIC_SHORT)
    + r"))(?![a-z])\.?)+[\s,.]*$"
)
# Religious titles and honorifics, removed only as leading tokens (a bare "H" or "M"
# elsewhere may be an initial).
_LEADING_HONORIFIC = re.compile(
    r"^(?:(?:h|tn|nn)\.\s*|(?:hj|hajjah|hajah|haji|kh|ny|nyonya|sdr|sdri|bpk|bapak)(?![a-z])\.?\s*)+"
)
_BABY_OF = re.compile(
    r"^(?:(?:bayi|by)(?![a-z])\.?\s*(?:(?:ny|nyonya|nn)(?![a-z])\.?\s*)?|an\.\s*"
    r"|anak\s+(?:dari\s+)?(?:(?:ny|nyonya)(?![a-z])\.?\s*)?)"
)
_MUHAMMAD = re.compile(
    r"(?<![a-z])(?:muhammad|mohammad|mohamad|muhamad|muhammed|mohammed|mochammad|mochamad"
    r"|muchammad|muchamad|mochamed|moch|mohd|moh|mhd|muh|muhd)(?![a-z])\.?"
)
_LEADING_M = re.compile(r"^m\.\s*")
_LEADING_JUNK = re.compile(r"^[^a-z]+")
_APOSTROPHES = re.compile(r"['`´‘’]")
_NOT_LETTER = re.compile(r"[^a-z]+")
_NOT_ALNUM_LOWER = re.compile(r"[^a-z0-9]+")
_OLD_SPELLING = re.compile(r"oe|dj|tj|sj|nj|ch")
_NEW_SPELLING = {"oe": "u", "dj": "j", "tj": "c", "sj": "sy", "nj": "ny", "ch": "kh"}


def _new_spelling(match: re.Match[str]) -> str:
    return _NEW_SPELLING[match.group()]


def modern_spelling(text: str) -> str:
    """Old (pre-1972) spelling to the current one: oe→u, dj→j, tj→c, sj→sy, nj→ny, ch→kh.

    Applied until nothing changes, so old and new spellings meet: ``Pandjaitan`` →
    ``panjaitan`` → ``panyaitan``, as ``Panjaitan`` → ``panyaitan``. A lone ``j`` is kept.
    """
    while True:
        modern = _OLD_SPELLING.sub(_new_spelling, text)
        if modern == text:
            return text
        text = modern


def _strip_leading(text: str) -> tuple[str, bool]:
    """Remove leading baby prefixes and honorifics, repeatedly; say if a baby prefix was one."""
    baby = False
    while True:
        text = text.lstrip(" ,.")
        found = _BABY_OF.match(text)
        if found and found.end():
            baby, text = True, text[found.end() :]
            continue
        shorter = _LEADING_HONORIFIC.sub("", text)
        if shorter == text:
            return text, baby
        text = shorter


@lru_cache(maxsize=262_144)
def normalise_name(raw: str) -> tuple[str | None, tuple[Finding, ...]]:
    """A person's name for comparison: lower-case ASCII, titles and honorifics removed,
    ``Muhammad`` variants unified, old spelling modernised, punctuation as spaces.

    ``Bayi Ny. …``/``By. Ny. …``/``An. …`` is a baby listed under the mother's name: the
    prefix is removed and the finding ``name_baby_of`` reported. Normalising a normalised
    name changes nothing.
    """
    text = _LEADING_JUNK.sub("", _ascii_lower(raw))
    # First with the dots, which tell titles ("S.E.", "H.", "M.") from initials ...
    text, baby = _strip_leading(text)
    text = _TITLES_ANYWHERE.sub(" ", text)
    text = _TITLES_AT_END.sub("", text)
    text, baby_after_title = _strip_leading(text)  # "Dr. H. Ahmad": H. leads now
    text = _LEADING_M.sub("muhammad ", text)
    # ... then on plain words, so "S-Pd" or "Hj-Siti" are caught as well, and on the modern
    # spelling, which can make new ones ("Moehamad" → "muhamad", "Nj" → "ny").
    text = _NOT_LETTER.sub(" ", _APOSTROPHES.sub("", text))
    text = _MUHAMMAD.sub("muhammad", text)  # before "ch→kh" turns "moch" into "mokh"
    text = _MUHAMMAD.sub("muhammad", modern_spelling(text))
    text = _TITLES_ANYWHERE.sub(" ", text)
    text, baby_in_words = _strip_leading(text)
    text = " ".join(text.split())
    findings = (Finding("name_baby_of"),) if baby or baby_after_title or baby_in_words else _NONE
    if not text:
        return None, (*findings, Finding("name_missing"))
    return text, findings


@lru_cache(maxsize=65_536)
def normalise_place(raw: str) -> str | None:
    """A place name (birth place): lower-case ASCII words, old spelling modernised."""
    text = " ".join(modern_spelling(_NOT_LETTER.sub(" ", _ascii_lower(raw))).split())
    return text or None


_ADDRESS_WORDS = {
    "jl": "jalan",
    "jln": "jalan",
    "kp": "kampung",
    "kmp": "kampung",
    "gg": "gang",
    "perum": "perumahan",
    "komp": "komplek",
    "kompl": "komplek",
    "kel": "kelurahan",
    "kec": "kecamatan",
    "ds": "desa",
    "no": "nomor",
}


@lru_cache(maxsize=65_536)
def normalise_address(raw: str) -> str | None:
    """An address: lower-case ASCII words and numbers, common abbreviations spelled out
    (``Jl.`` → ``jalan``, ``Kp.`` → ``kampung``, ``Gg.`` → ``gang``)."""
    words = _NOT_ALNUM_LOWER.sub(" ", _ascii_lower(_APOSTROPHES.sub("", raw))).split()
    return " ".join([_ADDRESS_WORDS.get(w, w) for w in words]) or None


_FIRST_NUMBER = re.compile(r"\d+")


@lru_cache(maxsize=4096)
def normalise_rt_rw(raw: str) -> str | None:
    """RT/RW number without leading zeros (``003`` → ``3``, ``RT 05`` → ``5``); None if
    there is no number or it is zero."""
    match = _FIRST_NUMBER.search(raw)
    if match is None:
        return None
    return match.group().lstrip("0") or None
