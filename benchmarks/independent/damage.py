"""The independent error model: how a puskesmas clerk's row differs from the registry.

Every function takes the clean value and a ``numpy`` generator and returns the damaged
value (or ``None`` when the damage cannot apply to this value, e.g. no spelling rule
fits the name). Nothing here is shared with ``padan.synth``.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np

# Old and new spellings (Ejaan Soewandi / EYD) and common abbreviations, applied to one
# name token. Each entry: a regular expression on the token and its possible rewrites.
SPELLING_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^MUHAMMAD$", ("MOCH.", "M.", "MUHAMAD", "MOCHAMAD", "MOHAMMAD", "MUH.", "MOH.")),
    (r"^AHMAD$", ("ACHMAD", "AHMAD", "A.")),
    (r"^ACHMAD$", ("AHMAD",)),
    (r"OE", ("U",)),
    (r"(?<=[BCDGHJKLMNPRSTW])U", ("OE",)),
    (r"DJ", ("J",)),
    (r"(?<![D])J(?=[AIUEO])", ("DJ",)),
    (r"TJ", ("C",)),
    (r"C(?=[AIUEO])", ("TJ",)),
    (r"SJ", ("SY",)),
    (r"SY", ("SJ",)),
    (r"KH", ("CH",)),
    (r"([LMNST])\1", (r"\1",)),
)
MALE_TITLES = ("H.", "DRS.", "IR.", "KH.")
FEMALE_TITLES = ("HJ.", "DRA.", "NY.")
DEGREES = (", S.PD", ", S.E.", ", S.KOM", ", S.H.", ", AMD.KEB", ", S.PD.I", ", S.KEP")
# Sundanese and Javanese call names that may stand in for the whole registered name.
MALE_NICKNAMES = ("ASEP", "UJANG", "DEDE", "AA", "JAJANG", "ENDANG", "OMAN")
FEMALE_NICKNAMES = ("NENG", "EUIS", "ENOK", "IIS", "TETI", "NYAI", "ICEU")
MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
EXCEL_EPOCH = date(1899, 12, 30)


def pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    """One element of ``options``, uniformly."""
    return options[int(rng.integers(len(options)))]


def spelling_variant(name: str, rng: np.random.Generator) -> str | None:
    """Rewrite one token of ``name`` with one applicable spelling rule; None if none fits."""
    tokens = name.split()
    candidates = [
        (index, pattern, rewrites)
        for index, token in enumerate(tokens)
        for pattern, rewrites in SPELLING_RULES
        if re.search(pattern, token)
    ]
    if not candidates:
        return None
    index, pattern, rewrites = candidates[int(rng.integers(len(candidates)))]
    changed = re.sub(pattern, pick(rng, rewrites), tokens[index], count=1)
    if changed == tokens[index]:
        return None
    tokens[index] = changed
    return " ".join(tokens)


def with_title(name: str, sex: str, rng: np.random.Generator) -> str:
    """Add a religious/professional title in front, an academic degree behind, or both."""
    titles = MALE_TITLES if sex == "L" else FEMALE_TITLES
    shape = int(rng.integers(3))
    front = f"{pick(rng, titles)} " if shape in (0, 2) else ""
    back = pick(rng, DEGREES) if shape in (1, 2) else ""
    return f"{front}{name}{back}"


def nickname(sex: str, rng: np.random.Generator) -> str:
    """A call name that shares nothing with the registered name."""
    return pick(rng, MALE_NICKNAMES if sex == "L" else FEMALE_NICKNAMES)


def short_name(name: str) -> str | None:
    """Only the first token (``SITI NURHALIZA`` → ``SITI``); None for one-token names."""
    tokens = name.split()
    return tokens[0] if len(tokens) > 1 else None


def swapped_order(name: str, rng: np.random.Generator) -> str | None:
    """Move the last token to the front (or the first to the back); None for one token."""
    tokens = name.split()
    if len(tokens) < 2:
        return None
    if rng.random() < 0.5:
        return " ".join([tokens[-1], *tokens[:-1]])
    return " ".join([*tokens[1:], tokens[0]])


def year_off_by_one(born: date, rng: np.random.Generator) -> date:
    """The same day and month one year earlier or later (29 Feb becomes 28 Feb)."""
    year = born.year + (1 if rng.random() < 0.5 else -1)
    day = 28 if (born.month, born.day) == (2, 29) else born.day
    return date(year, born.month, day)


def day_month_swapped(born: date) -> date | None:
    """Day and month exchanged; None when that is not a different valid date."""
    if born.day > 12 or born.day == born.month:
        return None
    return date(born.year, born.day, born.month)


def excel_scientific(nik: str) -> str:
    """What Excel shows for a 16-digit number in a General cell: ``3.67305E+15``."""
    return f"{int(nik):.5E}"


def excel_truncated(nik: str) -> str:
    """Excel keeps 15 significant digits: the last digit becomes 0."""
    return nik[:15] + "0"


def one_wrong_digit(nik: str, rng: np.random.Generator) -> str:
    """One digit, anywhere in the number, replaced by another digit."""
    position = int(rng.integers(len(nik)))
    digit = str((int(nik[position]) + int(rng.integers(1, 10))) % 10)
    return nik[:position] + digit + nik[position + 1 :]


def format_dmy(born: date, separator: str) -> str:
    """``17-08-1975`` or ``17/08/1975``."""
    return born.strftime(f"%d{separator}%m{separator}%Y")


def format_text_month(born: date) -> str:
    """``17 Agustus 1975``."""
    return f"{born.day} {MONTHS_ID[born.month - 1]} {born.year}"


def format_excel_serial(born: date) -> str:
    """Days since 30 Dec 1899, as a cell formatted General shows a date."""
    return str((born - EXCEL_EPOCH).days)
