"""Plain feature values of a normalised record, as the linkage schema names them.

Pure functions; nothing here is keyed or hashed. ``encoding`` turns these values into
Bloom filters and HMAC tokens locally, so no value computed here ever leaves its owner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from padan.core.types import Record
from padan.owner.identifiers import nik_date_part
from padan.owner.phonetic import soundex

BABY_OF = "name_baby_of"
"""Problem code for a row named after the mother (``Bayi Ny. …``): a newborn listed
under the mother's name, usually with the mother's NIK."""


def is_baby_of(record: Record) -> bool:
    """True when the row names a newborn by its mother (``Bayi Ny. …``)."""
    return any(p.code == BABY_OF for p in record.problems)


def _name(r: Record) -> str:
    # A "Bayi Ny. X" row carries the mother's name, not the child's: compare it with
    # the registry's mother_name instead (see _mother_name).
    return "" if is_baby_of(r) else r.name or ""


def _mother_name(r: Record) -> str:
    return (r.name or "") if is_baby_of(r) else r.mother_name or ""


def _compared_nik(r: Record) -> str:
    # A baby's row usually carries the mother's NIK: it must not pull the row towards
    # the mother, so it is left out of the similarity (the exact token still reports it).
    return "" if is_baby_of(r) else r.nik_prefix or ""


def birth_date_and_sex(r: Record) -> tuple[dt.date | None, str | None]:
    """The record's birth date and sex; the NIK's date part fills either when missing.

    The NIK's date and sex are never compared beside the birth-date field (that would
    count one piece of evidence twice); they stand in only where the field is empty.
    """
    date, sex = r.birth_date, r.sex
    nik = _compared_nik(r)
    if (date is None or sex is None) and len(nik) >= 12:
        decoded = nik_date_part(nik[6:12])
        if decoded is not None:
            sex = sex or decoded[0]
            date = date or decoded[1]
    return date, sex


# Words that start many addresses (normalise spells the abbreviations out) and say little.
_ADDRESS_GENERIC = frozenset(
    {"jalan", "kampung", "gang", "perumahan", "komplek", "kelurahan", "kecamatan", "desa"}
    | {"nomor", "blok", "rt", "rw", "street", "road", "place", "avenue", "crescent"}
)


def _address_parts(r: Record) -> tuple[list[str], list[str]]:
    """Number tokens and distinctive word tokens of the address, in order."""
    tokens = (r.address or "").split()
    numbers = [t for t in tokens if t.isdigit()]
    words = [t for t in tokens if t.isalpha() and t not in _ADDRESS_GENERIC]
    return numbers, words


def _address_numbers_value(r: Record) -> str:
    numbers, _ = _address_parts(r)
    return " ".join(numbers) if len(numbers) > 1 else ""


FIELD_SOURCES: dict[str, Callable[[Record], str]] = {
    "name": _name,
    "address": lambda r: " ".join(
        x for x in (r.address, r.rt and f"rt {r.rt}", r.rw and f"rw {r.rw}") if x
    ),
    # House number with postcode on their own: a whole address is one field, so matching
    # numbers would otherwise add little to the evidence of similar words. A single
    # number (an Indonesian house number) is left out: it would count the household's
    # shared address twice, e.g. for a baby listed under the mother's name.
    "address_numbers": _address_numbers_value,
}
"""Feature value extractors, by the ``source`` names used in ``schemas/linkage``."""


def _name_tokens(r: Record) -> list[str]:
    return (_name(r) or _mother_name(r)).split()


def _initials(r: Record) -> str | None:
    tokens = _name_tokens(r)
    return tokens[0][:2] if tokens else None


def _unordered_birth_date_name(r: Record) -> str | None:
    # Day and month sorted (a day/month swap lands in the same block), with the name's
    # first two letters: a date alone is a ~25,000-value class in a city.
    initials = _initials(r)
    if not r.birth_date or not initials:
        return None
    d, m = sorted((r.birth_date.day, r.birth_date.month))
    return f"{r.birth_date.year}:{d}:{m}:{initials}"


def _unordered_birth_date_address(r: Record) -> str | None:
    # The same date with the address's last number (digits sorted: a transposed
    # postcode still agrees): finds a person whose name was badly damaged.
    numbers, _ = _address_parts(r)
    if not r.birth_date or not numbers:
        return None
    d, m = sorted((r.birth_date.day, r.birth_date.month))
    return f"{r.birth_date.year}:{d}:{m}:{''.join(sorted(numbers[-1]))}"


def _date_and_initials(parts: str) -> Callable[[Record], str | None]:
    """Two of year/month/day plus the name's first two letters: one date part may be wrong."""

    def key(r: Record) -> str | None:
        initials = _initials(r)
        if not r.birth_date or not initials:
            return None
        values = {"y": r.birth_date.year, "m": r.birth_date.month, "d": r.birth_date.day}
        return ":".join(str(values[p]) for p in parts) + ":" + initials

    return key


def _nik_date_name(r: Record) -> str | None:
    # Two NIKs of one person (NIK ganda) share the date part, not region or serial.
    nik, initials = _compared_nik(r), _initials(r)
    return f"{nik[6:12]}:{initials}" if len(nik) >= 12 and initials else None


def _name_year(r: Record) -> str | None:
    tokens = _name_tokens(r)
    if not tokens or not r.birth_date:
        return None
    last = tokens[-1][:2] if len(tokens) > 1 else ""
    return f"{tokens[0][:4]}:{last}:{r.birth_date.year}"


def _name_prefixes(r: Record) -> str | None:
    # First three letters of the first and last name, no date: survives a wrong date.
    tokens = _name_tokens(r)
    return f"{tokens[0][:3]}:{tokens[-1][:3]}" if len(tokens) > 1 else None


def _last_name_year(r: Record) -> str | None:
    tokens = _name_tokens(r)
    if len(tokens) < 2 or not r.birth_date:
        return None
    return f"{tokens[-1]}:{r.birth_date.year}"


def _name_sorted(r: Record) -> str | None:
    # Sorted tokens: given name and family name in either order share the block.
    return " ".join(sorted(_name_tokens(r))) or None


def _address_numbers(r: Record) -> str | None:
    # House number with postcode (or block number): a household, only with two numbers.
    numbers, _ = _address_parts(r)
    return ":".join(numbers) if len(numbers) > 1 else None


def _address_house(r: Record) -> str | None:
    # First number and the first distinctive word (with RT/RW where used): the house.
    numbers, words = _address_parts(r)
    if not numbers or not words:
        return None
    return f"{numbers[0]}:{words[0][:3]}:{r.rt or ''}:{r.rw or ''}"


def _address_street(r: Record) -> str | None:
    # The street within its postcode: a last number of four or more digits (a postcode,
    # not a house number) with the first distinctive word. Survives a wrong or missing
    # house number. The digits are sorted (as birth_date_unordered sorts day and month),
    # so a transposed pair of digits (3072 / 3027) lands in the same block. A house
    # number alone says nothing more than address_house (which adds RT/RW): no key.
    numbers, words = _address_parts(r)
    if not numbers or not words or len(numbers[-1]) < 4:
        return None
    return f"{''.join(sorted(numbers[-1]))}:{words[0][:3]}"


def _address_last_name(r: Record) -> str | None:
    # Last address number (postcode or house number) with the family name's phonetic code.
    numbers, _ = _address_parts(r)
    tokens = _name_tokens(r)
    return f"{numbers[-1]}:{soundex(tokens[-1])}" if numbers and tokens else None


BLOCK_SOURCES: dict[str, Callable[[Record], str | None]] = {
    "nik": lambda r: _compared_nik(r) if len(_compared_nik(r)) == 16 else None,
    "birth_date_name": _unordered_birth_date_name,
    "birth_date_address": _unordered_birth_date_address,
    "birth_ym_name": _date_and_initials("ym"),
    "birth_yd_name": _date_and_initials("yd"),
    "birth_md_name": _date_and_initials("md"),
    "nik_date_name": _nik_date_name,
    "name_year": _name_year,
    "name_sorted": _name_sorted,
    "name_prefixes": _name_prefixes,
    "last_name_year": _last_name_year,
    "kk": lambda r: r.kk,
    "address_numbers": _address_numbers,
    "address_house": _address_house,
    "address_street": _address_street,
    "address_last_name": _address_last_name,
}
"""Blocking key values, by the names used in ``schemas/linkage``; None means no key."""


def token_values(record: Record) -> dict[str, str | None]:
    """Values for the global exact tokens: the full NIK and No. KK (None when unusable)."""
    return {"nik": record.nik, "kk": record.kk}


def _region_serial(nik: str) -> str | None:
    # Region (6) and serial (4) of a NIK, without its date part.
    return nik[:6] + nik[12:16] if len(nik) == 16 else None


def level_values(r: Record) -> dict[str, str | None]:
    """Values of the comparison-level token kinds (None when not available).

    Birth date with sex (exact, exact without sex, day/month swapped, two of three date
    parts equal: a typo or a year off by one); the NIK (whole) and its region and serial
    part without the date (exact; first nine digits — an Excel-truncated NIK —; serial
    digits sorted — a transposition); the No. KK; the birth place (exact, by sound); the
    mother's name (exact, by sound, given name). The owner keys these and binds them to a
    block: see ``encode``.
    """
    date, sex = birth_date_and_sex(r)
    out: dict[str, str | None] = dict.fromkeys(LEVEL_KINDS)
    if date is not None:
        d, m, y = date.day, date.month, date.year
        out["date"] = f"{d}:{m}:{y}"
        out["date_sex"] = f"{d}:{m}:{y}:{sex}" if sex else None
        out["date_swap"] = "{}:{}:{}".format(*sorted((d, m)), y)
        out["date_dm"], out["date_dy"], out["date_my"] = f"{d}:{m}", f"{d}:{y}", f"{m}:{y}"
    nik = _compared_nik(r)
    rs = _region_serial(nik)
    if rs is not None:
        out["nik_full"] = nik
        out["nik_rs"] = rs
        out["nik_rs_sorted"] = rs[:6] + "".join(sorted(rs[6:]))
    if len(nik) >= 15:
        out["nik_rs9"] = nik[:6] + nik[12:15]  # what Excel's 15 digits keep of region+serial
    out["kk_full"] = r.kk
    if r.birth_place:
        # A categorical field (a city has ~100 birth places): as a Bloom filter it is
        # decoded by frequency alone, so it is compared as tokens, exactly or by sound.
        out["place"] = r.birth_place
        out["place_sound"] = " ".join(soundex(w) for w in r.birth_place.split())
    mother = _mother_name(r).split()
    if mother:
        # Mothers' names repeat (few given names): a filter of them is mined for bigram
        # atoms; tokens bound to a block cannot be. Exact, by sound (order-free), given name.
        out["mother"] = " ".join(mother)
        out["mother_sound"] = " ".join(sorted(soundex(w) for w in mother))
        out["mother_first"] = mother[0]
    return out


LEVEL_KINDS: tuple[str, ...] = (
    "date_sex",
    "date",
    "date_swap",
    "date_dm",
    "date_dy",
    "date_my",
    "nik_full",
    "nik_rs",
    "nik_rs9",
    "nik_rs_sorted",
    "kk_full",
    "place",
    "place_sound",
    "mother",
    "mother_sound",
    "mother_first",
)
"""Comparison-level token kinds, by the names used in ``schemas/linkage``."""


def has_linkage_data(record: Record) -> bool:
    """A record can be matched only with a name, a usable NIK or a birth date."""
    return bool(record.name or record.nik_prefix or record.birth_date)
