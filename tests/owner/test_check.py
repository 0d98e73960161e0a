"""``padan check``: a date is ambiguous only when the file's own dates leave the order open."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from padan.owner.check import check_files
from padan.owner.normalise import DateOrderTally, date_order

HEADER = "NIK,NAMA_LGKP,JENIS_KLMIN,TGL_LHR\n"


def _write(path: Path, dates: list[str]) -> Path:
    # Synthetic people only; NIK left empty so that only the date findings matter here.
    rows = "".join(f",Warga Contoh {i},1,{d}\n" for i, d in enumerate(dates))
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _ambiguous(path: Path, problems: Path | None = None) -> int:
    report = check_files([path], profile="siak", problems_csv=problems)
    return sum(p.count for p in report.problems if p.code == "birth_date_ambiguous")


def test_day_first_file_has_no_ambiguous_dates(tmp_path: Path) -> None:
    # A clean SIAK export: 17-08-1975 shows the file writes the day first.
    dates = ["17-08-1975", "05-06-1990", "03-04-1980", "28-02-2001", "11-12-1965"]
    assert _ambiguous(_write(tmp_path / "siak.csv", dates)) == 0


def test_a_few_month_first_typos_do_not_unsettle_a_day_first_file(tmp_path: Path) -> None:
    dates = [f"{13 + i % 15}-0{1 + i % 9}-1980" for i in range(40)] + ["08/17/1975"]
    dates += ["05-06-1990"]
    report = check_files([_write(tmp_path / "siak.csv", dates)], profile="siak")
    codes = {p.code: p.count for p in report.problems}
    assert codes.get("birth_date_month_first") == 1  # the typo is reported on its own
    assert "birth_date_ambiguous" not in codes


@pytest.mark.parametrize(
    ("dates", "ambiguous"),
    [
        (["05-06-1990", "03-04-1980"], 2),  # nothing settles the order
        (["08/17/1975", "05/06/1990"], 1),  # month-first file, read day first: in doubt
        (["17-08-1975", "08/17/1975", "05-06-1990"], 1),  # both orders in one file
    ],
)
def test_ambiguous_when_the_file_does_not_settle_the_order(
    tmp_path: Path, dates: list[str], ambiguous: int
) -> None:
    problems = tmp_path / "problems.csv"
    assert _ambiguous(_write(tmp_path / "list.csv", dates), problems) == ambiguous
    with problems.open(encoding="utf-8-sig", newline="") as handle:
        written = [row["problem"] for row in csv.DictReader(handle)]
    assert written.count("birth_date_ambiguous") == ambiguous


def test_each_file_decides_its_own_order(tmp_path: Path) -> None:
    day_first = _write(tmp_path / "a.csv", ["17-08-1975", "05-06-1990"])
    open_order = _write(tmp_path / "b.csv", ["05-06-1990"])
    report = check_files([day_first, open_order], profile="siak")
    ambiguous = [p for p in report.problems if p.code == "birth_date_ambiguous"]
    assert [p.count for p in ambiguous] == [1]
    assert ambiguous[0].examples[0].startswith(str(open_order))


def test_date_order_evidence() -> None:
    assert date_order("17-08-1975") == "day_first"
    assert date_order("08/17/1975 10:30") == "month_first"
    for neutral in ("05-06-1990", "1975-08-17", "17 Agustus 1975", "27623", ""):
        assert date_order(neutral) is None
    tally = DateOrderTally()
    assert tally.order is None
    for raw in ["17-08-1975"] * 19 + ["08/17/1975"]:
        tally.add(raw)
    assert tally.order == "day_first"  # 95% settle it
    tally.add("08/18/1975")
    assert tally.order is None
