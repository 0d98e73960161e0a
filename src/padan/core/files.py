"""Atomic file output (a crash never leaves a half-written file behind) and safe worker pools.

A temporary file is named after its target and the writing process
(``.NAME.PID.XXXX.tmp``), so the next write to the same target removes the temporary
files of processes that no longer run (killed with ``kill -9``, or a power cut): a
killed run leaves nothing behind for longer than that.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

from padan.core.errors import OutputError

WATCHDOG_SECONDS = 0.5
"""How often a worker process checks that the process that started it still runs."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and not ours to clean up
    return True


def _remove_stale_temporaries(target: Path) -> None:
    """Remove temporary files of ``target`` left by writers that no longer run."""
    with contextlib.suppress(OSError):
        for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
            pid = stale.name[len(target.name) + 2 :].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                stale.unlink(missing_ok=True)


def ensure_directory(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and its parents) if needed; ``OutputError`` when it cannot be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {folder}: {exc.strerror or exc}") from None
    return folder


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is
    atomic. On any exception the temporary file is removed and ``target`` is untouched.
    ``mode`` (e.g. ``0o600``) is applied before the rename, so a private file is
    never visible with wider permissions. A folder that cannot be written raises
    :class:`OutputError` naming ``target``.
    """
    target = Path(target)
    ensure_directory(target.parent)
    _remove_stale_temporaries(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
        )
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str],
    mode: str = "w",
    *,
    encoding: str | None = "utf-8",
    newline: str | None = None,
    file_mode: int | None = None,
) -> Iterator[IO]:
    """Open a temporary file for writing and atomically move it to ``target`` on close."""
    binary = "b" in mode
    with (
        atomic_path(target, file_mode) as tmp,
        open(
            tmp,
            mode,
            encoding=None if binary else encoding,
            newline=None if binary else newline,
        ) as handle,
    ):
        yield handle


def write_bytes_atomic(
    target: str | os.PathLike[str], data: bytes, file_mode: int | None = None
) -> None:
    """Write ``data`` to ``target`` atomically."""
    with atomic_open(target, "wb", file_mode=file_mode) as handle:
        handle.write(data)


def _watch_parent(parent: int) -> None:
    while _alive(parent):
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)  # the caller is gone (killed): nobody will ever collect our work


def _start_worker(
    parent: int, initializer: Callable[..., object] | None, initargs: tuple[Any, ...]
) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def worker_pool(
    workers: int,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    """A process pool whose workers start from a clean "forkserver" process.

    Forking the caller itself is unsafe once it runs threads (numba, Arrow and BLAS
    start thread pools): a forked child can inherit a held lock and crash. Each worker
    exits within ``WATCHDOG_SECONDS`` once the caller is gone, so a killed run leaves
    no orphaned workers holding memory.
    """
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
