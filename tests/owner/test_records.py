"""From rows to Records: one Record per row, normalised fields, masked problem details."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import openpyxl
import pytest

from padan.core.errors import InputError
from padan.owner.identifiers import PROBLEMS
from padan.owner.records import read_records

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "check-sample.csv"

SIAK_CSV = (
    "NIK,NO_KK,NAMA_LGKP,JENIS_KLMIN,TMPT_LHR,TGL_LHR,NAMA_LGKP_IBU,ALAMAT,NO_RT,NO_RW,"
    "NO_PROP,NO_KAB,NO_KEC,NO_KEL\n"
    "3673015708759001,3673011203109001,SITI AMINAH,2,SERANG,17-08-1975,ROHANAH,"
    "KP. KALORAN NO. 5,003,002,36,73,01,1001\n"
    "3673011708759002,3673011203109001,MOCH. DJOKO,1,TJILEGON,17-08-1975,SUMINAH,"
    "KP. KALORAN NO. 5,003,002,36,73,01,1001\n"
)


def codes(record) -> list[str]:
    return [p.code for p in record.problems]


LACKING = ("nik", "birth_date")  # files here that lack a column on purpose


def test_siak_rows_become_normalised_records(tmp_path: Path) -> None:
    path = tmp_path / "siak.csv"
    path.write_text(SIAK_CSV)
    first, second = read_records([path])
    assert first.ref.row == 2 and second.ref.row == 3
    assert first.nik == first.nik_prefix == "3673015708759001"
    assert first.kk == "3673011203109001"
    assert (first.name, first.sex, first.birth_date) == ("siti aminah", "P", dt.date(1975, 8, 17))
    assert (first.birth_place, first.mother_name) == ("serang", "rohanah")
    assert (first.address, first.rt, first.rw) == ("kampung kaloran nomor 5", "3", "2")
    assert first.problems == []
    assert (second.name, second.sex, second.birth_place) == ("muhammad joko", "L", "cilegon")


def test_every_row_yields_exactly_one_record_in_order() -> None:
    with open(EXAMPLE, newline="") as handle:
        data_rows = sum(1 for _ in csv.reader(handle)) - 1
    records = list(read_records([EXAMPLE]))
    assert len(records) == data_rows
    assert [r.ref.row for r in records] == list(range(2, data_rows + 2))


def test_sample_problems_are_attached_to_their_rows() -> None:
    by_row = {r.ref.row: r for r in read_records([EXAMPLE])}
    scientific = by_row[6]
    assert "nik_scientific" in codes(scientific)
    assert scientific.nik is None and scientific.nik_prefix == "36730"
    assert "nik_truncated" in codes(by_row[7])
    assert by_row[7].nik_prefix == "367301520880900"
    assert by_row[35].name == "siti aminah" and "name_baby_of" in codes(by_row[35])
    assert "row_ragged" in codes(by_row[36])
    assert by_row[30].birth_date_ambiguous
    assert {c for r in by_row.values() for c in codes(r)} == set(PROBLEMS)


def test_no_raw_nik_or_kk_in_any_problem_detail() -> None:
    with open(EXAMPLE, newline="") as handle:
        identifiers = {
            digits
            for row in csv.DictReader(handle)
            for value in (row["NIK PASIEN"], row["NO KK"])
            if len(digits := re.sub(r"\D", "", value)) >= 10
        }
    details = [p.detail for r in read_records([EXAMPLE]) for p in r.problems]
    assert any("****" in detail for detail in details)
    for detail in details:
        assert re.search(r"\d{7,}", detail) is None, detail
        assert not any(number in detail for number in identifiers)


def test_a_nik_typed_into_another_column_is_masked_in_details(tmp_path: Path) -> None:
    path = tmp_path / "ckg.csv"
    path.write_text(
        "NAMA,TGL LAHIR,JK\nSiti,3673015708759001,L\nAni,3673 0157 0875 9002,3673015708759003\n"
    )
    first, second = read_records([path], allow_missing=LACKING)
    assert codes(first) == ["birth_date_invalid"]
    assert first.problems[0].detail == "3673********9001"
    assert [p.detail for p in second.problems] == ["3673********9003", "3673 **** **** 9002"]


def test_sex_and_birth_date_disagreeing_with_the_nik(tmp_path: Path) -> None:
    path = tmp_path / "ckg.csv"
    path.write_text("NIK,NAMA,JK,TGL LAHIR\n3673015708759001,Budi,L,18-08-1975\n")
    (record,) = read_records([path])
    assert codes(record) == ["nik_sex_mismatch", "nik_birthdate_mismatch"]
    assert record.nik == "3673015708759001"  # a disagreement, not damage
    assert record.problems[0].detail.startswith("3673********9001")


def test_xlsx_number_cells_reveal_excel_damage(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["NIK PASIEN", "NAMA PASIEN", "TGL LAHIR", "JK"])
    sheet.append([3673015708759000, "Siti", dt.date(1975, 8, 17), "P"])  # number cell
    sheet.append(["3673015708759010", "Ani", 27623, "P"])  # text cell, Excel date serial
    book.save(tmp_path / "ckg.xlsx")
    damaged, intact = read_records([tmp_path / "ckg.xlsx"])
    assert damaged.nik is None and damaged.nik_prefix == "367301570875900"
    assert codes(damaged) == ["nik_truncated"]
    assert damaged.birth_date == dt.date(1975, 8, 17)
    assert intact.nik == "3673015708759010" and intact.problems == []
    assert intact.birth_date == dt.date(1975, 8, 17)


def test_febrl_rows(tmp_path: Path) -> None:
    path = tmp_path / "febrl.csv"
    path.write_text(
        "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode,"
        " state, date_of_birth, soc_sec_id\n"
        "rec-1-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, nsw,"
        " 19151111, 5304218\n"
    )
    (record,) = read_records([path], allow_missing=LACKING)
    assert record.name == "mikhaela neumann"  # ch→kh, as on the other side of the match
    assert record.address == "8 stanley street miami winston hills 4223 nsw"
    assert record.birth_date == dt.date(1915, 11, 11)
    assert record.local_id == "rec-1-org"
    assert record.nik is None and record.problems == []


def test_each_file_gets_its_own_profile(tmp_path: Path) -> None:
    siak = tmp_path / "siak.csv"
    siak.write_text(SIAK_CSV)
    ckg = tmp_path / "ckg.csv"
    ckg.write_text("NIK PASIEN,NAMA PASIEN\n3673015708759001,Hj. Siti Aminah\n")
    names = [
        (Path(r.ref.source).name, r.name) for r in read_records([siak, ckg], allow_missing=LACKING)
    ]
    assert names == [
        ("siak.csv", "siti aminah"),
        ("siak.csv", "muhammad joko"),
        ("ckg.csv", "siti aminah"),
    ]


def test_profile_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("A,B\n1,2\n")
    with pytest.raises(InputError, match=r"odd\.csv: no input profile fits"):
        list(read_records([path]))


def test_overrides_apply(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("NOMOR,WARGA\n3673015708759001,Siti\n")
    (record,) = read_records(
        [path], profile="ckg", overrides={"nik": "NOMOR", "name": "WARGA"}, allow_missing=LACKING
    )
    assert (record.nik, record.name) == ("3673015708759001", "siti")


def test_a_file_without_nik_or_birth_date_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "ckg.csv"
    path.write_text("NAMA,TGL LAHIR\nSiti,17-08-1975\n")
    with pytest.raises(InputError, match=r"no nik column.*--allow-missing nik.*COCOK"):
        list(read_records([path]))
    (record,) = read_records([path], allow_missing=["nik"])
    assert record.name and record.nik is None
    with pytest.raises(InputError, match="--allow-missing takes nik or birth_date"):
        list(read_records([path], allow_missing=["kk"]))
