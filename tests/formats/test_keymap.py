"""The keymap and rejects files: written and read by padan.formats.keymap only."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from padan.core.errors import InputError
from padan.formats.keymap import (
    Keymap,
    KeymapRow,
    keymap_paths,
    read_keymap,
    read_rejects,
    rejects_path_for,
    write_keymap,
    write_rejects,
)

ROWS = [
    KeymapRow(b"\x01" * 16, "ckg.csv", 2, "R-1", os.urandom(16)),
    KeymapRow(b"\x02" * 16, "ckg.csv", 3, "", None, "tidak ada nama"),
    KeymapRow(b"\x03" * 16, "b.xlsx", 7, "R-3", os.urandom(16), damage=("kk_truncated",)),
]


def test_keymap_round_trip_is_private_and_complete(tmp_path: Path) -> None:
    keymap, rejects = keymap_paths(tmp_path / "out" / "ckg.padan")
    assert (keymap.name, rejects.name) == ("ckg.keymap.parquet", "ckg.rejects.csv")
    assert rejects_path_for(keymap) == rejects
    write_keymap(keymap, Keymap(ROWS, ("NIK", "NAMA"), "ab" * 16))
    write_rejects(rejects, ROWS)
    assert keymap.stat().st_mode & 0o777 == rejects.stat().st_mode & 0o777 == 0o600
    back = read_keymap(keymap)
    assert list(back.rows) == ROWS
    assert back.columns == ("NIK", "NAMA") and back.key_check == "ab" * 16
    assert read_rejects(rejects) == [("ckg.csv", 3, "tidak ada nama")]


def test_a_keymap_without_fingerprints_is_refused_with_advice(tmp_path: Path) -> None:
    old = tmp_path / "old.keymap.parquet"
    pq.write_table(pa.table({"record_id": [b"x" * 16], "source": ["a.csv"], "row": [2]}), old)
    with pytest.raises(InputError, match="older padan"):
        read_keymap(old)
    (tmp_path / "junk.keymap.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="not a readable keymap"):
        read_keymap(tmp_path / "junk.keymap.parquet")
    with pytest.raises(InputError, match="not found"):
        read_keymap(tmp_path / "missing.keymap.parquet")
