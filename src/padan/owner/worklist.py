"""Worklists: the original input rows, each with a status a clerk can act on.

A worklist keeps every original column, in order, and appends ``WORKLIST_COLUMNS``:
the status code, an Indonesian explanation with the next step, the match id shared with
the other owner's worklist, the registry duplicate group, a confidence band (never a
raw score), and the input file and spreadsheet row the line came from.

Two formats, chosen by suffix:

* ``.csv``: UTF-8 with a byte-order mark (so Excel detects the encoding), every value
  quoted. Excel still turns long digit strings into numbers when it *opens* a CSV, so
  staff who use Excel should be given the XLSX.
* ``.xlsx``: every cell stored as text (number format ``@``, string cells) so a 16-digit
  NIK stays intact, header row frozen, filters on, and a second sheet ``Ringkasan``
  with the counts per status.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from padan.core.errors import InputError
from padan.core.files import atomic_open, atomic_path
from padan.core.types import Confidence, Role, Status

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

WORKLIST_COLUMNS: tuple[str, ...] = (
    "padan_status",
    "padan_keterangan",
    "padan_match_id",
    "padan_dup_group",
    "padan_confidence",
    "padan_source",
    "padan_row",
    "padan_fingerprint",
)
"""Columns appended to the original ones, in this order. ``padan_fingerprint`` is a keyed
check of the row's cells and verdict (``padan.owner.reconcile``): ``disclose`` and
``apply`` use it to refuse rows changed (or scrambled by a partial sort) since reconcile."""

WORKLIST_SHEET = "Daftar kerja"
SUMMARY_SHEET = "Ringkasan"
SUMMARY_HEADER: tuple[str, ...] = ("Status", "Keterangan", "Label (English)", "Jumlah")


@dataclass(frozen=True, slots=True)
class StatusText:
    """How one status reads for people: short labels and the explanation per owner role.

    ``list_text`` addresses the owner of a list (e.g. a puskesmas clerk), who corrects
    rows; ``registry_text`` addresses Disdukcapil, whose own records are the reference.
    """

    label_id: str
    label_en: str
    list_text: str
    registry_text: str

    def text_for(self, role: Role) -> str:
        """The Indonesian explanation and next step for an owner of ``role``."""
        return self.registry_text if role == "registry" else self.list_text


STATUS_TEXTS: Mapping[Status, StatusText] = {
    Status.COCOK: StatusText(
        "Cocok",
        "Match: same person, same NIK",
        "Cocok: NIK sama dengan data kependudukan. Tidak perlu tindakan.",
        "Cocok: warga ini ada di daftar pembanding dengan NIK yang sama. Tidak perlu tindakan.",
    ),
    Status.NIK_BERBEDA: StatusText(
        "NIK berbeda",
        "Person found, NIK differs",
        "Orang ditemukan, NIK berbeda (salah ketik, rusak di Excel, atau NIK ganda). "
        "Periksa KTP/KK warga dan perbaiki NIK.",
        "Warga ini ada di daftar pembanding, tetapi dicatat dengan NIK lain (salah ketik, "
        "rusak di Excel, atau NIK ganda). Data kependudukan tidak perlu diubah.",
    ),
    Status.NIK_MILIK_ORANG_LAIN: StatusText(
        "NIK milik orang lain",
        "NIK belongs to another person",
        "NIK ini milik orang lain (mis. bayi memakai NIK ibu). Minta NIK yang benar "
        "kepada warga atau keluarganya (lihat KK).",
        "NIK warga ini dipakai untuk orang lain di daftar pembanding (mis. bayi memakai "
        "NIK ibu). Data kependudukan tidak perlu diubah.",
    ),
    Status.KK_BERBEDA: StatusText(
        "KK berbeda",
        "Person and NIK match, family card (KK) differs",
        "Orang dan NIK cocok, tetapi No. KK berbeda (keluarga pindah, pecah KK, atau KK "
        "lama). Perbarui No. KK sesuai KK terbaru warga.",
        "Warga dan NIK cocok, tetapi No. KK di daftar pembanding berbeda (KK lama, atau "
        "keluarga pindah/pecah KK). Pastikan data KK di SIAK sudah terbaru.",
    ),
    Status.GANDA: StatusText(
        "NIK ganda",
        "Duplicate NIK: one person, several registry records",
        "NIK ganda: orang ini tercatat dengan lebih dari satu NIK di data kependudukan. "
        "Arahkan warga ke Disdukcapil; gunakan NIK yang dinyatakan berlaku.",
        "NIK ganda: satu orang tercatat dengan lebih dari satu NIK (baris dengan "
        "padan_dup_group yang sama). Periksa dan satukan datanya sesuai prosedur Disdukcapil.",
    ),
    Status.RAGU: StatusText(
        "Ragu-ragu",
        "Uncertain: needs a person to decide",
        "Ragu-ragu: ada lebih dari satu kemungkinan orang, atau kemiripannya kurang kuat. "
        "Petugas perlu memeriksa dengan KTP/KK warga.",
        "Ragu-ragu: ada lebih dari satu kemungkinan orang, atau kemiripannya kurang kuat. "
        "Perlu diperiksa petugas sebelum dipakai.",
    ),
    Status.TIDAK_DITEMUKAN: StatusText(
        "Tidak ditemukan",
        "Not found",
        "Tidak ditemukan di data kependudukan. Periksa nama, tanggal lahir, dan NIK dengan "
        "KTP/KK; bila sudah benar, arahkan warga ke Disdukcapil.",
        "Warga ini tidak ada di daftar pembanding. Tidak perlu tindakan.",
    ),
    Status.DITOLAK: StatusText(
        "Ditolak",
        "Rejected input",
        "Ditolak: {reason}. Perbaiki data di file asli, lalu proses ulang.",
        "Ditolak: {reason}. Perbaiki data di file asli, lalu proses ulang.",
    ),
    Status.BERUBAH: StatusText(
        "Baris berubah",
        "Row changed since encode: no result",
        "Baris berubah sejak encode (isinya tidak sama dengan saat encode, atau baris baru): "
        "tidak ada hasil untuk baris ini. Kembalikan isinya, atau jalankan encode dan "
        "pemadanan ulang.",
        "Baris berubah sejak encode (isinya tidak sama dengan saat encode, atau baris baru): "
        "tidak ada hasil untuk baris ini. Kembalikan isinya, atau jalankan encode dan "
        "pemadanan ulang.",
    ),
}
"""Indonesian and English labels and the explanation (``padan_keterangan``) per status."""

_NO_REASON = "baris ini tidak dapat diproses"


@dataclass(frozen=True, slots=True)
class WorklistRow:
    """One worklist line: the original cells (in header order) and padan's verdict.

    ``reason`` is the rejection reason of a ``DITOLAK`` row and ``note`` a sentence added
    to the explanation (e.g. a damaged No. KK); both must already be masked (no raw
    NIK/KK). ``fingerprint`` is the row's check value (hex) for ``padan_fingerprint``.
    """

    cells: Sequence[str]
    source: str
    row: int
    status: Status
    match_id: str | None = None
    dup_group: str | None = None
    confidence: Confidence | None = None
    reason: str | None = None
    note: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class WorklistSummary:
    """What was written: the file, the number of rows and the count per status."""

    path: Path
    rows: int
    counts: Mapping[Status, int]


def keterangan(row: WorklistRow, role: Role = "list") -> str:
    """The ``padan_keterangan`` text of ``row`` for an owner of ``role``."""
    text = STATUS_TEXTS[row.status].text_for(role)
    if row.status is Status.DITOLAK:
        text = text.format(reason=(row.reason or _NO_REASON).rstrip(". "))
    return f"{row.note} {text}" if row.note else text


def summary_rows(summary: WorklistSummary) -> list[tuple[str, str, str, int]]:
    """(code, Indonesian label, English label, count) per status, in ``Status`` order."""
    return [
        (status.value, STATUS_TEXTS[status].label_id, STATUS_TEXTS[status].label_en, count)
        for status, count in summary.counts.items()
    ]


def write_worklist(
    path: Path, header: Sequence[str], rows: Iterable[WorklistRow], *, role: Role = "list"
) -> WorklistSummary:
    """Write a worklist (``.csv`` or ``.xlsx``, by suffix) atomically; return the counts.

    ``header`` is the original input header; each row's ``cells`` follow it (short rows,
    as ragged CSV files have, are padded with empty cells). ``role`` selects the wording
    of ``padan_keterangan``: a list owner corrects its rows, the registry only reviews.
    Rows are streamed, so a list of hundreds of thousands of rows fits in memory.
    """
    path = Path(path)
    clash = sorted(set(header) & set(WORKLIST_COLUMNS))
    if clash:
        raise InputError(
            f"input already has column(s) {', '.join(clash)}: give the original input file, "
            "not a worklist"
        )
    full_header = [*header, *WORKLIST_COLUMNS]
    counts: Counter[Status] = Counter()
    lines = _lines(header, rows, counts, role)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
            _write_csv(handle, full_header, lines)
    elif suffix == ".xlsx":
        with atomic_path(path) as tmp:
            _write_xlsx(tmp, full_header, lines, counts)
    else:
        raise InputError(f"worklist must end in .csv or .xlsx, not '{path.name}'")
    ordered = {status: counts[status] for status in Status}
    return WorklistSummary(path=path, rows=sum(counts.values()), counts=ordered)


def _lines(
    header: Sequence[str], rows: Iterable[WorklistRow], counts: Counter[Status], role: Role
) -> Iterator[list[str]]:
    """Full worklist lines as text, counting statuses on the way."""
    width = len(header)
    for row in rows:
        if len(row.cells) > width:
            raise InputError(
                f"{Path(row.source).name} row {row.row} has {len(row.cells)} cells but the "
                f"header has {width} columns"
            )
        counts[row.status] += 1
        yield [
            *row.cells,
            *[""] * (width - len(row.cells)),
            row.status.value,
            keterangan(row, role),
            row.match_id or "",
            row.dup_group or "",
            row.confidence.value if row.confidence else "",
            Path(row.source).name,
            str(row.row),
            row.fingerprint,
        ]


def _write_csv(handle: IO[str], header: Sequence[str], lines: Iterable[list[str]]) -> None:
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(lines)


def _text_cell(sheet: WriteOnlyWorksheet, value: str, *, bold: bool = False) -> WriteOnlyCell:
    """A cell that Excel keeps as text: no number conversion, no formula evaluation."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # a value like "=..." must stay text, never become a formula
    cell.number_format = "@"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _write_xlsx(
    path: Path, header: Sequence[str], lines: Iterable[list[str]], counts: Counter[Status]
) -> None:
    # Write-only mode streams rows to disk instead of holding every cell object.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(WORKLIST_SHEET)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        column = sheet.column_dimensions[get_column_letter(index)]
        column.number_format = "@"  # values typed later by a clerk stay text as well
        column.width = min(max(len(name) + 2, 12), 60)
    sheet.append([_text_cell(sheet, name, bold=True) for name in header])
    last_row = 1
    try:
        for line in lines:
            sheet.append([_text_cell(sheet, value) for value in line])
            last_row += 1
    except BaseException:
        sheet.close()  # end openpyxl's row stream cleanly; its temp file goes at exit
        raise
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last_row}"

    summary = book.create_sheet(SUMMARY_SHEET)
    summary.append([_text_cell(summary, name, bold=True) for name in SUMMARY_HEADER])
    for status in Status:
        text = STATUS_TEXTS[status]
        summary.append([status.value, text.label_id, text.label_en, counts[status]])
    summary.append(["", "Jumlah baris", "Total rows", sum(counts.values())])
    book.save(path)


def read_worklist(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a worklist written by ``write_worklist`` (CSV or XLSX): header and rows.

    Every value comes back as text, exactly as written.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"worklist not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
    elif suffix == ".xlsx":
        book = load_workbook(path, read_only=True)
        try:
            sheet = book[WORKLIST_SHEET] if WORKLIST_SHEET in book.sheetnames else book.active
            table = [
                ["" if value is None else str(value) for value in values]
                for values in sheet.iter_rows(values_only=True)
            ]
        finally:
            book.close()
    else:
        raise InputError(f"worklist must end in .csv or .xlsx, not '{path.name}'")
    if not table:
        raise InputError(f"worklist {path.name} is empty")
    header, *body = table
    return header, [dict(zip(header, line, strict=False)) for line in body]
