"""``padan check`` through the CLI and through ``check_files``: report, JSON, problems CSV."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from padan.cli import app
from padan.owner.check import check_files
from padan.owner.identifiers import PROBLEMS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "check-sample.csv"
runner = CliRunner()


def sample_identifiers() -> set[str]:
    """Every NIK/KK of the sample as digits (10+ digits: what must never be shown)."""
    with open(EXAMPLE, newline="") as handle:
        return {
            digits
            for row in csv.DictReader(handle)
            for value in (row["NIK PASIEN"], row["NO KK"])
            if len(digits := re.sub(r"\D", "", value)) >= 10
        }


def assert_no_raw_identifier(text: str) -> None:
    for number in sample_identifiers():
        assert number not in text


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("check")
    result = runner.invoke(
        app,
        [
            "check", str(EXAMPLE),
            "--json", str(out / "report.json"),
            "--problems", str(out / "problems.csv"),
        ],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    return result, out


def test_check_prints_every_problem_class(checked) -> None:
    result, _ = checked
    assert result.exit_code == 0, result.output
    for code in PROBLEMS:
        assert code in result.output
    assert "Baris dibaca (rows read): 35" in result.output
    assert "NIK valid: 27 (77.1%)" in result.output
    assert "3673********9001" in result.output  # examples are masked
    assert_no_raw_identifier(result.output)


def test_json_report(checked) -> None:
    _, out = checked
    report = json.loads((out / "report.json").read_text())
    assert report["format"] == "padan-check/1"
    assert report["rows"] == 35
    assert report["nik"] == {"mapped": True, "valid": 27, "valid_share": 0.771429, "partial": 5}
    problems = {p["code"]: p for p in report["problems"]}
    assert set(problems) == set(PROBLEMS)
    assert problems["nik_scientific"]["count"] == 1
    assert problems["nik_scientific"]["label"] == {
        "id": PROBLEMS["nik_scientific"].id,
        "en": PROBLEMS["nik_scientific"].en,
    }
    (file_report,) = report["files"]
    assert file_report["profile"] == "ckg"
    assert file_report["read_as"] == {"format": "csv", "encoding": "utf-8", "delimiter": ","}
    assert file_report["ragged_rows"] == 1
    assert_no_raw_identifier((out / "report.json").read_text())


def test_problems_csv(checked) -> None:
    _, out = checked
    with open(out / "problems.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["source", "row", "field", "problem", "label_id", "label_en", "detail"]
    assert {r["problem"] for r in rows} == set(PROBLEMS)
    scientific = next(r for r in rows if r["problem"] == "nik_scientific")
    assert (scientific["row"], scientific["field"], scientific["detail"]) == (
        "6",
        "nik",
        "3.673**E+**",
    )
    assert_no_raw_identifier((out / "problems.csv").read_text(encoding="utf-8-sig"))


def test_report_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    for path in (first, second):
        assert runner.invoke(app, ["check", str(EXAMPLE), "--json", str(path)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_several_files_and_a_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Pasien"
    sheet.append(["NIK", "NAMA", "TGL LAHIR", "JK"])
    sheet.append([3673015708759000, "Siti", "17-08-1975", "P"])
    book.save(tmp_path / "pkm.xlsx")
    report = check_files([EXAMPLE, tmp_path / "pkm.xlsx"], sheet=None)
    assert report.rows == 36
    assert [f.read_as["format"] for f in report.files] == ["csv", "workbook"]
    assert report.files[1].read_as["sheet"] == "Pasien"
    counts = {p.code: p.count for p in report.problems}
    assert counts["nik_truncated"] == 2


def test_map_and_profile_options(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("NOMOR,WARGA,LAHIR\n3673015708759001,Siti,17-08-1975\n")
    maps = ["--map", "nik=NOMOR", "--map", "name=WARGA", "--profile", "ckg"]
    result = runner.invoke(app, ["check", str(path), *maps])
    assert result.exit_code == 1  # LAHIR is not a known birth-date header: say so
    assert "--allow-missing birth_date" in result.output
    result = runner.invoke(app, ["check", str(path), *maps, "--map", "birth_date=LAHIR"])
    assert result.exit_code == 0, result.output
    assert "NIK valid: 1 (100.0%)" in result.output


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    check_files([EXAMPLE], progress=lambda *args: seen.append(args))
    size = EXAMPLE.stat().st_size
    assert seen[-1] == (str(EXAMPLE), size, size)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (bytes(range(256)) * 8, "not a text file"),
        (b"A,B\n1,2\n", "no input profile fits"),
    ],
)
def test_unreadable_input_exits_1_with_one_line(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_bad_map(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1 and "file not found" in result.output
    result = runner.invoke(app, ["check", str(EXAMPLE), "--map", "nama=NAMA"])
    assert result.exit_code == 1 and "unknown field 'nama'" in result.output


def test_wrong_profile_lists_columns(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["check", str(EXAMPLE), "--profile", "siak"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1
    assert "columns found: No Registrasi, NIK PASIEN" in result.output
