"""Atomic writes: a failed write leaves the target as it was and no temporary file."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from padan.core.errors import OutputError
from padan.core.files import atomic_open, atomic_path, ensure_directory, write_bytes_atomic
from tests.processes import descendants, running


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


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "ckg.padan"
    stale = tmp_path / f".ckg.padan.{_dead_pid()}.abc123.tmp"
    live_writer = tmp_path / f".ckg.padan.{os.getppid()}.def456.tmp"  # a running process
    other = tmp_path / f".siak.padan.{_dead_pid()}.abc123.tmp"  # another target's
    for path in (stale, live_writer, other):
        path.write_bytes(b"x" * 1000)
    write_bytes_atomic(target, b"paket")
    assert not stale.exists()
    assert live_writer.exists() and other.exists()
    assert target.read_bytes() == b"paket"


def test_unwritable_targets_raise_output_errors_naming_them(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(OutputError, match="cannot create folder"):
        write_bytes_atomic(blocker / "x.csv", b"")
    (tmp_path / "a-folder.csv").mkdir()
    with pytest.raises(OutputError, match=r"a-folder\.csv"):
        write_bytes_atomic(tmp_path / "a-folder.csv", b"")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    with pytest.raises(OutputError):
        ensure_directory(blocker / "sub")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_exit_when_the_process_that_started_them_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(
        "import os, time\n"
        "from padan.core.files import worker_pool\n"
        "def pid(_):\n"
        "    time.sleep(0.1)\n"
        "    return os.getpid()\n"
        "if __name__ == '__main__':\n"
        "    with worker_pool(2) as pool:\n"
        "        print(*sorted(set(pool.map(pid, range(8)))), flush=True)\n"
        "        time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert parent.stdout is not None
    workers = [int(p) for p in parent.stdout.readline().split()]
    below = descendants(parent.pid)  # workers, the forkserver, the resource tracker
    try:
        assert workers and set(workers) <= set(below)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(map(running, below)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in below if running(p)]
    finally:
        for pid in below:  # never leave a process behind, even when the test fails
            if running(pid):
                os.kill(pid, signal.SIGKILL)
