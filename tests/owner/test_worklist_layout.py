"""Worklists a clerk can use: XLSX layout, print setup, CSV cells that keep their digits,
and a rendering through LibreOffice looked at as pictures (when soffice is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from padan.core.types import Confidence, Status
from padan.owner.worklist import (
    SUMMARY_SHEET,
    WORKLIST_SHEET,
    WorklistRow,
    plain_cell,
    read_worklist,
    write_worklist,
)
from padan.synth.corruption import LIST_COLUMNS

CKG_HEADER = list(LIST_COLUMNS)  # the header padan synth gives CKG lists
_NAMES = ("Siti Contoh", "Budi Percobaan", "Muhammad Rizki Fadillah Ramadhan", "Eko", "Dewi Uji")
_STATUSES = (Status.COCOK,) * 6 + (Status.NIK_BERBEDA, Status.KK_BERBEDA, Status.TIDAK_DITEMUKAN)


def ckg_rows(count: int) -> list[WorklistRow]:
    """A synthetic CKG worklist (no real person: made-up names, NIKs of valid shape)."""
    rows = []
    for i in range(count):
        status = _STATUSES[i % len(_STATUSES)]
        cells = [
            f"P01-{i:06d}",
            f"36730157089{i:05d}",
            f"36730101011{i:05d}",
            _NAMES[i % len(_NAMES)],
            "LP"[i % 2],
            f"{1 + i % 28:02d}-08-1990",
            "Serang",
            f"Kp. Sukamaju RT {i % 9:03d} Blok {i % 7} No. {i}",
            f"{i % 12:03d}",
            f"{i % 5:03d}",
            "Ibu Contoh",
            "Puskesmas Kasemen",
            "11-06-2025",
        ]
        matched = status is not Status.TIDAK_DITEMUKAN
        rows.append(
            WorklistRow(
                cells,
                "ckg.csv",
                i + 2,
                status,
                match_id=f"M{i:010x}" if matched else None,
                confidence=Confidence.TINGGI if matched else None,
            )
        )
    return rows


def test_xlsx_is_laid_out_for_screen_and_paper(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    write_worklist(path, CKG_HEADER, ckg_rows(50))
    book = load_workbook(path)
    sheet = book[WORKLIST_SHEET]
    header = [cell.value for cell in sheet[1]]
    width = {
        name: sheet.column_dimensions[get_column_letter(i + 1)].width
        for i, name in enumerate(header)
    }
    assert width["NIK PASIEN"] >= 17 and width["NO KK"] >= 17  # 16 digits shown whole
    assert width["padan_keterangan"] >= 45
    assert width["JK"] < 10  # sized to content, not to a fixed minimum
    keterangan = sheet.cell(row=2, column=header.index("padan_keterangan") + 1)
    assert keterangan.alignment.wrap_text
    assert sheet.row_dimensions[2].height > 15  # the wrapped text gets the lines it needs
    fingerprint = get_column_letter(header.index("padan_fingerprint") + 1)
    assert sheet.column_dimensions[fingerprint].hidden  # kept for disclose/apply, not shown
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}51"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"
    summary = book[SUMMARY_SHEET]
    assert summary.column_dimensions["E"].width >= 60
    assert summary.page_setup.orientation == "landscape"
    assert summary["B2"].value == "w.xlsx"  # the file it summarises
    texts = [row[4] for row in summary.iter_rows(values_only=True) if len(row) > 4 and row[4]]
    assert any("Tidak perlu tindakan" in text for text in texts)


def test_csv_keeps_long_digit_strings_as_text_and_reads_back_plain(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_worklist(path, CKG_HEADER, ckg_rows(3))
    raw = path.read_text(encoding="utf-8-sig")
    assert '"=""3673015708900000"""' in raw  # NIK: Excel/LibreOffice keep it as text
    assert '"=""000"""' in raw  # RT with a leading zero as well
    assert '"P01-000000"' in raw and '"Siti Contoh"' in raw  # other text untouched
    _, rows = read_worklist(path)
    assert rows[0]["NIK PASIEN"] == "3673015708900000"
    assert rows[0]["RT"] == "000"
    assert plain_cell('="0012"') == "0012" and plain_cell('="x"') == '="x"'


def test_a_worklist_without_suffix_is_xlsx(tmp_path: Path) -> None:
    summary = write_worklist(tmp_path / "worklist", CKG_HEADER, ckg_rows(2))
    assert summary.path == tmp_path / "worklist.xlsx"
    assert load_workbook(summary.path).sheetnames == [WORKLIST_SHEET, SUMMARY_SHEET]


SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_xlsx_prints_readably_in_libreoffice(tmp_path: Path, artifacts: Path) -> None:
    """241 rows print on a handful of landscape pages with whole NIKs; PNGs of every page
    are kept in ``test-artifacts/`` to look at."""
    path = tmp_path / "worklist-ckg.xlsx"
    write_worklist(path, CKG_HEADER, ckg_rows(241))
    profile = tmp_path / "lo-profile"  # a private profile: runs in parallel never clash
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(artifacts),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = artifacts / "worklist-ckg.pdf"
    assert pdf.is_file()
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed: PDF kept, no PNGs")
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(artifacts / "page")], check=True)
    pages = sorted(artifacts.glob("page-*.png"))
    # Fit to width, landscape: about 45 rows a page plus one summary page (31 before).
    assert 3 <= len(pages) <= 9, len(pages)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "3673015708900240" in text  # the last row's NIK, whole
    assert "Ringkasan daftar kerja padan" in text
    assert text.count("NIK PASIEN") == len(pages) - 1  # header repeated on every page
