"""The synthetic civil registry: families sharing a KK, NIKs, NIK-ganda second records.

People are generated family by family and streamed: only the serial counters and the
NIK-ganda records waiting for their turn outlive a family, so a million people need
little memory. NIK = kecamatan of first registration (6) + birth date DDMMYY (day + 40
for women) + serial (4, from 0001, unique per prefix and date); KK = kecamatan (6) +
recording date DDMMYY + serial (4).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from padan.core.errors import PadanError
from padan.synth import truth
from padan.synth.names import REGISTRY_VARIANTS, NamePools, NameSampler, last_word, name_variant
from padan.synth.options import SynthOptions
from padan.synth.regions import Kecamatan, RegionData
from padan.synth.rng import Rng, stream

REGISTRY_COLUMNS = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "NAMA_LGKP_IBU",
    "ALAMAT", "NO_RT", "NO_RW", "NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL",
)  # fmt: skip
"""SIAK export columns (BIODATA_WNI + DATA_KELUARGA), in file order."""

MALE, FEMALE = 1, 2  # JENIS_KLMIN codes

_DAYS_PER_YEAR = 365.2425
KK_EARLIEST = dt.date(2008, 1, 1)  # earliest recording date of a synthetic KK
# Household shapes: single adults, female-headed families, the rest couples.
_SINGLE_SHARE = 0.09
_FEMALE_HEAD_SHARE = 0.11
_CHILD_COUNT_CUMULATIVE = tuple(itertools.accumulate((12, 22, 30, 20, 10, 6)))  # 0..5 children
_GRANDPARENT_SHARE = 0.08
_FATHERS_NAME_SHARE = 0.2  # a child's last word is the father's last word
# Where a resident's NIK was first registered: home kecamatan, another in the region,
# or outside it (moved in long ago, one NIK only).
_NIK_OTHER_KEC_SHARE = 0.08
_NIK_ELSEWHERE_SHARE = 0.04
_GANDA_MAX_DELAY = 300  # families between a person's record and their NIK-ganda record

_KAMPUNG_HEAD = (
    "CI", "PASIR ", "SUKA", "KARANG ", "LEBAK ", "KEBON ", "TEGAL ", "SAWAH ", "BOJONG ",
    "CIKAL", "MEKAR", "PAN", "GUNUNG ", "KADU", "LEUWI",
)  # fmt: skip
_KAMPUNG_TAIL = (
    "BARU", "JAYA", "MULYA", "SARI", "RAYA", "LOR", "KIDUL", "WARINGIN", "KELAPA", "GEDE",
    "HILIR", "TONGGOH", "MANIS", "ASIH", "RESMI", "NANGKA", "PUTAT", "BENING", "KUPA", "LAME",
)  # fmt: skip


def dmy(date: dt.date) -> str:
    """``dd-mm-yyyy``, as SIAK writes TGL_LHR."""
    return f"{date.day:02d}-{date.month:02d}-{date.year}"


@dataclass(frozen=True, slots=True)
class Shard:
    """A slice of the population generated independently (in its own process).

    Shard ``index`` of ``count`` holds people ``first_number .. first_number + people - 1``
    and draws serials ``first + index + k * count``, so shards never issue the same NIK.
    """

    index: int = 0
    count: int = 1
    first_number: int = 1
    people: int = 0


class NumberIssuer:
    """Issues NIK and KK numbers; serials count from ``first_serial`` per prefix + date.

    NIKs and KKs share one counter so that no KK ever equals a NIK digit for digit.
    With ``step`` > 1 (sharded generation) serials leave gaps, as real ones do.
    """

    def __init__(self, first_serial: int = 1, step: int = 1) -> None:
        self._next: dict[str, int] = {}
        self._first = first_serial
        self._step = step

    def _issue(self, key: str) -> str:
        serial = self._next.get(key, self._first)
        if serial > 9999:
            raise PadanError("too many people share one kecamatan and birth date (serial > 9999)")
        self._next[key] = serial + self._step
        return f"{key}{serial:04d}"

    def nik(self, prefix: str, birth: dt.date, sex: int) -> str:
        """A new NIK for a person first registered in kecamatan ``prefix``."""
        day = birth.day + (40 if sex == FEMALE else 0)
        return self._issue(f"{prefix}{day:02d}{birth.month:02d}{birth.year % 100:02d}")

    def kk(self, prefix: str, recorded: dt.date) -> str:
        """A new family card number recorded in kecamatan ``prefix`` on ``recorded``."""
        return self._issue(
            f"{prefix}{recorded.day:02d}{recorded.month:02d}{recorded.year % 100:02d}"
        )


@dataclass(slots=True)
class Household:
    """A family card: its number and the address it lists."""

    kk: str
    alamat: str
    rt: str
    rw: str
    kec: Kecamatan
    kel: str


@dataclass(slots=True, eq=False)
class Person:
    """One registry record (or a list-only person). NIK-ganda twins share ``number``."""

    number: int
    name: str
    sex: int
    birth: dt.date
    birth_place: str
    mother: str
    nik: str
    home: Household
    tags: str = ""
    other: Person | None = None
    """The person's other registry record (NIK ganda), if any."""

    @property
    def person_id(self) -> str:
        """The ground-truth id shared by every record of this human."""
        return truth.person_id(self.number)

    def registry_row(self) -> tuple[str, ...]:
        """The record as a SIAK row (``REGISTRY_COLUMNS``)."""
        home = self.home
        code = home.kec.code
        return (
            self.nik, home.kk, self.name, str(self.sex), self.birth_place, dmy(self.birth),
            self.mother, home.alamat, home.rt, home.rw, code[:2], code[2:4], code[4:6], home.kel,
        )  # fmt: skip


@dataclass(slots=True)
class Family:
    """One household as generated, plus the records due to be written with it."""

    members: list[Person]
    records: list[Person]
    """Rows to write now: the members, then any NIK-ganda records that fell due."""
    mother: Person | None = None
    """The children's mother when aged 18-45 (for 'Bayi Ny.' list rows)."""
    infant: Person | None = None
    """Her child under one year old, if any."""


def random_date(rng: Rng, start: dt.date, end: dt.date) -> dt.date:
    """A uniform date in ``[start, end]`` (``start`` when the range is empty)."""
    span = end.toordinal() - start.toordinal()
    return start if span <= 0 else dt.date.fromordinal(start.toordinal() + rng.between(0, span))


def birth_for_age(rng: Rng, age: int, today: dt.date) -> dt.date:
    """A birth date giving exactly ``age`` completed years (about) on ``today``."""
    return dt.date.fromordinal(today.toordinal() - int((age + rng.random()) * _DAYS_PER_YEAR))


def add_years(date: dt.date, years: int) -> dt.date:
    """``date`` moved by whole years (29 February becomes 28 February)."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def make_household(rng: Rng, names: NameSampler, kec: Kecamatan, kk: str) -> Household:
    """A household address in ``kec`` (kampung, street or housing estate) with card ``kk``."""
    r = rng.random()
    if r < 0.45:
        alamat = f"KP. {rng.pick(_KAMPUNG_HEAD)}{rng.pick(_KAMPUNG_TAIL)}"
    elif r < 0.80:
        alamat = f"{names.street()} NO. {rng.between(1, 120)}"
    else:
        estate = f"{rng.pick(_KAMPUNG_HEAD)}{rng.pick(_KAMPUNG_TAIL)}"
        block = f"{rng.pick('ABCDEFG')}{rng.between(1, 12)}"
        alamat = f"PERUM {estate} BLOK {block} NO. {rng.between(1, 40)}"
    return Household(
        kk=kk,
        alamat=alamat,
        rt=f"{rng.between(1, 15):03d}",
        rw=f"{rng.between(1, 12):03d}",
        kec=kec,
        kel=rng.pick(kec.kelurahan),
    )


def birth_place(rng: Rng, region: RegionData, nik_kec: Kecamatan, age: int) -> str:
    """Where someone was born: mostly the town of first registration, else a nearby town."""
    if nik_kec.code[:4] != region.code and rng.random() < 0.7:
        return nik_kec.town
    if rng.random() < (0.8 if age < 30 else 0.55):
        return region.town
    return rng.pick(region.towns)


def unknown_birth_date(rng: Rng, birth: dt.date, today: dt.date) -> dt.date:
    """The registry's placeholder for an unknown birth date (never after ``today``).

    Year known only: 1 July (born 2004 or later) or 31 December (before); month known:
    the 15th.
    """
    if rng.random() < 0.3:
        placeholder = birth.replace(day=15)
    elif birth.year >= 2004:
        placeholder = dt.date(birth.year, 7, 1)
    else:
        placeholder = dt.date(birth.year, 12, 31)
    return placeholder if placeholder <= today else birth


class Population:
    """Streams the registry family by family (``families()``), deterministic per seed."""

    def __init__(
        self, options: SynthOptions, region: RegionData, pools: NamePools, shard: Shard
    ) -> None:
        self._options = options
        self._region = region
        self._shard = shard
        self._today = options.reference_date
        # The registry has its own random stream: list options never change it.
        self._rng = stream(options.seed, f"registry:{shard.index}")
        self._names = NameSampler(pools, self._rng)
        self._issuer = NumberIssuer(first_serial=1 + shard.index, step=shard.count)
        self._count = 0
        self._unknown_birth_date_rate = options.unknown_birth_date_rate
        self._nik_ganda_rate = options.nik_ganda_rate

    def families(self) -> Iterator[Family]:
        """Yield households until the shard's people exist; then late NIK-ganda rows."""
        rng = self._rng
        pending: list[tuple[int, int, Person]] = []  # (due family index, tie-break, record)
        index = 0
        while self._count < self._shard.people:
            family = self._family()
            for person in family.members:
                if person.other is not None:
                    due = index + rng.between(1, _GANDA_MAX_DELAY)
                    heapq.heappush(pending, (due, person.number, person.other))
            while pending and pending[0][0] <= index:
                family.records.append(heapq.heappop(pending)[2])
            yield family
            index += 1
        if pending:
            rest = [record for _, _, record in sorted(pending)]
            yield Family(members=[], records=rest)

    # --- one household ----------------------------------------------------------------

    def _family(self) -> Family:
        rng, names = self._rng, self._names
        kec = rng.pick(self._region.kecamatan)
        r = rng.random()
        if r < _SINGLE_SHARE:
            shape, head_sex = "single", (MALE if rng.random() < 0.6 else FEMALE)
        elif r < _SINGLE_SHARE + _FEMALE_HEAD_SHARE:
            shape, head_sex = "female_head", FEMALE
        else:
            shape, head_sex = "couple", MALE
        head_age = int(rng.triangular(22, 85, 36))
        head_birth = birth_for_age(rng, head_age, self._today)
        recorded = random_date(
            rng, max(KK_EARLIEST, add_years(head_birth, 17)), self._today - dt.timedelta(days=1)
        )
        home = make_household(rng, names, kec, self._issuer.kk(kec.code, recorded))

        head = self._person(head_sex, head_birth, home)
        members = [head]
        mother = head if shape == "female_head" else None
        if shape == "couple":
            mother = self._person(FEMALE, self._birth(max(18, head_age - rng.between(-2, 8))), home)
            members.append(mother)
        surname = last_word(head.name) if shape == "couple" else None
        infant = None
        if mother is not None:
            mother_age = self._age(mother)
            children = bisect.bisect(
                _CHILD_COUNT_CUMULATIVE, rng.random() * _CHILD_COUNT_CUMULATIVE[-1]
            )
            for _ in range(children):
                age = mother_age - rng.between(19, 42)
                if not 0 <= age <= 25:
                    continue  # not born yet, or left to found a family of their own
                sex, birth = rng.pick((MALE, FEMALE)), self._birth(age)
                name = names.name(sex, birth.year)
                if surname and rng.random() < _FATHERS_NAME_SHARE:
                    name = f"{name.split(' ')[0]} {surname}"
                child = self._person(sex, birth, home, name=name, mother=mother)
                members.append(child)
                if age == 0:
                    infant = child
        if rng.random() < _GRANDPARENT_SHARE and head_age + 18 <= 95:
            grandma_birth = self._birth(head_age + rng.between(18, min(35, 95 - head_age)))
            members.append(self._person(FEMALE, grandma_birth, home, name=head.mother))

        members = members[: self._shard.people - self._count]
        first_number = self._shard.first_number + self._count
        self._count += len(members)
        for number, person in enumerate(members, start=first_number):
            person.number = number
            if person.other is not None:
                person.other.number = number
        if mother is not None and not (18 <= self._age(mother) <= 45 and mother in members):
            mother = None
        if infant not in members:
            infant = None
        return Family(members=members, records=list(members), mother=mother, infant=infant)

    def _birth(self, age: int) -> dt.date:
        return birth_for_age(self._rng, age, self._today)

    def _age(self, person: Person) -> int:
        return int((self._today - person.birth).days / _DAYS_PER_YEAR)

    def _person(
        self,
        sex: int,
        birth: dt.date,
        home: Household,
        name: str | None = None,
        mother: Person | None = None,
    ) -> Person:
        """A resident living at ``home``; numbered later, once the family is cut to size."""
        random, region = self._rng.random, self._region  # hot path: one call per person
        age = int((self._today - birth).days / _DAYS_PER_YEAR)
        tags = ""
        if random() < self._unknown_birth_date_rate:
            placeholder = unknown_birth_date(self._rng, birth, self._today)
            if placeholder != birth:
                birth, tags = placeholder, truth.BIRTH_DATE_UNKNOWN
        ganda = random() < self._nik_ganda_rate
        r = random()
        if ganda or r >= _NIK_OTHER_KEC_SHARE + _NIK_ELSEWHERE_SHARE:
            nik_kec = home.kec
        elif r < _NIK_OTHER_KEC_SHARE:
            nik_kec = self._rng.pick(region.kecamatan)
        else:
            nik_kec = region.other_kecamatan(self._rng)
        # A NIK-ganda person was first registered elsewhere: usually born there too.
        first_kec = region.other_kecamatan(self._rng) if ganda else nik_kec
        person = Person(
            0,
            name or self._names.name(sex, birth.year),
            sex,
            birth,
            birth_place(self._rng, region, first_kec, age),
            mother.name if mother else self._names.name(FEMALE, birth.year - 25),
            self._issuer.nik(nik_kec.code, birth, sex),
            home,
            tags,
        )
        if ganda:
            person.other = self._ganda_record(person, first_kec)
        return person

    def _ganda_record(self, person: Person, kec: Kecamatan) -> Person:
        """The person's earlier record from ``kec``: own NIK, KK and address there."""
        rng = self._rng
        recorded = random_date(
            rng, max(KK_EARLIEST, person.birth), self._today - dt.timedelta(days=365)
        )
        home = make_household(rng, self._names, kec, self._issuer.kk(kec.code, recorded))
        tags = [truth.NIK_GANDA]
        name = person.name
        if rng.random() < self._options.ganda_name_variant_rate:
            name = name_variant(name, rng, person.sex, adult=False, kinds=REGISTRY_VARIANTS)
            tags.append(truth.NAME_VARIANT)
        if person.tags:
            tags.append(person.tags)
        return Person(
            number=0,
            name=name,
            sex=person.sex,
            birth=person.birth,
            birth_place=person.birth_place,
            mother=person.mother,
            nik=self._issuer.nik(kec.code, person.birth, person.sex),
            home=home,
            tags=";".join(tags),
            other=person,
        )
