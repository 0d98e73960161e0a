"""Reading CSV and workbooks: delimiters, encodings, number cells, ragged and bad files."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from padan.core.errors import InputError
from padan.core.types import RowRef
from padan.owner.read import open_table, read_headers, read_rows


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


# --- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    # Commas inside names must not fool the sniffer for the other delimiters.
    body = f"NIK{delimiter}NAMA{delimiter}TGL\n1{delimiter}Siti, S.Pd{delimiter}17-08-1975\n"
    body = body if delimiter != "," else 'NIK,NAMA,TGL\n1,"Siti, S.Pd",17-08-1975\n'
    table = open_table(write(tmp_path / "a.csv", body))
    assert table.delimiter == delimiter
    assert [r.cells for r in table.rows()] == [
        {"NIK": "1", "NAMA": "Siti, S.Pd", "TGL": "17-08-1975"}
    ]


def test_rows_keep_source_and_spreadsheet_row(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "A,B\n1,2\n3,4\n")
    refs = [r.ref for r in read_rows([str(path)])]
    assert refs == [RowRef(str(path), 2), RowRef(str(path), 3)]


def test_several_files_in_order(tmp_path: Path) -> None:
    first = write(tmp_path / "pkm-a.csv", "A\nx\n")
    second = write(tmp_path / "pkm-b.csv", "A;B\ny;z\n")
    rows = list(read_rows([first, second]))
    assert [(Path(r.ref.source).name, r.ref.row, r.cells["A"]) for r in rows] == [
        ("pkm-a.csv", 2, "x"),
        ("pkm-b.csv", 2, "y"),
    ]


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", codecs.BOM_UTF8 + "NIK,NAMA\n1,José\n".encode())
    table = open_table(path)
    assert table.headers == ["NIK", "NAMA"]
    assert [r.cells["NAMA"] for r in table.rows()] == ["José"]
    assert table.describe()["encoding"] == "utf-8-sig"


def test_cp1252_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "NIK;NAMA\n1;José Müller\n", encoding="cp1252")
    table = open_table(path)
    assert [r.cells["NAMA"] for r in table.rows()] == ["José Müller"]
    assert table.describe()["encoding"] == "cp1252"


def test_mixed_encodings_lose_nothing(tmp_path: Path) -> None:
    data = "NIK,NAMA\n1,José\n".encode() + "2,José\n".encode("cp1252") + b"3,Jos\x81\n"
    table = open_table(write(tmp_path / "a.csv", data))
    assert [r.cells["NAMA"] for r in table.rows()] == ["José", "José", "Jos\x81"]
    assert table.stats.fallback_lines == 2
    assert table.describe()["encoding"] == "utf-8+cp1252"


def test_utf16_unicode_text_export(tmp_path: Path) -> None:
    # Excel's "Unicode Text" export: UTF-16 with BOM, tab-separated.
    path = write(tmp_path / "a.txt", "NIK\tNAMA\r\n1\tSiti\r\n", encoding="utf-16")
    table = open_table(path)
    assert table.delimiter == "\t"
    assert [r.cells for r in table.rows()] == [{"NIK": "1", "NAMA": "Siti"}]


def test_quoted_cell_spanning_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'A,B\n1,"Jl. Mawar\nNo. 5"\n2,x\n')
    rows = list(open_table(path).rows())
    assert [(r.ref.row, r.cells["B"]) for r in rows] == [(2, "Jl. Mawar\nNo. 5"), (3, "x")]


def test_unclosed_quote_is_an_error_not_a_swallowed_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'A,B\n1,"never closed\n2,3\n4,5\n')
    with pytest.raises(InputError, match="never closed"):
        list(open_table(path).rows())


def test_ragged_rows_are_kept_and_marked(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "A,B,C\n1,2\n1,2,3,4,5\n1,2,3,,\n1,2,3\n")
    table = open_table(path)
    rows = list(table.rows())
    assert rows[0].cells == {"A": "1", "B": "2", "C": ""}
    assert rows[0].cell_count == 2
    assert rows[1].cells == {"A": "1", "B": "2", "C": "3", "_extra_1": "4", "_extra_2": "5"}
    assert rows[1].cell_count == 5
    assert rows[2].cell_count is None  # trailing empty cells are not data
    assert rows[3].cell_count is None
    assert table.stats.ragged_rows == 2
    assert table.stats.rows == 4


def test_blank_rows_are_skipped_but_counted(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.csv", "A,B\n\n1,2\n,\n3,4\n"))
    assert [r.ref.row for r in table.rows()] == [3, 5]
    assert table.stats.blank_rows == 2


def test_lines_before_the_header_keep_row_numbers(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.csv", "\n\nA,B\n1,2\n"))
    assert table.headers == ["A", "B"]
    assert [r.ref.row for r in table.rows()] == [4]


def test_headers_are_cleaned_and_unique(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", " NIK , ,ALAMAT,ALAMAT,\n1,2,3,4\n")
    assert read_headers(path) == ["NIK", "_column_2", "ALAMAT", "ALAMAT_2"]


def test_excel_number_text_in_csv_is_numeric(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.csv",
        "NIK,KK,TGL,NAMA\n3.67301E+15,3673011708759000.0,17.08.1975,Siti\n"
        "3673011708759001,3673011203109001,27623,Budi\n",
    )
    first, second = open_table(path).rows()
    assert first.numeric == frozenset({"NIK", "KK"})
    assert second.numeric == frozenset()  # plain digits in a CSV are text


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    table = open_table(write(tmp_path / "a.csv", "NIK,NAMA\n"))
    assert table.headers == ["NIK", "NAMA"]
    assert list(table.rows()) == []


@pytest.mark.parametrize("content", [b"", b"   \n\n", codecs.BOM_UTF8])
def test_empty_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    with pytest.raises(InputError, match="is empty"):
        open_table(write(tmp_path / "a.csv", content))


def test_binary_garbage_is_a_clear_error(tmp_path: Path) -> None:
    garbage = bytes((i * 7919 + 13) % 256 for i in range(4096))
    with pytest.raises(InputError, match="not a text file"):
        open_table(write(tmp_path / "a.csv", garbage))


def test_binary_without_nul_bytes_is_still_garbage(tmp_path: Path) -> None:
    garbage = bytes(1 + (i * 31) % 255 for i in range(4096))
    with pytest.raises(InputError, match="not a text file"):
        open_table(write(tmp_path / "a.csv", garbage))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        open_table(tmp_path / "nope.csv")


def test_csv_rows_stream(tmp_path: Path) -> None:
    """The first row arrives after reading a bounded part of a large file."""
    path = tmp_path / "big.csv"
    with open(path, "w") as handle:
        handle.write("A,B\n")
        handle.writelines(f"{i},nama ke {i}\n" for i in range(200_000))
    table = open_table(path)
    rows = table.rows()
    next(rows)
    done, total = table.progress()
    assert total == path.stat().st_size
    assert done < total // 2
    rows.close()


# --- workbooks -------------------------------------------------------------------------


def test_xlsx_cells_numbers_and_dates(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "a.xlsx",
        {
            "Data": [
                ["NIK", "TGL LAHIR", "NAMA", "RT", "AKTIF"],
                [3673011708759000, dt.date(1975, 8, 17), "Siti", 3, True],
                ["3673011708759001", dt.datetime(1975, 8, 17, 0, 0), "Budi", "003", None],
                [3.67301e15, dt.datetime(1975, 8, 17, 10, 30), "Ani", 12.5, False],
            ]
        },
    )
    rows = list(open_table(path).rows())
    assert rows[0].cells == {
        "NIK": "3673011708759000",
        "TGL LAHIR": "1975-08-17",
        "NAMA": "Siti",
        "RT": "3",
        "AKTIF": "TRUE",
    }
    assert rows[0].numeric == frozenset({"NIK", "RT"})
    assert rows[1].numeric == frozenset()  # a text cell stays text
    assert rows[1].cells["TGL LAHIR"] == "1975-08-17"
    assert rows[2].cells["NIK"] == "3673010000000000"
    assert rows[2].cells["TGL LAHIR"] == "1975-08-17 10:30:00"
    assert rows[2].cells["RT"] == "12.5"
    assert [r.ref.row for r in rows] == [2, 3, 4]


def test_xlsx_sheet_choice(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", {"Satu": [["A"], ["1"]], "Dua": [["B"], ["2"]]})
    assert open_table(path).headers == ["A"]
    assert open_table(path, sheet="Dua").headers == ["B"]
    assert open_table(path, sheet="2").headers == ["B"]
    with pytest.raises(InputError, match="sheets: Satu, Dua"):
        open_table(path, sheet="Tiga")


def test_xlsx_header_below_the_first_row_keeps_excel_row_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.cell(row=3, column=2, value="NIK")
    sheet.cell(row=3, column=3, value="NAMA")
    sheet.cell(row=4, column=2, value="1")
    sheet.cell(row=6, column=3, value="Siti")
    sheet.cell(row=6, column=5, value="catatan")  # a note beyond the header
    book.save(tmp_path / "a.xlsx")
    table = open_table(tmp_path / "a.xlsx")
    rows = list(table.rows())
    assert table.headers == ["NIK", "NAMA"]
    assert [r.ref.row for r in rows] == [4, 6]
    assert rows[1].cells == {"NIK": "", "NAMA": "Siti", "_extra_1": "", "_extra_2": "catatan"}
    assert rows[1].cell_count == 4
    assert table.stats.blank_rows == 1


def test_xlsx_header_only_and_empty_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", {"A": [["NIK", "NAMA"]], "B": []})
    assert list(open_table(path).rows()) == []
    with pytest.raises(InputError, match="is empty"):
        open_table(path, sheet="B")


def test_xlsx_that_is_really_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "ckg.xlsx", "NIK,NAMA\n1,Siti\n")
    with pytest.raises(InputError, match=r"rename it to \.csv"):
        open_table(path)


def test_csv_that_is_really_a_workbook(tmp_path: Path) -> None:
    source = workbook(tmp_path / "a.xlsx", {"A": [["NIK"], ["1"]]})
    path = write(tmp_path / "ckg.csv", source.read_bytes())
    with pytest.raises(InputError, match=r"rename it to \.xlsx"):
        open_table(path)


def test_workbook_without_known_suffix_is_read_by_content(tmp_path: Path) -> None:
    source = workbook(tmp_path / "a.xlsx", {"A": [["NIK"], ["1"]]})
    path = write(tmp_path / "export.dat", source.read_bytes())
    assert [r.cells for r in open_table(path).rows()] == [{"NIK": "1"}]


def test_corrupt_workbook(tmp_path: Path) -> None:
    source = workbook(tmp_path / "a.xlsx", {"A": [["NIK"], ["1"]]}).read_bytes()
    path = write(tmp_path / "b.xlsx", source[: len(source) // 2])
    with pytest.raises(InputError, match="cannot read workbook"):
        open_table(path)
