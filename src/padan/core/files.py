"""Atomic file output (a crash never leaves a half-written file behind) and safe worker pools."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is
    atomic. On any exception the temporary file is removed and ``target`` is untouched.
    ``mode`` (e.g. ``0o600``) is applied before the rename, so a private file is
    never visible with wider permissions.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
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


def worker_pool(workers: int, **kwargs: Any) -> ProcessPoolExecutor:
    """A process pool whose workers start from a clean "forkserver" process.

    Forking the caller itself is unsafe once it runs threads (numba, Arrow and BLAS
    start thread pools): a forked child can inherit a held lock and crash.
    """
    return ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("forkserver"), **kwargs
    )
