"""Row fingerprints: equal across re-saves (CSV ↔ XLSX), different for changed content."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from padan.owner.fingerprint import RowFingerprinter, canonical_cell, fingerprint_key_check
from padan.owner.read import read_rows

KEY = b"k" * 32


@pytest.mark.parametrize(
    ("texts", "canonical"),
    [
        (["  Siti   Aminah ", "Siti Aminah", "Siti\u00a0Aminah"], "Siti Aminah"),
        (["7", "007", "7.0", "7.00", "+7"], "7"),
        (["3673010000000000", "3.67301E+15", "3673010000000000.0"], "3673010000000000"),
        (
            ["1975-08-17", "17-08-1975", "17/08/1975", "17.8.1975", "1975-08-17 00:00:00"],
            "1975-08-17",
        ),
        (["3673066904010001"], "3673066904010001"),
        (["Cafe\u0301", "Café"], "Café"),
        (["", "   "], ""),
    ],
)
def test_equivalent_cells_have_one_canonical_form(texts: list[str], canonical: str) -> None:
    assert {canonical_cell(t) for t in texts} == {canonical}


@pytest.mark.parametrize("text", ["31/02/1975", "1e999999", "12.5", "Jl. Merdeka 7", "nan"])
def test_other_cells_stay_themselves_or_keep_their_value(text: str) -> None:
    assert canonical_cell(text) in (text, "12.5")


def test_fingerprints_ignore_order_empty_and_new_columns_but_not_values() -> None:
    fingerprint = RowFingerprinter(KEY, ["NIK", "NAMA", "RT"]).fingerprint
    row = {"NIK": "3673066904010001", "NAMA": "Budi", "RT": "003"}
    assert fingerprint(row) == fingerprint({"RT": "3", "NAMA": "Budi ", "NIK": row["NIK"]})
    assert fingerprint(row) == fingerprint({**row, "CATATAN": "baru", "KOSONG": ""})
    assert fingerprint(row) != fingerprint({**row, "NIK": "3673066904010000"})  # Excel damage
    assert fingerprint(row) != fingerprint({**row, "NAMA": "Budi S"})
    assert fingerprint(row) != RowFingerprinter(b"x" * 32, ["NIK", "NAMA", "RT"]).fingerprint(row)
    assert fingerprint(row) != fingerprint(row, ("COCOK",))
    assert fingerprint_key_check(KEY) != fingerprint_key_check(b"x" * 32)


def test_a_csv_resaved_as_xlsx_keeps_every_fingerprint(tmp_path) -> None:
    header = ["NIK", "NAMA", "TGL LAHIR", "RT", "UMUR"]
    rows = [
        ["3673066904010001", "Siti Aminah", "17-08-1975", "003", "50"],
        ["3673015708900003", "Budi  Santoso", "01/07/1980", "12", "45"],
    ]
    csv_path = tmp_path / "ckg.csv"
    csv_path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for nik, name, born, rt, age in rows:  # as a spreadsheet keeps them: dates, numbers
        day, month, year = map(int, born.replace("/", "-").split("-"))
        sheet.append(
            [nik, name.replace("  ", " "), dt.datetime(year, month, day), int(rt), int(age)]
        )
    xlsx_path = tmp_path / "ckg.xlsx"
    book.save(xlsx_path)
    fingerprint = RowFingerprinter(KEY, header).fingerprint
    from_csv = [fingerprint(r.cells) for r in read_rows([csv_path])]
    from_xlsx = [fingerprint(r.cells) for r in read_rows([xlsx_path])]
    assert from_csv == from_xlsx and len(set(from_csv)) == 2
