"""Worklists: the original input rows, each with a status a clerk can act on.

A worklist keeps every original column, in order, and appends ``WORKLIST_COLUMNS``:
the status code, an Indonesian explanation with the next step, the match id shared with
the other owner's worklist, the registry duplicate group, a confidence band (never a
raw score), and the input file and spreadsheet row the line came from.

Two formats, chosen by suffix (a path without one gets ``.xlsx``):

* ``.xlsx``, the default, for people: every cell stored as text (number format ``@``,
  string cells) so a 16-digit NIK stays intact; columns sized to their content, the
  explanation wrapped in a wide column, header row frozen, filters on, printed landscape
  and fit to the page width with the header repeated on every page; a second sheet
  ``Ringkasan`` counts the rows per status and says what each status asks of the clerk.
* ``.csv``, for machines (and ``padan evaluate``/``disclose``/``apply``): UTF-8 with a
  byte-order mark, every value quoted. A spreadsheet that *opens* a CSV turns long digit
  strings into numbers and loses digits (``3673066904010001`` → ``3673066904010000``), so
  such cells (12 digits or more, or a leading zero) are written as the text formula
  ``="3673066904010001"``: Excel and LibreOffice show the digits whole, and
  :func:`read_worklist` (like any reader that strips ``="…"``) gets the plain value back.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from padan.core.errors import InputError
from padan.core.files import atomic_open, atomic_path
from padan.core.types import STATUS_LABELS, Confidence, Role, Status

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

HIDDEN_COLUMNS = frozenset({"padan_fingerprint"})
"""Columns the XLSX keeps but hides: machine check values, of no use on screen or paper."""

WORKLIST_SHEET = "Daftar kerja"
SUMMARY_SHEET = "Ringkasan"
SUMMARY_HEADER: tuple[str, ...] = (
    "Status",
    "Arti",
    "Meaning (English)",
    "Jumlah (rows)",
    "Yang perlu dilakukan (what to do)",
)
"""Header of the per-status table on the ``Ringkasan`` sheet."""

# Digit strings a spreadsheet would turn into a number when it opens a CSV, losing digits
# past the 15th and leading zeros; the CSV keeps them as ="…" text formulas.
_SPREADSHEET_NUMBER = re.compile(r"\d{12,}|0\d+")
_TEXT_FORMULA = re.compile(r'="(\d+)"')


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
        *STATUS_LABELS[Status.COCOK],
        "Cocok: NIK sama dengan data kependudukan. Tidak perlu tindakan.",
        "Cocok: warga ini ada di daftar pembanding dengan NIK yang sama. Tidak perlu tindakan.",
    ),
    Status.NIK_BERBEDA: StatusText(
        *STATUS_LABELS[Status.NIK_BERBEDA],
        "Orang ditemukan, NIK berbeda (salah ketik, rusak di Excel, atau NIK ganda). "
        "Periksa KTP/KK warga dan perbaiki NIK.",
        "Warga ini ada di daftar pembanding, tetapi dicatat dengan NIK lain (salah ketik, "
        "rusak di Excel, atau NIK ganda). Data kependudukan tidak perlu diubah.",
    ),
    Status.NIK_MILIK_ORANG_LAIN: StatusText(
        *STATUS_LABELS[Status.NIK_MILIK_ORANG_LAIN],
        "NIK ini milik orang lain (mis. bayi memakai NIK ibu). Minta NIK yang benar "
        "kepada warga atau keluarganya (lihat KK).",
        "NIK warga ini dipakai untuk orang lain di daftar pembanding (mis. bayi memakai "
        "NIK ibu). Data kependudukan tidak perlu diubah.",
    ),
    Status.KK_BERBEDA: StatusText(
        *STATUS_LABELS[Status.KK_BERBEDA],
        "Orang dan NIK cocok, tetapi No. KK berbeda (keluarga pindah, pecah KK, atau KK "
        "lama). Perbarui No. KK sesuai KK terbaru warga.",
        "Warga dan NIK cocok, tetapi No. KK di daftar pembanding berbeda (KK lama, atau "
        "keluarga pindah/pecah KK). Pastikan data KK di SIAK sudah terbaru.",
    ),
    Status.GANDA: StatusText(
        *STATUS_LABELS[Status.GANDA],
        "NIK ganda: orang ini tercatat dengan lebih dari satu NIK di data kependudukan. "
        "Arahkan warga ke Disdukcapil; gunakan NIK yang dinyatakan berlaku.",
        "NIK ganda: satu orang tercatat dengan lebih dari satu NIK (baris dengan "
        "padan_dup_group yang sama). Periksa dan satukan datanya sesuai prosedur Disdukcapil.",
    ),
    Status.RAGU: StatusText(
        *STATUS_LABELS[Status.RAGU],
        "Ragu-ragu: ada lebih dari satu kemungkinan orang, atau kemiripannya belum cukup "
        "kuat untuk mengubah data. Jangan ubah NIK atau No. KK berdasarkan daftar ini: "
        "cocokkan nama, tanggal lahir, nama ibu dan alamat dengan KTP/KK warga, lalu "
        "periksa NIK dan No. KK-nya.",
        "Ragu-ragu: ada lebih dari satu kemungkinan orang, atau kemiripannya kurang kuat. "
        "Perlu diperiksa petugas sebelum dipakai.",
    ),
    Status.TIDAK_DITEMUKAN: StatusText(
        *STATUS_LABELS[Status.TIDAK_DITEMUKAN],
        "Tidak ditemukan di data kependudukan. Periksa nama, tanggal lahir, dan NIK dengan "
        "KTP/KK; bila sudah benar, arahkan warga ke Disdukcapil.",
        "Warga ini tidak ada di daftar pembanding. Tidak perlu tindakan.",
    ),
    Status.DITOLAK: StatusText(
        *STATUS_LABELS[Status.DITOLAK],
        "Ditolak: {reason}. Perbaiki data di file asli, lalu proses ulang.",
        "Ditolak: {reason}. Perbaiki data di file asli, lalu proses ulang.",
    ),
    Status.BERUBAH: StatusText(
        *STATUS_LABELS[Status.BERUBAH],
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


def worklist_path(path: Path) -> Path:
    """The worklist file ``path`` names: ``.xlsx`` added when it has no suffix; anything
    but ``.xlsx``/``.csv`` refused (before any work is done)."""
    path = Path(path)
    if not path.suffix:
        return path.with_suffix(".xlsx")
    if path.suffix.lower() not in (".xlsx", ".csv"):
        raise InputError(
            f"daftar kerja harus berakhiran .xlsx atau .csv (worklist must end in .xlsx or "
            f".csv), not '{path.name}'"
        )
    return path


def write_worklist(
    path: Path, header: Sequence[str], rows: Iterable[WorklistRow], *, role: Role = "list"
) -> WorklistSummary:
    """Write a worklist (``.xlsx``, or ``.csv`` by suffix) atomically; return the counts.

    ``header`` is the original input header; each row's ``cells`` follow it (short rows,
    as ragged CSV files have, are padded with empty cells). ``role`` selects the wording
    of ``padan_keterangan``: a list owner corrects its rows, the registry only reviews.
    Rows are streamed, so a list of hundreds of thousands of rows fits in memory.
    """
    path = worklist_path(path)
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
    else:
        with atomic_path(path) as tmp:
            _write_xlsx(tmp, full_header, lines, counts, role, path.name)
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


def _csv_cell(value: str) -> str:
    """``value`` as a CSV cell that a spreadsheet opens without losing digits."""
    return f'="{value}"' if _SPREADSHEET_NUMBER.fullmatch(value) else value


def plain_cell(value: str) -> str:
    """A worklist CSV cell's value: ``="3673…"`` (digits kept as text) back to ``3673…``."""
    match = _TEXT_FORMULA.fullmatch(value)
    return match[1] if match else value


def _write_csv(handle: IO[str], header: Sequence[str], lines: Iterable[list[str]]) -> None:
    writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows([_csv_cell(value) for value in line] for line in lines)


# --- XLSX layout -----------------------------------------------------------------------

_WIDTH_SAMPLE = 500  # rows read ahead to size the columns (widths precede rows in XLSX)
_MIN_WIDTH, _MAX_WIDTH, _HEADER_WIDTH = 5, 28, 16
_KETERANGAN_WIDTH = 50
_LINE_HEIGHT = 15.0  # points per line of the default 11-point font
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", start_color="DDE7F0")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_BORDER = Border(*(Side("thin", color="999999"),) * 4)


def _column_widths(header: Sequence[str], sample: Sequence[Sequence[str]]) -> list[float]:
    """Character widths that show typical content whole (a NIK's 16 digits at least).

    A column is as wide as 95% of its sampled values, so one long value wraps instead of
    widening the whole column; long headers wrap too, and free text is capped.
    """
    widths: list[float] = []
    for index, name in enumerate(header):
        if name == "padan_keterangan":
            widths.append(_KETERANGAN_WIDTH)
            continue
        lengths = sorted(len(line[index]) for line in sample)
        typical = lengths[int(0.95 * (len(lengths) - 1))] if lengths else 0
        wanted = max(typical, min(len(name), _HEADER_WIDTH))
        widths.append(min(max(wanted + 2, _MIN_WIDTH), _MAX_WIDTH))
    return widths


@lru_cache(maxsize=65_536)
def _line_count(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` characters wide.

    Spreadsheets store no height for wrapped rows and LibreOffice does not compute one
    on opening, so padan sets each row's height from this estimate.
    """
    chars = max(int(width) - 1, 1)
    return sum(
        max(len(textwrap.wrap(part, chars, break_long_words=True)), 1) for part in text.split("\n")
    )


def _row_height(line: Sequence[str], wrapped: Sequence[float | None]) -> float | None:
    """Height in points for a row whose wrapped columns have these widths (None: one line)."""
    lines = max(
        (
            _line_count(value, width)
            for value, width in zip(line, wrapped, strict=True)
            if width is not None and len(value) >= width - 1
        ),
        default=1,
    )
    return None if lines == 1 else lines * _LINE_HEIGHT


def _text_cell(
    sheet: WriteOnlyWorksheet,
    value: str,
    *,
    font: Font | None = None,
    alignment: Alignment = _TOP,
    fill: PatternFill | None = None,
) -> WriteOnlyCell:
    """A cell that Excel keeps as text: no number conversion, no formula evaluation."""
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"  # a value like "=..." must stay text, never become a formula
    cell.number_format = "@"
    cell.alignment = alignment
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


def _print_setup(sheet: WriteOnlyWorksheet, title_rows: str | None, footer: str) -> None:
    """Landscape A4, fit to the page width (as many pages down as needed), narrow
    margins, the header row repeated on every page and page numbers in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.gridLines = True
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.left.text = footer
    sheet.oddFooter.right.text = "Halaman &P dari &N (page &P of &N)"


def _write_xlsx(
    path: Path,
    header: Sequence[str],
    lines: Iterable[list[str]],
    counts: Counter[Status],
    role: Role,
    name: str,
) -> None:
    # Write-only mode streams rows to disk instead of holding every cell object; column
    # widths must be known before the first row, so a sample is read ahead.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(WORKLIST_SHEET)
    sheet.freeze_panes = "A2"
    _print_setup(sheet, "1:1", f"padan · {name}")
    lines = iter(lines)
    sample = list(itertools.islice(lines, _WIDTH_SAMPLE))
    widths = _column_widths(header, sample)
    for index, (column_name, width) in enumerate(zip(header, widths, strict=True), start=1):
        column = sheet.column_dimensions[get_column_letter(index)]
        column.number_format = "@"  # values typed later by a clerk stay text as well
        column.width = width
        column.hidden = column_name in HIDDEN_COLUMNS
    # Only columns whose content outgrows them wrap (by their width): short values stay
    # on one line.
    wrapped = [
        None
        if column_name in HIDDEN_COLUMNS
        else width
        if column_name == "padan_keterangan" or any(len(line[i]) > width - 2 for line in sample)
        else None
        for i, (column_name, width) in enumerate(zip(header, widths, strict=True))
    ]
    sheet.row_dimensions[1].height = _row_height(header, widths)
    sheet.append(
        [_text_cell(sheet, h, font=_BOLD, alignment=_WRAP, fill=_HEADER_FILL) for h in header]
    )
    last_row = 1
    try:
        for line in itertools.chain(sample, lines):
            last_row += 1
            height = _row_height(line, wrapped)
            if height is not None:
                sheet.row_dimensions[last_row].height = height
            sheet.append(
                [
                    _text_cell(sheet, value, alignment=_TOP if width is None else _WRAP)
                    for value, width in zip(line, wrapped, strict=True)
                ]
            )
            sheet.row_dimensions.pop(last_row, None)  # written: keep memory flat
    except BaseException:
        sheet.close()  # end openpyxl's row stream cleanly; its temp file goes at exit
        raise
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{last_row}"
    _write_summary(book, counts, role, name)
    book.save(path)


_SUMMARY_NOTES: tuple[tuple[str, str], ...] = (
    (
        "padan_status",
        "Kode status tiap baris; pakai filter di baris judul untuk memilih satu status. "
        "(Status code of each row; filter on it in the header row.)",
    ),
    (
        "padan_keterangan",
        "Penjelasan dan langkah berikutnya untuk baris itu. "
        "(Explanation and next step for that row.)",
    ),
    (
        "padan_match_id",
        "Sama di daftar kerja Dinkes dan Disdukcapil untuk satu orang: sebutkan nomor ini "
        "saat berkoordinasi, bukan NIK. (Same value on both agencies' worklists for one "
        "person: quote it instead of a NIK.)",
    ),
    (
        "padan_dup_group",
        "Baris registri dengan nilai sama adalah satu orang (NIK ganda). "
        "(Registry rows sharing a value are one person.)",
    ),
    (
        "padan_confidence",
        "TINGGI = yakin, SEDANG = cukup yakin, RENDAH = perlu diperiksa petugas. "
        "(HIGH, MEDIUM, LOW confidence: LOW needs a person to check.)",
    ),
    (
        "padan_source, padan_row",
        "Berkas dan nomor baris asal di spreadsheet. (Source file and spreadsheet row.)",
    ),
    (
        "padan_fingerprint",
        "Kolom tersembunyi: nilai pemeriksa baris untuk disclose/apply; jangan diubah. "
        "(Hidden column: the row's check value for disclose/apply; do not edit.)",
    ),
)


def _summary_action(status: Status, role: Role) -> str:
    """What a status asks of the owner, for the summary (no row-specific reason)."""
    text = STATUS_TEXTS[status].text_for(role)
    return text.format(reason="alasannya tertulis di padan_keterangan tiap baris")


def _write_summary(book: Workbook, counts: Counter[Status], role: Role, name: str) -> None:
    """The ``Ringkasan`` sheet: title, per-status counts with what to do, column notes."""
    sheet = book.create_sheet(SUMMARY_SHEET)
    widths = (24.0, 20.0, 26.0, 10.0, 70.0)
    for letter, width in zip("ABCDE", widths, strict=True):
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet, None, f"padan · {name} · {SUMMARY_SHEET}")
    sheet.print_options.gridLines = False  # a page of text and one table: borders suffice

    def text(value: str, **style: object) -> WriteOnlyCell:
        return _text_cell(sheet, value, **style)  # type: ignore[arg-type]

    def number(value: int, *, font: Font | None = None, table: bool = True) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0"
        cell.alignment = _TOP
        if table:
            cell.border = _BORDER
        if font is not None:
            cell.font = font
        return cell

    def table_text(value: str, **style: object) -> WriteOnlyCell:
        cell = text(value, **style)
        cell.border = _BORDER
        return cell

    total = sum(counts.values())
    rows: list[list[WriteOnlyCell]] = [
        [text("Ringkasan daftar kerja padan (worklist summary)", font=_TITLE)],
        [
            text("Berkas (file)", font=_BOLD),
            text(name),
            text(f"Dibuat (made) {dt.date.today().isoformat()}"),
        ],
        [text("Jumlah baris (rows)", font=_BOLD), number(total, font=_BOLD, table=False)],
        [],
        [table_text(h, font=_BOLD, alignment=_WRAP, fill=_HEADER_FILL) for h in SUMMARY_HEADER],
    ]
    for status in Status:
        labels = STATUS_TEXTS[status]
        rows.append(
            [
                table_text(status.value, font=_BOLD),
                table_text(labels.label_id, alignment=_WRAP),
                table_text(labels.label_en, alignment=_WRAP),
                number(counts[status]),
                table_text(_summary_action(status, role), alignment=_WRAP),
            ]
        )
    rows.append(
        [
            *(table_text(v, font=_BOLD) for v in ("Jumlah (total)", "", "")),
            number(total, font=_BOLD),
            table_text(""),
        ]
    )
    rows.append([])
    rows.append([text("Cara membaca kolom padan (how to read the padan columns)", font=_BOLD)])
    notes_from = len(rows)
    for column, note in _SUMMARY_NOTES:
        # A note spans columns B–E, so it wraps in the full width instead of one column.
        sheet.merged_cells.add(f"B{len(rows) + 1}:E{len(rows) + 1}")
        rows.append([text(column, font=_BOLD), text(note, alignment=_WRAP)])
    note_widths = (widths[0], sum(widths[1:]))
    sheet.row_dimensions[1].height = 2 * _LINE_HEIGHT  # the 14-point title
    for number_, row in enumerate(rows, start=1):
        values = [str(cell.value or "") for cell in row]
        wrapped = [
            width if cell.alignment.wrap_text else None
            for cell, width in zip(
                row, note_widths if number_ > notes_from else widths, strict=False
            )
        ]
        if (height := _row_height(values, wrapped)) is not None:
            sheet.row_dimensions[number_].height = height
        sheet.append(row)


def read_worklist(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Read a worklist written by ``write_worklist`` (CSV or XLSX): header and rows.

    Every value comes back as text, exactly as given to :func:`write_worklist` (the CSV's
    ``="…"`` digit cells unwrapped).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"worklist not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            table = [[plain_cell(value) for value in line] for line in csv.reader(handle)]
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
