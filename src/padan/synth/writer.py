"""Output encoding for synthetic files: compact CSV lines, deterministic XLSX.

Everything is written through ``padan.core.files`` so that a crash never leaves half a file.
XLSX files are normalised (fixed zip timestamps and document dates) so that the same
seed gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Protocol

from openpyxl import Workbook

from padan.core.files import write_bytes_atomic

_NEEDS_QUOTES = re.compile(r'[",\r\n]')
_NEEDS_QUOTES_NO_COMMA = re.compile(r'["\r\n]')
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def csv_line(cells: Sequence[str]) -> str:
    """One CSV record without line end, quoted like ``csv.writer`` (minimal quoting)."""
    line = ",".join(cells)
    if line.count(",") == len(cells) - 1 and not _NEEDS_QUOTES_NO_COMMA.search(line):
        return line  # the common case: nothing to quote
    return ",".join(
        '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell
        for cell in cells
    )


def parse_csv_line(line: str) -> list[str]:
    """The cells of one line made by ``csv_line``."""
    return next(csv.reader([line]))


class RowWriter(Protocol):
    """What ``csv.writer`` returns, as far as the generator uses it."""

    def writerow(self, row: Iterable[object], /) -> object:
        """Write one record."""
        ...


def csv_writer(handle: IO[str]) -> RowWriter:
    """A ``csv.writer`` with the line end used by every synthetic file (``\\n``)."""
    return csv.writer(handle, lineterminator="\n")


def write_xlsx(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], stamp: dt.date
) -> None:
    """Write one sheet atomically; byte-identical for identical rows and ``stamp``.

    Cells keep their Python type: ``int`` becomes a numeric cell (how Excel stores a
    NIK that a clerk typed as a number), ``str`` a text cell.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("CKG")
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_bytes_atomic(path, _normalise_zip(buffer.getvalue(), stamp))


def _normalise_zip(data: bytes, stamp: dt.date) -> bytes:
    """Rewrite an XLSX zip with fixed entry timestamps and document dates."""
    fixed = f"{stamp.isoformat()}T00:00:00Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _CORE_DATES.sub(rb"\g<1>" + fixed + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, content)
    return out.getvalue()
