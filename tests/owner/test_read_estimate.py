"""estimate_rows: a cheap row count for the encode progress bar."""

from __future__ import annotations

from pathlib import Path

from padan.owner.read import estimate_rows


def test_csv_rows_are_counted_without_the_header(tmp_path: Path) -> None:
    ended = tmp_path / "a.csv"
    ended.write_text("NIK,NAMA\n1,A\n2,B\n", encoding="utf-8")
    unended = tmp_path / "b.csv"
    unended.write_text("NIK,NAMA\n1,A\n2,B\n3,C", encoding="utf-8")
    header_only = tmp_path / "c.csv"
    header_only.write_text("NIK,NAMA", encoding="utf-8")
    assert estimate_rows([ended]) == 2
    assert estimate_rows([ended, unended, header_only]) == 5


def test_unknown_when_not_cheap_or_not_readable(tmp_path: Path) -> None:
    assert estimate_rows([tmp_path / "book.xlsx"]) is None
    assert estimate_rows([tmp_path / "missing.csv"]) is None
