"""Reading input files into :class:`~padan.core.types.SourceRow`: CSV streamed, spreadsheets
(XLSX, XLS, ODS) through python-calamine.

CSV: the delimiter (``,`` ``;`` tab ``|``) is sniffed; UTF-8 (with or without BOM) and
UTF-16 are read, and any line that is not valid UTF-8 falls back to cp1252/Latin-1, so a
file with mixed encodings loses nothing. Rows stream, so memory stays bounded.

Every row keeps its file and spreadsheet row number (header = row 1 of a CSV; in a
workbook the sheet's real row). Rows are never dropped: a row with too few cells is
padded with "", extra cells are kept as ``_extra_1``…, and ``SourceRow.cell_count``
says so. Only wholly empty rows are skipped (they still count for row numbers).
Cells that were stored as numbers (workbook number cells; CSV text such as
``3.67301E+15`` or ``3673015708750000.0``) are listed in ``SourceRow.numeric``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

from padan.core.errors import InputError
from padan.core.types import RowRef, SourceRow

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024

_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # zip (xlsx, ods), OLE (xls)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13)) + b"\x7f"
# Number formats only a spreadsheet writes: scientific notation, or a float's ".0".
_EXCEL_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+|\d+\.0+")
_NO_NUMERIC: frozenset[str] = frozenset()


@dataclass(slots=True)
class ReadStats:
    """What reading one file found; filled in while its rows are iterated."""

    rows: int = 0
    blank_rows: int = 0
    ragged_rows: int = 0
    fallback_lines: int = 0
    """CSV lines that were not valid UTF-8 and were decoded as cp1252/Latin-1."""
    utf8_lines: int = 0
    """CSV lines with non-ASCII text that decoded as UTF-8 (with the above: mixed)."""


def _clean_headers(values: Sequence[str]) -> list[str]:
    """Strip header names; name empty ones ``_column_N``; make duplicates unique."""
    names = [v.strip().lstrip("\ufeff").strip() for v in values]
    while names and not names[-1]:
        names.pop()
    seen: set[str] = set()
    headers: list[str] = []
    for index, name in enumerate(names, start=1):
        name = name or f"_column_{index}"
        unique, copy = name, 1
        while unique in seen:
            copy += 1
            unique = f"{name}_{copy}"
        seen.add(unique)
        headers.append(unique)
    return headers


class InputTable(ABC):
    """One input file opened for reading: its header, format facts and rows."""

    kind: Literal["csv", "workbook"]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = str(path)
        self.headers: list[str] = []
        self.stats = ReadStats()

    @abstractmethod
    def _raw_rows(self) -> Iterator[tuple[int, list[str], Sequence[int]]]:
        """Yield (row number, cell texts, indices of numeric cells) after the header."""

    @abstractmethod
    def progress(self) -> tuple[int, int]:
        """(done, total) in file-specific units (bytes for CSV, rows for workbooks)."""

    def describe(self) -> dict[str, str | int | None]:
        """How the file was read, for reports (no content)."""
        return {"format": self.kind}

    def rows(self) -> Iterator[SourceRow]:
        """Yield every non-empty data row as a :class:`SourceRow`."""
        header = self.headers
        width = len(header)
        stats = self.stats
        source = self.source
        for number, values, numeric_cells in self._raw_rows():
            if not any(values):
                stats.blank_rows += 1
                continue
            count = len(values)
            while count > width and not values[count - 1]:
                count -= 1  # trailing empty cells past the header are not data
            cells = dict(zip(header, values, strict=False))
            cell_count: int | None = None
            if count != width:
                stats.ragged_rows += 1
                cell_count = count
                if count < width:
                    cells.update(dict.fromkeys(header[count:], ""))
                else:
                    cells.update(
                        (f"_extra_{i}", v) for i, v in enumerate(values[width:count], start=1)
                    )
            numeric = _NO_NUMERIC
            if numeric_cells:
                numeric = frozenset(
                    header[i] if i < width else f"_extra_{i - width + 1}"
                    for i in numeric_cells
                    if i < count
                )
            stats.rows += 1
            yield SourceRow(RowRef(source, number), cells, numeric, cell_count)


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    return controls > len(sample) // 100


def _decode_legacy(line: bytes) -> str:
    """A line that is not UTF-8: cp1252 (Windows Excel's default), else Latin-1."""
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return line.decode("latin-1")


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_legacy(line)


class CsvTable(InputTable):
    """A delimited text file, streamed line by line."""

    kind = "csv"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        with open(path, "rb") as handle:
            sample = handle.read(SNIFF_BYTES)
        self.size = path.stat().st_size
        self._done = 0
        if not sample.strip().lstrip(codecs.BOM_UTF8).strip():
            raise InputError(f"{self.source} is empty")
        self.encoding = self._detect_encoding(sample)
        text = self._sample_text(sample)
        self.delimiter = self._sniff_delimiter(text)
        # The header is the first non-empty record; count the lines before it.
        self._skip = 0
        for values in csv.reader(io.StringIO(text), delimiter=self.delimiter):
            self._skip += 1
            if any(v.strip() for v in values):
                self.headers = _clean_headers(values)
                break
        if not self.headers:
            raise InputError(f"{self.source} has no header row")

    def _detect_encoding(self, sample: bytes) -> str:
        if sample.startswith(_UTF16_BOMS):
            return "utf-16"
        if _looks_binary(sample):
            if sample.startswith(_WORKBOOK_MAGIC):
                raise InputError(
                    f"{self.source} is an Excel workbook, not CSV text: rename it to .xlsx"
                )
            raise InputError(f"{self.source} is not a text file (binary content)")
        # Lines that are not UTF-8 fall back to cp1252 one by one (see _lines).
        return "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"

    def _sample_text(self, sample: bytes) -> str:
        if self.encoding == "utf-16":
            return sample.decode("utf-16", errors="ignore")
        if len(sample) == SNIFF_BYTES:
            sample = sample[: sample.rfind(b"\n") + 1] or sample  # drop a cut-off last line
        return "".join(map(_decode_line, sample.splitlines(keepends=True)))

    @staticmethod
    def _sniff_delimiter(text: str) -> str:
        """The candidate that splits the header into most columns, consistently."""
        lines = [line for line in text.splitlines() if line.strip()][:50]
        best, best_score = DELIMITERS[0], (0.0, 0)
        for delimiter in DELIMITERS:
            try:
                widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
            except csv.Error:
                continue
            if not widths or widths[0] < 2:
                continue
            consistency = sum(w == widths[0] for w in widths) / len(widths)
            score = (consistency, widths[0])
            if score > best_score:
                best, best_score = delimiter, score
        return best

    def describe(self) -> dict[str, str | int | None]:
        """Format facts: encoding and delimiter. Complete once the rows were read: a file
        whose non-ASCII lines are all cp1252 says ``cp1252``, a mixed one ``utf-8+cp1252``."""
        encoding = self.encoding
        if self.stats.fallback_lines:
            encoding = f"{encoding}+cp1252" if self.stats.utf8_lines else "cp1252"
        return {**super().describe(), "encoding": encoding, "delimiter": self.delimiter}

    def progress(self) -> tuple[int, int]:
        """(bytes read, file size)."""
        return self._done, self.size

    def _lines(self, handle: IO[bytes]) -> Iterator[str]:
        stats = self.stats
        done = handle.tell()
        for line in handle:
            done += len(line)
            if done - self._done > 1 << 20:
                self._done = done
            if line.isascii():
                yield line.decode("ascii")
                continue
            try:
                text = line.decode("utf-8")
                stats.utf8_lines += 1
            except UnicodeDecodeError:
                stats.fallback_lines += 1
                text = _decode_legacy(line)
            yield text
        self._done = done

    def _raw_rows(self) -> Iterator[tuple[int, list[str], Sequence[int]]]:
        with open(self.path, "rb") as handle:
            if self.encoding == "utf-16":
                lines: Iterator[str] = io.TextIOWrapper(handle, encoding="utf-16", newline="")
            else:
                lines = self._lines(handle)
                if self.encoding == "utf-8-sig":
                    handle.read(len(codecs.BOM_UTF8))
            reader = csv.reader(lines, delimiter=self.delimiter)
            number = previous_line = span = 0
            values: list[str] = []
            try:
                for values in reader:
                    number += 1
                    span, previous_line = reader.line_num - previous_line, reader.line_num
                    if number <= self._skip:
                        continue
                    numeric: Sequence[int] = ()
                    joined = "".join(values)
                    if "E+" in joined or "e+" in joined or ".0" in joined:
                        numeric = [i for i, v in enumerate(values) if _EXCEL_NUMBER.fullmatch(v)]
                    yield number, values, numeric
                if span > 1 and values and values[-1].endswith("\n"):
                    # The csv module ends a quote left open at the end of the file silently,
                    # swallowing every later line into one cell: refuse instead.
                    raise InputError(
                        f"{self.source}: row {number} opens a quote that is never closed"
                    )
            except csv.Error as exc:
                raise InputError(
                    f"{self.source}: cannot read row {number + 1}: {exc} (an unclosed quote?)"
                ) from None
            except UnicodeDecodeError as exc:
                raise InputError(f"{self.source}: invalid UTF-16 text ({exc.reason})") from None


def _cell_text(value: object) -> tuple[str, bool]:
    """A workbook cell as text, and whether it was stored as a number."""
    if isinstance(value, str):
        return value, False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, float):
        # Integral numbers print as digits: 3673015708750000.0 -> "3673015708750000".
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value)), True
        return repr(value), True
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return str(value), False


class WorkbookTable(InputTable):
    """One sheet of a spreadsheet, loaded with python-calamine."""

    kind = "workbook"

    def __init__(self, path: Path, sheet: str | None = None) -> None:
        super().__init__(path)
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if not head.strip():
            raise InputError(f"{self.source} is empty")
        if not head.startswith(_WORKBOOK_MAGIC):
            if not _looks_binary(head):
                raise InputError(
                    f"{self.source} is named like an Excel workbook but holds text "
                    "(a CSV?): rename it to .csv"
                )
            raise InputError(f"{self.source} is not a valid Excel workbook")
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            self.sheet = self._choose_sheet(workbook, sheet)
            self._sheet = workbook.get_sheet_by_name(self.sheet)
            # iter_rows() starts at the sheet's row 1 even when the data starts lower.
            self._total = (self._sheet.end or (-1, 0))[0] + 1
        except CalamineError as exc:
            raise InputError(f"cannot read workbook {self.source}: {exc}") from None
        self._done = 0
        self._header_rows = 0  # rows up to and including the header
        for values in self._sheet.iter_rows():
            self._header_rows += 1
            if any(values):
                self.headers = _clean_headers([_cell_text(v)[0] for v in values])
                break
        if not self.headers:
            raise InputError(f"{self.source}: sheet '{self.sheet}' is empty")

    def _choose_sheet(self, workbook: CalamineWorkbook, sheet: str | None) -> str:
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        if sheet is None:
            if not names:
                raise InputError(f"{self.source} has no worksheet")
            return names[0]
        if sheet in names:
            return sheet
        if sheet.isdigit() and 1 <= int(sheet) <= len(names):
            return names[int(sheet) - 1]
        raise InputError(f"{self.source} has no sheet '{sheet}'; sheets: {', '.join(names)}")

    def describe(self) -> dict[str, str | int | None]:
        """Format facts: the sheet read."""
        return {**super().describe(), "sheet": self.sheet}

    def progress(self) -> tuple[int, int]:
        """(rows read, rows in the sheet)."""
        return self._done, self._total

    def _raw_rows(self) -> Iterator[tuple[int, list[str], Sequence[int]]]:
        self._done = 0
        for values in self._sheet.iter_rows():
            self._done += 1
            if self._done <= self._header_rows:
                continue
            texts: list[str] = []
            numeric: list[int] = []
            for index, value in enumerate(values):
                if type(value) is str:
                    texts.append(value)
                    continue
                text, is_number = _cell_text(value)
                texts.append(text)
                if is_number:
                    numeric.append(index)
            yield self._done, texts, numeric


def open_table(path: Path | str, sheet: str | None = None) -> InputTable:
    """Open one input file (format by content, checked against the name) and read its header.

    Raises :class:`InputError` for a missing, empty, binary or misnamed file; a file
    with only a header opens fine and yields no rows. ``sheet`` (name or 1-based number)
    applies to workbooks; by default the first worksheet is read.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"file not found: {path}")
    try:
        if path.suffix.lower() in WORKBOOK_SUFFIXES:
            return WorkbookTable(path, sheet)
        if path.suffix.lower() not in CSV_SUFFIXES:
            with open(path, "rb") as handle:
                if handle.read(8).startswith(_WORKBOOK_MAGIC):
                    return WorkbookTable(path, sheet)
        return CsvTable(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def estimate_rows(paths: Sequence[Path | str]) -> int | None:
    """The number of data rows in ``paths`` when it can be known cheaply (for a progress
    bar): CSV files' line breaks minus their headers, an upper bound when quoted cells
    hold line breaks. None when a file is a workbook or cannot be read; reading it later
    reports the real problem."""
    total = 0
    for path in map(Path, paths):
        if path.suffix.lower() not in CSV_SUFFIXES:
            return None
        try:
            with open(path, "rb") as handle:
                lines = last = 0
                while chunk := handle.read(1 << 24):
                    lines += chunk.count(b"\n")
                    last = chunk[-1]
        except OSError:
            return None
        lines += last not in (0, ord("\n"))  # a last line without a line break
        total += max(lines - 1, 0)
    return total


def read_headers(path: Path | str, sheet: str | None = None) -> list[str]:
    """The (cleaned, unique) column names of one input file."""
    return open_table(path, sheet).headers


def read_rows(paths: Sequence[Path | str], sheet: str | None = None) -> Iterator[SourceRow]:
    """Stream the rows of several input files, in order, each with its source and row."""
    for path in paths:
        yield from open_table(path, sheet).rows()
