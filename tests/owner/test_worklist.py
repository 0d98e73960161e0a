"""Worklists: every original column kept, statuses explained, NIKs kept as text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from padan.core.errors import InputError
from padan.core.types import Confidence, Status
from padan.owner.worklist import (
    STATUS_TEXTS,
    SUMMARY_SHEET,
    WORKLIST_COLUMNS,
    WORKLIST_SHEET,
    WorklistRow,
    keterangan,
    read_worklist,
    summary_rows,
    write_worklist,
)

# Synthetic people only; the NIKs have a valid shape but belong to no one.
HEADER = ["NO", "NIK PASIEN", "NAMA PASIEN", "TGL LAHIR", "NO KK"]
ROWS = [
    WorklistRow(
        ["1", "3673015708900001", "Siti Contoh", "17-08-1990", "3673010101100002"],
        "data/ckg-puskesmas-a.xlsx",
        2,
        Status.COCOK,
        match_id="m-001",
        confidence=Confidence.TINGGI,
    ),
    WorklistRow(
        ["2", "3673011203850003", "Budi Percobaan", "12-03-1985", "0012345678901234"],
        "data/ckg-puskesmas-a.xlsx",
        3,
        Status.NIK_BERBEDA,
        match_id="m-002",
        confidence=Confidence.SEDANG,
    ),
    WorklistRow(
        ["3", "3.67301E+15", "Bayi Ny. Contoh", "01-07-2024", ""],
        "data/ckg-puskesmas-b.csv",
        2,
        Status.DITOLAK,
        reason="NIK dalam notasi ilmiah (rusak di Excel)",
    ),
    # A ragged CSV row: fewer cells than the header.
    WorklistRow(["4", "3673014506000004"], "ckg-puskesmas-b.csv", 3, Status.TIDAK_DITEMUKAN),
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip_keeps_original_columns_in_order_and_appends_padan_columns(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"worklist{suffix}"
    write_worklist(path, HEADER, ROWS)

    header, rows = read_worklist(path)
    assert header == [*HEADER, *WORKLIST_COLUMNS]
    assert [[r[c] for c in HEADER] for r in rows] == [
        [*row.cells, *[""] * (len(HEADER) - len(row.cells))] for row in ROWS
    ]
    assert [r["padan_status"] for r in rows] == [row.status.value for row in ROWS]
    assert [r["padan_match_id"] for r in rows] == ["m-001", "m-002", "", ""]
    assert [r["padan_confidence"] for r in rows] == ["TINGGI", "SEDANG", "", ""]
    # Only the file name travels, never the local directory.
    assert [r["padan_source"] for r in rows] == [
        "ckg-puskesmas-a.xlsx",
        "ckg-puskesmas-a.xlsx",
        "ckg-puskesmas-b.csv",
        "ckg-puskesmas-b.csv",
    ]
    assert [r["padan_row"] for r in rows] == ["2", "3", "2", "3"]
    assert rows[0]["padan_keterangan"] == STATUS_TEXTS[Status.COCOK].list_text
    assert rows[2]["padan_keterangan"] == (
        "Ditolak: NIK dalam notasi ilmiah (rusak di Excel). "
        "Perbaiki data di file asli, lalu proses ulang."
    )


def test_csv_has_bom_quotes_every_value_and_keeps_niks_as_text(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_worklist(path, HEADER, ROWS[:1])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first_data_line = raw.decode("utf-8-sig").splitlines()[1]
    # A spreadsheet opening the CSV keeps ="…" cells as text: no digit lost.
    assert first_data_line.startswith('"1","=""3673015708900001""","Siti Contoh"')
    assert all(field.startswith('"') for field in first_data_line.split(","))


def test_xlsx_keeps_16_digit_niks_as_text_and_is_ready_for_clerks(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    formula_like = WorklistRow(["5", "=1+1", "Nama", "", ""], "x.csv", 9, Status.RAGU)
    write_worklist(path, HEADER, [*ROWS, formula_like])

    book = load_workbook(path)
    assert book.sheetnames == [WORKLIST_SHEET, SUMMARY_SHEET]
    sheet = book[WORKLIST_SHEET]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:M{len(ROWS) + 2}"
    for row_index, nik in [(2, "3673015708900001"), (3, "3673011203850003")]:
        nik_cell = sheet.cell(row=row_index, column=2)
        kk_cell = sheet.cell(row=row_index, column=5)
        assert nik_cell.data_type == "s" and nik_cell.value == nik
        assert nik_cell.number_format == "@"
        assert kk_cell.data_type == "s" and len(kk_cell.value) == 16
    # Leading zeros survive, and a cell starting with "=" is text, not a formula.
    assert sheet.cell(row=3, column=5).value == "0012345678901234"
    assert sheet.cell(row=6, column=2).value == "=1+1"
    assert sheet.cell(row=6, column=2).data_type == "s"
    assert all(cell.data_type == "s" for row in sheet.iter_rows() for cell in row if cell.value)


def test_xlsx_summary_sheet_counts_each_status(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    write_worklist(path, HEADER, ROWS)
    summary = load_workbook(path)[SUMMARY_SHEET]
    values = {row[0]: row for row in summary.iter_rows(values_only=True) if row}
    assert values["COCOK"][:4] == ("COCOK", "Cocok", STATUS_TEXTS[Status.COCOK].label_en, 1)
    assert values["GANDA"][3] == 0
    assert values["DITOLAK"][3] == 1
    assert values["Jumlah (total)"][3] == len(ROWS)


def test_summary_counts_every_status_in_order(tmp_path: Path) -> None:
    summary = write_worklist(tmp_path / "w.csv", HEADER, ROWS)
    assert summary.rows == 4
    assert list(summary.counts) == list(Status)
    assert summary.counts[Status.COCOK] == 1
    assert summary.counts[Status.DITOLAK] == 1
    assert summary.counts[Status.GANDA] == 0
    assert summary_rows(summary)[0] == ("COCOK", "Cocok", STATUS_TEXTS[Status.COCOK].label_en, 1)


def test_registry_wording_differs_from_list_wording() -> None:
    row = WorklistRow(["1"], "siak.csv", 2, Status.TIDAK_DITEMUKAN)
    assert "Disdukcapil" in keterangan(row, "list")
    assert keterangan(row, "registry") == STATUS_TEXTS[Status.TIDAK_DITEMUKAN].registry_text
    assert keterangan(row, "registry") != keterangan(row, "list")


def test_every_status_has_both_languages() -> None:
    assert set(STATUS_TEXTS) == set(Status)
    for text in STATUS_TEXTS.values():
        assert text.label_id and text.label_en and text.list_text and text.registry_text


def test_refuses_a_worklist_as_input_and_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="padan_status"):
        write_worklist(tmp_path / "w.csv", [*HEADER, "padan_status"], [])
    with pytest.raises(InputError, match=r"\.xlsx or \.csv"):
        write_worklist(tmp_path / "w.txt", HEADER, ROWS)
    assert not (tmp_path / "w.txt").exists()


def test_too_many_cells_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    row = WorklistRow(["1", "2", "3", "4", "5", "6"], "x.csv", 2, Status.COCOK)
    with pytest.raises(InputError, match="6 cells"):
        write_worklist(tmp_path / "w.xlsx", HEADER, [row])
    assert list(tmp_path.iterdir()) == []


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.lists(_TEXT, min_size=3, max_size=3), max_size=5))
def test_any_text_survives_a_csv_round_trip(tmp_path: Path, cells: list[list[str]]) -> None:
    rows = [WorklistRow(c, "f.csv", i + 2, Status.RAGU) for i, c in enumerate(cells)]
    path = tmp_path / "w.csv"
    write_worklist(path, ["a", "b", "c"], rows)
    _, body = read_worklist(path)
    assert [[line[c] for c in "abc"] for line in body] == cells
