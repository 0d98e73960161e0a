"""Atomic writes: a failed write leaves the target as it was and no temporary file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from padan.core.files import atomic_open, atomic_path, write_bytes_atomic


def test_success_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out" / "hasil.csv"
    with atomic_open(target) as handle:
        handle.write("baru\n")
    assert target.read_text() == "baru\n"
    assert [p.name for p in target.parent.iterdir()] == ["hasil.csv"]


def test_failure_keeps_the_old_target_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "hasil.csv"
    target.write_text("lama\n")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("setengah")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "lama\n"
    assert [p.name for p in tmp_path.iterdir()] == ["hasil.csv"]


def test_private_mode_is_set_before_the_file_appears(tmp_path: Path) -> None:
    target = tmp_path / "kunci.key"
    with atomic_path(target, 0o600) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600
        tmp.write_bytes(b"rahasia")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_write_bytes_atomic(tmp_path: Path) -> None:
    write_bytes_atomic(tmp_path / "paket.bin", b"\x00\x01")
    assert (tmp_path / "paket.bin").read_bytes() == b"\x00\x01"
