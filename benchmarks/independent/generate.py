"""Write the registry, two CKG lists and the truth file for ``padan evaluate``.

``generate(out, people=N, seed=S)`` writes to ``out``:

* ``siak.csv`` — the registry (SIAK columns, ``JENIS_KLMIN`` 1/2, dates ``DD-MM-YYYY``);
* ``ckg_puskesmas_1.csv`` — a list with ``NIK PASIEN, NAMA PASIEN, JK (L/P), TGL LAHIR``
  … (dates ``DD-MM-YYYY`` or ``DD/MM/YYYY``);
* ``ckg_puskesmas_2.csv`` — a list with ``NIK, Nama Lengkap, Jenis Kelamin, Tanggal
  Lahir`` … (ISO dates, ``17 Agustus 1975`` or Excel serial numbers; RT/RW in the address);
* ``truth.csv`` — ``dataset,source,row,person_id,errors`` (``padan evaluate``'s format).

Same arguments, same bytes. The error model is described in ``README.md``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import numpy as np
from faker import Faker

from benchmarks.independent import damage
from benchmarks.independent.population import (
    LAST_YEAR,
    Home,
    Person,
    PopulationBuilder,
    random_date,
)

REGISTRY_FILE = "siak.csv"
LIST_FILES = ("ckg_puskesmas_1.csv", "ckg_puskesmas_2.csv")
TRUTH_FILE = "truth.csv"
SIAK_HEADER = (
    "NIK", "NO_KK", "NAMA_LGKP", "JENIS_KLMIN", "TMPT_LHR", "TGL_LHR", "NAMA_LGKP_IBU",
    "ALAMAT", "NO_RT", "NO_RW", "NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL",
)  # fmt: skip
LIST_HEADERS = (
    (
        "NO RM", "NIK PASIEN", "NAMA PASIEN", "JK (L/P)", "TEMPAT LAHIR", "TGL LAHIR",
        "NAMA IBU", "NO KK", "ALAMAT", "RT", "RW", "TGL PERIKSA",
    ),
    (
        "No Registrasi", "NIK", "Nama Lengkap", "Jenis Kelamin", "Tanggal Lahir",
        "Nomor KK", "Alamat Domisili", "Puskesmas", "Tanggal Kunjungan",
    ),
)  # fmt: skip
TRUTH_HEADER = ("dataset", "source", "row", "person_id", "errors")
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (0.10, 0.15, 0.22, 0.25, 0.18, 0.10)


@dataclass(frozen=True, slots=True)
class ErrorModel:
    """Rates of the independent error model (shares of registry people or list rows)."""

    # registry
    lookalike_rate: float = 0.04  # registry people given a registry lookalike
    nik_ganda_rate: float = 0.02  # registry adults with a second record and NIK
    unknown_date_rate: float = 0.03  # registry dates held as 31 Dec / 1 Jul
    # who is on the lists
    visit_rate: float = 0.3  # registry people with a list row
    repeat_rate: float = 0.1  # list people with a second visit (other file: 30%)
    outsider_rate: float = 0.06  # list rows of people not in the registry ...
    outsider_lookalike_share: float = 0.4  # ... of which lookalikes of a registry person
    bayi_rate: float = 0.02  # list rows "BAYI NY. <mother>" under the mother's NIK
    bayi_registered_share: float = 0.4
    ganda_other_nik_share: float = 0.5  # NIK-ganda visitors showing their other NIK
    # damage to list rows
    year_off_rate: float = 0.04
    day_month_swap_rate: float = 0.02
    nik_missing_rate: float = 0.03
    nik_sci_rate: float = 0.02
    nik_trunc_rate: float = 0.02
    nik_digit_rate: float = 0.03
    year_off_nik_lost_rate: float = 0.01  # both at once: birth year off, NIK blank/damaged
    kk_old_rate: float = 0.06
    kk_missing_rate: float = 0.15
    name_spelling_rate: float = 0.08
    name_title_rate: float = 0.05
    nickname_rate: float = 0.015
    name_short_rate: float = 0.03
    name_swap_rate: float = 0.03
    moved_rate: float = 0.05  # list address differs from the registry's

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{spec.name} must be within [0, 1], not {value}")


@dataclass(slots=True)
class Visit:
    """One list row before it is written: what the clerk typed and the truth labels."""

    person: Person
    nik: str
    kk: str
    name: str
    born: date | None
    home: Home
    file: int
    visited: date
    errors: list[str]


@dataclass(frozen=True, slots=True)
class Summary:
    """What ``generate`` wrote."""

    registry_rows: int
    list_rows: tuple[int, ...]
    files: tuple[Path, ...]


class _Generator:
    """One run: the builder, the random source and the error model."""

    def __init__(self, people: int, seed: int, model: ErrorModel) -> None:
        self.rng = np.random.default_rng(seed)
        fake = Faker("id_ID")
        fake.seed_instance(seed)
        self.builder = PopulationBuilder(self.rng, fake, model.unknown_date_rate)
        self.model = model
        self.target = people

    def chance(self, rate: float) -> bool:
        """True with probability ``rate``."""
        return bool(self.rng.random() < rate)

    # -- population ------------------------------------------------------------------

    def registry_people(self) -> list[Person]:
        """Households up to the target size, then lookalike pairs and second NIKs."""
        builder, model = self.builder, self.model
        households = int(self.target * (1 - model.lookalike_rate))
        while len(builder.people) < households:
            size = int(self.rng.choice(HOUSEHOLD_SIZES, p=HOUSEHOLD_WEIGHTS))
            builder.household(min(size, households - len(builder.people)))
        residents = list(builder.people)
        anchors = self.rng.choice(len(residents), self.target - households, replace=False)
        for index in sorted(anchors):
            builder.lookalike(residents[int(index)], in_registry=True)
        adults = [p for p in builder.people if p.born.year <= LAST_YEAR - 18]
        for index in sorted(self.rng.choice(len(adults), int(len(adults) * model.nik_ganda_rate))):
            builder.give_second_nik(adults[int(index)])
        return list(builder.people)

    def visits(self, registry: Sequence[Person]) -> list[Visit]:
        """List rows: visitors, repeat visits, outsiders (some lookalikes), newborns."""
        model, builder, rng = self.model, self.builder, self.rng
        visitors = [p for p in registry if self.chance(model.visit_rate)]
        base = len(visitors)
        rows = [self.visit(p, []) for p in visitors]
        for _ in range(int(base * model.outsider_rate)):
            if self.chance(model.outsider_lookalike_share):
                anchor = registry[int(rng.integers(len(registry)))]
                person = builder.lookalike(anchor, in_registry=False)
                rows.append(self.visit(person, ["not_in_registry", "lookalike_in_registry"]))
            else:
                rows.append(self.visit(builder.outsider(), ["not_in_registry"]))
        mothers = [p for p in registry if p.sex == "P" and 1983 <= p.born.year <= 2005]
        for _ in range(int(base * model.bayi_rate) if mothers else 0):
            mother = mothers[int(rng.integers(len(mothers)))]
            registered = self.chance(model.bayi_registered_share)
            baby = builder.baby(mother, registered=registered)
            labels = ["bayi_mother_nik"] + ([] if registered else ["not_in_registry"])
            row = self.visit(baby, labels)
            row.nik, row.kk, row.name = mother.nik, mother.home.kk, f"BAYI NY. {mother.name}"
            rows.append(row)
        repeats = [r for r in rows if self.chance(model.repeat_rate)]
        for first in repeats:
            again = self.visit(first.person, [e for e in first.errors if e != "bayi_mother_nik"])
            again.errors.append("repeat_visit")
            if "bayi_mother_nik" in first.errors:
                again.nik, again.kk, again.name = first.nik, first.kk, first.name
                again.errors.append("bayi_mother_nik")
            if self.chance(0.3):
                again.file = 1 - first.file
            rows.append(again)
        for row in rows:
            self.damage(row)
        return rows

    def visit(self, person: Person, errors: list[str]) -> Visit:
        """An undamaged list row for ``person`` (a NIK-ganda person may show either NIK)."""
        nik, home = person.nik, person.home
        errors = list(errors)
        if person.ganda is not None and self.chance(self.model.ganda_other_nik_share):
            nik = person.ganda.nik
            errors.append("nik_ganda_other")
        file = 0 if person.home.region[-2:] in ("01", "02", "03") else 1
        visited = random_date(self.rng, date(LAST_YEAR, 2, 10), date(LAST_YEAR, 11, 30))
        return Visit(person, nik, home.kk, person.name, person.born, home, file, visited, errors)

    # -- damage ----------------------------------------------------------------------

    def damage(self, row: Visit) -> None:
        """Apply the list error model to ``row`` in place, recording each damage."""
        model, rng = self.model, self.rng
        errors = row.errors
        both = self.chance(model.year_off_nik_lost_rate)
        if row.born is not None and (both or self.chance(model.year_off_rate)):
            row.born = damage.year_off_by_one(row.born, rng)
            errors.append("year_off_by_one")
        elif row.born is not None and self.chance(model.day_month_swap_rate):
            swapped = damage.day_month_swapped(row.born)
            if swapped is not None:
                row.born = swapped
                errors.append("day_month_swapped")
        nik_damage: list[tuple[str, float, Callable[[str], str]]] = [
            ("nik_missing", model.nik_missing_rate, lambda _: ""),
            ("nik_excel_sci", model.nik_sci_rate, damage.excel_scientific),
            ("nik_excel_trunc", model.nik_trunc_rate, damage.excel_truncated),
            ("nik_one_digit", model.nik_digit_rate, lambda n: damage.one_wrong_digit(n, rng)),
        ]
        if both:
            kind, _, apply = nik_damage[int(rng.integers(3))]
            row.nik = apply(row.nik)
            errors.append(kind)
        else:
            draw, edge = rng.random(), 0.0
            for kind, rate, apply in nik_damage:
                edge += rate
                if draw < edge:
                    row.nik = apply(row.nik)
                    errors.append(kind)
                    break
        if self.chance(model.kk_missing_rate):
            row.kk = ""
            errors.append("kk_missing")
        elif self.chance(model.kk_old_rate):
            row.kk = row.home.old_kk
            errors.append("kk_old")
        self.damage_name(row)
        if self.chance(model.moved_rate):
            row.home = self.builder.home(row.home.region)
            row.kk = row.home.kk if row.kk else ""
            errors.append("address_moved")

    def damage_name(self, row: Visit) -> None:
        """Spelling variants, titles, call names, first name only, swapped order."""
        model, rng, sex = self.model, self.rng, row.person.sex
        if row.name.startswith("BAYI NY."):
            return
        if self.chance(model.nickname_rate):
            row.name = damage.nickname(sex, rng)
            row.errors.append("nickname")
            return
        steps: list[tuple[str, float, Callable[[str], str | None]]] = [
            ("name_spelling", model.name_spelling_rate, lambda n: damage.spelling_variant(n, rng)),
            ("name_short", model.name_short_rate, damage.short_name),
            ("name_order_swapped", model.name_swap_rate, lambda n: damage.swapped_order(n, rng)),
            ("name_title", model.name_title_rate, lambda n: damage.with_title(n, sex, rng)),
        ]
        for kind, rate, apply in steps:
            if self.chance(rate):
                changed = apply(row.name)
                if changed is not None and changed != row.name:
                    row.name = changed
                    row.errors.append(kind)


# -- writing -------------------------------------------------------------------------


def _registry_rows(people: Sequence[Person]) -> list[tuple[list[str], str, str]]:
    """(SIAK row, person id, truth errors) for every registry record, NIK ganda included."""
    rows = []
    for p in people:
        records = [(p.nik, p.name, p.born, p.home, list(p.tags))]
        if p.ganda is not None:
            g = p.ganda
            records.append((g.nik, g.name, g.born, g.home, ["nik_ganda_second"]))
        for nik, name, born, home, tags in records:
            region = home.region
            line = [
                nik, home.kk, name, "1" if p.sex == "L" else "2", p.birth_place,
                damage.format_dmy(born, "-"), p.mother, home.address, home.rt, home.rw,
                region[:2], region[2:4], region[4:6], home.kelurahan,
            ]  # fmt: skip
            rows.append((line, p.pid, ";".join(tags)))
    return rows


def _list_line(row: Visit, number: int, rng: np.random.Generator) -> list[str]:
    """The cells of ``row`` in its file's layout and date format."""
    p, home = row.person, row.home
    born = row.born
    if row.file == 0:
        separator = "-" if rng.random() < 0.8 else "/"
        return [
            f"RM{number:06d}", row.nik, row.name, p.sex, p.birth_place,
            damage.format_dmy(born, separator) if born else "", p.mother, row.kk,
            home.address, str(int(home.rt)), str(int(home.rw)),
            damage.format_dmy(row.visited, "-"),
        ]  # fmt: skip
    draw = rng.random()
    if born is None:
        born_text = ""
    elif draw < 0.55:
        born_text = born.isoformat()
    elif draw < 0.8:
        born_text = damage.format_text_month(born)
        row.errors.append("date_text_month")
    else:
        born_text = damage.format_excel_serial(born)
        row.errors.append("date_excel_serial")
    return [
        f"REG-{number:05d}", row.nik, row.name.title(),
        "Laki-laki" if p.sex == "L" else "Perempuan", born_text, row.kk,
        f"{home.address.title()} RT {home.rt} RW {home.rw}",
        "Puskesmas Dua", row.visited.isoformat(),
    ]  # fmt: skip


def _csv_bytes(header: Sequence[str], lines: Sequence[Sequence[str]]) -> bytes:
    """A UTF-8 CSV with ``\n`` line ends (the same bytes on every platform)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


def generate(out: Path, *, people: int, seed: int, model: ErrorModel | None = None) -> Summary:
    """Generate ``people`` registry people and their CKG lists into ``out``."""
    if people < 10:
        raise ValueError("people must be at least 10")
    run = _Generator(people, seed, model or ErrorModel())
    registry_people = run.registry_people()
    visits = run.visits(registry_people)
    registry_people = [p for p in run.builder.people if p.in_registry]  # + registered babies
    registry = _registry_rows(registry_people)
    order = run.rng.permutation(len(registry))
    truth: list[list[str]] = []
    siak_lines = []
    for row_number, index in enumerate(order, start=2):
        line, pid, tags = registry[int(index)]
        siak_lines.append(line)
        truth.append(["registry", REGISTRY_FILE, str(row_number), pid, tags])
    files = [(out / REGISTRY_FILE, _csv_bytes(SIAK_HEADER, siak_lines))]
    visits.sort(key=lambda v: v.visited)
    list_rows = []
    for file_index, name in enumerate(LIST_FILES):
        rows = [v for v in visits if v.file == file_index]
        lines = [_list_line(v, n, run.rng) for n, v in enumerate(rows, start=1)]
        for row_number, v in enumerate(rows, start=2):
            truth.append(["list", name, str(row_number), v.person.pid, ";".join(v.errors)])
        files.append((out / name, _csv_bytes(LIST_HEADERS[file_index], lines)))
        list_rows.append(len(rows))
    files.append((out / TRUTH_FILE, _csv_bytes(TRUTH_HEADER, truth)))
    out.mkdir(parents=True, exist_ok=True)
    for path, content in files:
        path.write_bytes(content)
    return Summary(len(siak_lines), tuple(list_rows), tuple(path for path, _ in files))
