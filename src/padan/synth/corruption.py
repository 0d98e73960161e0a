"""The health lists (CKG) and their error model: who is listed, and how rows get damaged.

Rows are drawn from the registry as it streams past (``ListBuilder.observe``): a share of
people visit a puskesmas, some come back or visit a second one, people not in the
registry and newborns listed under their mother's NIK are mixed in. Every row then goes
through the error model of ``SynthOptions``; the error types applied are kept for
``truth.csv``. Rows are held as compact CSV lines; the generator shuffles them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from padan.synth import truth
from padan.synth.names import LIST_VARIANTS, NamePools, NameSampler, name_typo, name_variant
from padan.synth.options import SynthOptions
from padan.synth.population import (
    FEMALE,
    KK_EARLIEST,
    MALE,
    Family,
    NumberIssuer,
    Person,
    Shard,
    birth_for_age,
    birth_place,
    dmy,
    make_household,
    random_date,
)
from padan.synth.regions import Puskesmas, RegionData
from padan.synth.rng import stream
from padan.synth.writer import csv_line

LIST_COLUMNS = (
    "No Registrasi", "NIK PASIEN", "NO KK", "NAMA PASIEN", "JK", "TGL LAHIR", "TEMPAT LAHIR",
    "ALAMAT", "RT", "RW", "NAMA IBU", "PUSKESMAS", "TGL PERIKSA",
)  # fmt: skip
"""CKG list columns, in file order."""

MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip

_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
# Non-standard birth date styles a clerk (or Excel) produces; the standard is dd-mm-yyyy.
_NUMERIC_STYLES = ("dmy_slash", "iso", "dmy_2y", "dmy_slash_2y", "dmy_dot")
_NO_SWAP_STYLES = ("month_name", "excel_serial")
_OTHER_STYLES = (*_NUMERIC_STYLES, "dmy_loose", *_NO_SWAP_STYLES)
_SAME_PUSKESMAS_SHARE = 0.7  # a repeat visit at the first puskesmas (else another one)
_ADULT_AGE = 22  # old enough to carry a title (H., S.Pd, ...)
_NEWBORN_MAX_DAYS = 180
_RECENT_MOTHERS = 256  # how far back a 'Bayi Ny.' row may reach for its mother


class ListRow(NamedTuple):
    """One generated list row before shuffling (cells without No Registrasi, CSV-encoded)."""

    puskesmas: int
    line: str
    person_number: int
    errors: str


_DATE_STYLES: dict[str, Callable[[int, int, int], str]] = {
    "dmy_dash": lambda d, m, y: f"{d:02d}-{m:02d}-{y}",
    "dmy_slash": lambda d, m, y: f"{d:02d}/{m:02d}/{y}",
    "iso": lambda d, m, y: f"{y}-{m:02d}-{d:02d}",
    "dmy_2y": lambda d, m, y: f"{d:02d}-{m:02d}-{y % 100:02d}",
    "dmy_slash_2y": lambda d, m, y: f"{d:02d}/{m:02d}/{y % 100:02d}",
    "dmy_dot": lambda d, m, y: f"{d:02d}.{m:02d}.{y}",
    "dmy_loose": lambda d, m, y: f"{d}/{m}/{y}",
    "month_name": lambda d, m, y: f"{d} {MONTHS_ID[m - 1]} {y}",
    "excel_serial": lambda d, m, y: str(dt.date(y, m, d).toordinal() - _EXCEL_EPOCH),
}


def format_date(day: int, month: int, year: int, style: str) -> str:
    """Write a date the way a clerk might; day and month may be swapped by the caller."""
    if style not in _DATE_STYLES:
        raise ValueError(f"unknown date style {style!r}")
    return _DATE_STYLES[style](day, month, year)


def excel_scientific(nik: str) -> str:
    """How Excel's General format shows a 16-digit number: ``3.67301E+15``."""
    return f"{int(nik):.5E}"


def nik_typo(nik: str, rng: random.Random) -> str:
    """One digit changed, or two adjacent different digits transposed."""
    if rng.random() < 0.5:
        pairs = [i for i in range(len(nik) - 1) if nik[i] != nik[i + 1]]
        if pairs:
            i = rng.choice(pairs)
            return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2 :]
    i = rng.randrange(len(nik))
    digit = rng.choice([d for d in "0123456789" if d != nik[i]])
    return nik[:i] + digit + nik[i + 1 :]


class ListBuilder:
    """Collects list rows while the registry streams past; ``rows`` holds them."""

    def __init__(
        self,
        options: SynthOptions,
        region: RegionData,
        pools: NamePools,
        puskesmas: tuple[Puskesmas, ...],
        shard: Shard,
    ) -> None:
        self._options = options
        self._region = region
        self._puskesmas = puskesmas
        self._today = options.reference_date
        # Own random stream and own serials (5001+): the registry never depends on lists.
        self._rng = stream(options.seed, f"lists:{shard.index}")
        self._names = NameSampler(pools, self._rng)
        self._issuer = NumberIssuer(first_serial=5001 + shard.index, step=shard.count)
        self.list_only_people = 0
        """People made up for the lists; numbered ``options.people + 1, + 2, ...`` here."""
        self._by_kecamatan: dict[str, list[int]] = {}
        for index, centre in enumerate(puskesmas):
            self._by_kecamatan.setdefault(centre.kecamatan, []).append(index)
        self._mothers: deque[Person] = deque(maxlen=_RECENT_MOTHERS)
        self._infants: deque[tuple[Person, Person]] = deque(maxlen=_RECENT_MOTHERS // 4)
        # Outsiders and newborns are spawned per registry visitor so that they make up
        # their configured shares of all list rows (repeats apply to every kind alike).
        registry_share = 1.0 - options.outsider_rate - options.bayi_rate
        self._outsiders_per_visitor = options.outsider_rate / registry_share
        self._bayi_per_visitor = options.bayi_rate / registry_share
        # Cumulative thresholds for the mutually exclusive NIK damage (one draw per row).
        nik_rates = (
            options.nik_missing_rate,
            options.nik_excel_sci_rate,
            options.nik_excel_trunc_rate,
            options.nik_typo_rate,
        )
        nik_tags = (truth.NIK_MISSING, truth.NIK_EXCEL_SCI, truth.NIK_EXCEL_TRUNC, truth.NIK_TYPO)
        self._nik_damage = tuple(zip(itertools.accumulate(nik_rates), nik_tags, strict=True))
        self.rows: list[ListRow] = []

    # --- who is listed --------------------------------------------------------------------

    def observe(self, family: Family) -> None:
        """Decide which members of a freshly generated family appear on the lists."""
        rng = self._rng
        if family.mother is not None:
            self._mothers.append(family.mother)
            if family.infant is not None:
                self._infants.append((family.mother, family.infant))
        for person in family.members:
            if rng.random() >= self._options.visit_rate:
                continue
            self._visit(person, [])
            for _ in range(self._spawn(self._outsiders_per_visitor)):
                self._visit(self._outsider(), [truth.NOT_IN_REGISTRY])
            for _ in range(self._spawn(self._bayi_per_visitor)):
                self._newborn_visit()

    def _spawn(self, expected: float) -> int:
        whole = int(expected)
        return whole + (self._rng.random() < expected - whole)

    def _visit(self, person: Person, tags: list[str], mother: Person | None = None) -> None:
        """A person's first row, plus repeat rows (geometric: share ``repeat_rate``)."""
        rng = self._rng
        home = rng.pick(self._by_kecamatan[person.home.kec.code])
        count = 1
        while rng.random() < self._options.repeat_rate:
            count += 1
        for visit in range(count):
            centre = home
            if visit and rng.random() >= _SAME_PUSKESMAS_SHARE:
                centre = rng.randrange(len(self._puskesmas))
            row_tags = [*tags, truth.REPEAT] if visit else list(tags)
            self.rows.append(self._row(person, centre, row_tags, mother))

    def _newborn_visit(self) -> None:
        """'Bayi Ny. <mother>': a registered infant, or a newborn not registered yet."""
        rng = self._rng
        if self._infants and rng.random() < self._options.bayi_registered_share:
            mother, baby = rng.pick(self._infants)
            self._infants.remove((mother, baby))  # one baby, one first visit
        elif self._mothers:
            mother = rng.pick(self._mothers)
            self._mothers.remove(mother)
            baby = Person(
                number=self._new_number(),
                name="",
                sex=rng.pick((MALE, FEMALE)),
                birth=self._today - dt.timedelta(days=rng.between(7, _NEWBORN_MAX_DAYS)),
                birth_place=self._region.town,
                mother=mother.name,
                nik=mother.nik,
                home=mother.home,
            )
        else:
            return
        self._visit(baby, [truth.BAYI_MOTHER_NIK], mother=mother)

    def _new_number(self) -> int:
        self.list_only_people += 1
        return self._options.people + self.list_only_people

    def _outsider(self) -> Person:
        """Someone who moved in: NIK and KK from elsewhere, lives in the region."""
        rng = self._rng
        number = self._new_number()
        age = rng.between(18, 75) if rng.random() < 0.75 else rng.between(0, 17)
        sex = rng.pick((MALE, FEMALE))
        birth = birth_for_age(rng, age, self._today)
        origin = self._region.other_kecamatan(rng)
        recorded = random_date(rng, KK_EARLIEST, self._today - dt.timedelta(days=30))
        home = make_household(
            rng,
            self._names,
            rng.pick(self._region.kecamatan),
            self._issuer.kk(origin.code, recorded),
        )
        return Person(
            number=number,
            name=self._names.name(sex, birth.year),
            sex=sex,
            birth=birth,
            birth_place=birth_place(rng, self._region, origin, age),
            mother=self._names.name(FEMALE, birth.year - 25),
            nik=self._issuer.nik(origin.code, birth, sex),
            home=home,
        )

    # --- the error model ----------------------------------------------------------------

    def _row(self, person: Person, centre: int, tags: list[str], mother: Person | None) -> ListRow:
        """One list row of ``person`` (a newborn when ``mother`` is given), damaged."""
        rng, o = self._rng, self._options
        registered = truth.NOT_IN_REGISTRY not in tags
        kk = person.home.kk
        if mother is not None:
            nik, name = mother.nik, f"BAYI NY. {mother.name}"
        else:
            nik, name = person.nik, person.name
            age = (self._today - person.birth).days // 365
            if rng.random() < o.name_variant_rate:
                name = name_variant(name, rng, person.sex, age >= _ADULT_AGE, LIST_VARIANTS)
                tags.append(truth.NAME_VARIANT)
            if rng.random() < o.name_typo_rate:
                name = name_typo(name, rng)
                tags.append(truth.NAME_TYPO)
            if person.other is not None and rng.random() < o.nik_ganda_other_rate:
                nik, kk = person.other.nik, person.other.home.kk
                tags.append(truth.NIK_GANDA_OTHER)
            else:
                nik = self._damage_nik(nik, tags)

        r = rng.random()
        if r < o.kk_missing_rate:
            kk = ""
            tags.append(truth.KK_MISSING)
        elif r < o.kk_missing_rate + o.kk_old_rate and registered and mother is None:
            kk = self._old_kk(person)
            tags.append(truth.KK_OLD)

        birth = self._birth_text(person.birth, tags)
        mother_name = person.mother
        if rng.random() < o.mother_missing_rate:
            mother_name = ""
            tags.append(truth.MOTHER_MISSING)

        home = person.home
        first_day = min(max(o.ckg_start, person.birth + dt.timedelta(days=1)), self._today)
        exam = random_date(rng, first_day, self._today)
        # Half the clerks type in capitals, half use Excel's PROPER(): 'Siti Aminah, S.Pd'.
        case = str.title if rng.random() < 0.5 else str
        cells = (
            nik,
            kk,
            case(name),
            "L" if person.sex == MALE else "P",
            birth,
            case(person.birth_place),
            case(home.alamat),
            str(int(home.rt)),
            str(int(home.rw)),
            case(mother_name),
            self._puskesmas[centre].name,
            dmy(exam),
        )
        return ListRow(centre, csv_line(cells), person.number, ";".join(tags))

    def _damage_nik(self, nik: str, tags: list[str]) -> str:
        r = self._rng.random()
        for threshold, tag in self._nik_damage:
            if r < threshold:
                tags.append(tag)
                if tag == truth.NIK_MISSING:
                    return ""
                if tag == truth.NIK_EXCEL_SCI:
                    return excel_scientific(nik)
                if tag == truth.NIK_EXCEL_TRUNC:
                    return nik[:15] + "0"
                return nik_typo(nik, self._rng)
        return nik

    def _old_kk(self, person: Person) -> str:
        """A previous family card: same kecamatan mostly, issued before the move/split."""
        rng = self._rng
        r = rng.random()
        if r < 0.6:
            kec = person.home.kec
        elif r < 0.85:
            kec = rng.pick(self._region.kecamatan)
        else:
            kec = self._region.other_kecamatan(rng)
        recorded = random_date(rng, KK_EARLIEST, self._today - dt.timedelta(days=365))
        return self._issuer.kk(kec.code, recorded)

    def _birth_text(self, birth: dt.date, tags: list[str]) -> str:
        rng, o = self._rng, self._options
        if rng.random() < o.birth_date_missing_rate:
            tags.append(truth.BIRTH_DATE_MISSING)
            return ""
        style = "dmy_dash"
        if rng.random() < o.date_format_rate:
            style = rng.pick(_OTHER_STYLES)
            tags.append(truth.DATE_FORMAT)
        if rng.random() < o.date_swap_rate:
            tags.append(truth.DATE_SWAP)
            if style in _NO_SWAP_STYLES:  # a month name or a serial cannot show the swap
                style = rng.pick(_NUMERIC_STYLES)
            return format_date(birth.month, birth.day, birth.year, style)
        return format_date(birth.day, birth.month, birth.year, style)
