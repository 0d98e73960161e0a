"""The independent generator (``benchmarks/independent``): deterministic, readable, scorable.

* same seed → same bytes, another seed → other data;
* ``padan check`` with the siak/ckg profiles finds only problems the truth file explains
  (the injected damage), and finds the injected NIK damage;
* ``padan evaluate`` accepts its truth file: worklists that follow truth score 1.0.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from padan.cli import app

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 400
runner = CliRunner()

# padan check's problem code → truth labels that explain it on the same row
EXPLAINED_BY: dict[str, set[str]] = {
    "nik_missing": {"nik_missing"},
    "nik_scientific": {"nik_excel_sci"},
    "nik_serial_zero": {"nik_excel_trunc", "nik_one_digit"},
    "nik_date_invalid": {"nik_one_digit"},
    "nik_region_unknown": {"nik_one_digit"},
    "nik_sex_mismatch": {"nik_one_digit", "bayi_mother_nik"},
    "nik_birthdate_mismatch": {
        "year_off_by_one",
        "day_month_swapped",
        "nik_one_digit",
        "bayi_mother_nik",
        "nik_ganda_other",
    },
    "kk_missing": {"kk_missing"},
    "name_baby_of": {"bayi_mother_nik"},
}
ALWAYS_ALLOWED = {"birth_date_ambiguous"}  # a notice on every day ≤ 12, not damage
# truth label → the problem padan check must report for it
MUST_REPORT = {"nik_missing": "nik_missing", "nik_excel_sci": "nik_scientific"}


@pytest.fixture(scope="module")
def generate():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))
        from benchmarks.independent import generate

        yield generate


@pytest.fixture(scope="module")
def data(generate, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("independent")
    generate(out, people=PEOPLE, seed=7)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def truth_labels(data: Path) -> dict[tuple[str, int], set[str]]:
    return {
        (t["source"], int(t["row"])): set(filter(None, t["errors"].split(";")))
        for t in read_csv(data / "truth.csv")
    }


def test_same_seed_same_bytes_other_seed_other_data(generate, data, tmp_path) -> None:
    generate(tmp_path / "again", people=PEOPLE, seed=7)
    generate(tmp_path / "other", people=PEOPLE, seed=8)
    names = sorted(p.name for p in data.iterdir())
    assert names == ["ckg_puskesmas_1.csv", "ckg_puskesmas_2.csv", "siak.csv", "truth.csv"]
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (data / name).read_bytes()
    assert (tmp_path / "other" / "siak.csv").read_bytes() != (data / "siak.csv").read_bytes()


def test_truth_covers_every_row_and_the_hard_cases(data) -> None:
    truth = read_csv(data / "truth.csv")
    for name in ("siak.csv", "ckg_puskesmas_1.csv", "ckg_puskesmas_2.csv"):
        rows = len(read_csv(data / name))
        assert sorted(int(t["row"]) for t in truth if t["source"] == name) == list(
            range(2, rows + 2)
        )
    labels = Counter(e for t in truth for e in t["errors"].split(";") if e)
    for label in ("lookalike", "nik_ganda_second", "year_off_by_one", "not_in_registry",
                  "nik_excel_sci", "nik_one_digit", "bayi_mother_nik", "repeat_visit"):  # fmt: skip
        assert labels[label] > 0, label


@pytest.mark.parametrize(
    ("profile", "files"),
    [("siak", ["siak.csv"]), ("ckg", ["ckg_puskesmas_1.csv", "ckg_puskesmas_2.csv"])],
)
def test_check_finds_only_the_injected_damage(data, tmp_path, profile, files) -> None:
    problems_csv, report = tmp_path / "problems.csv", tmp_path / "report.json"
    args = ["check", *(str(data / f) for f in files), "--profile", profile]
    result = runner.invoke(app, [*args, "--json", str(report), "--problems", str(problems_csv)])
    assert result.exit_code == 0, result.output
    assert all(f["profile"] == profile for f in json.loads(report.read_text())["files"])
    labels = truth_labels(data)
    reported: dict[tuple[str, int], set[str]] = defaultdict(set)
    for problem in read_csv(problems_csv):
        key = (Path(problem["source"]).name, int(problem["row"]))
        code = problem["problem"]
        reported[key].add(code)
        if code not in ALWAYS_ALLOWED:
            assert EXPLAINED_BY.get(code, set()) & labels[key], (key, code, labels[key])
    for key, row_labels in labels.items():
        if key[0] in files:
            for label, code in MUST_REPORT.items():
                if label in row_labels:
                    assert code in reported[key], (key, label)


def test_evaluate_accepts_truth_and_scores_an_oracle_perfectly(data, tmp_path) -> None:
    truth = read_csv(data / "truth.csv")
    sides: dict[str, set[str]] = defaultdict(set)
    registry_count: Counter[str] = Counter()
    for t in truth:
        sides[t["dataset"]].add(t["person_id"])
        registry_count[t["person_id"]] += t["dataset"] == "registry"
    both = sides["registry"] & sides["list"]
    columns = ["padan_status", "padan_match_id", "padan_dup_group", "padan_source", "padan_row"]
    worklists = []
    for side in ("registry", "list"):
        path = tmp_path / f"{side}.csv"
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for t in truth:
                if t["dataset"] == side:
                    person = t["person_id"]
                    dup = person if side == "registry" and registry_count[person] > 1 else ""
                    match = person if person in both else ""
                    writer.writerow(["COCOK", match, dup, t["source"], t["row"]])
        worklists += ["--worklist", str(path)]
    out = tmp_path / "evaluation.json"
    args = ["evaluate", "--truth", str(data / "truth.csv"), *worklists, "--json", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = json.loads(out.read_text())
    assert scores["link"]["f1"] == 1.0
    assert scores["nik_ganda"]["f1"] == 1.0
    assert scores["nik_ganda"]["relevant"] > 0
    assert all(w["unknown_rows"] == 0 for w in scores["worklists"])
