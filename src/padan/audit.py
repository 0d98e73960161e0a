"""Append-only audit log of padan runs (``padan-audit.jsonl``): who ran what, on which files.

Every command appends one JSON line: UTC time, command, organisation, operating-system
user, host, padan version, name and SHA-256 of each input and output file, and counts.
Never raw data: a file is identified by its hash, a run by its counts.

Each line carries ``prev``, the SHA-256 of the previous line (64 zeros on the first), so
editing or deleting a line breaks the chain and ``verify_audit_log`` names where. The
chain is tamper-evident, not tamper-proof: whoever can write the file can rebuild the
whole chain, and cutting lines off the end leaves no trace. Agencies that need more copy
the hash of the last line to a place the operator cannot change (see docs/dpia.md).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from padan.core.errors import InputError, PadanError, VerificationError
from padan.core.version import __version__

AUDIT_LOG_NAME = "padan-audit.jsonl"
GENESIS = "0" * 64
"""``prev`` of the first line: a log whose first lines were cut off does not verify."""

_TAIL_CHUNK = 64 * 1024
_directory: contextvars.ContextVar[Path | None] = contextvars.ContextVar("audit_dir", default=None)


@dataclass(frozen=True, slots=True)
class Entry:
    """What one finished run reports to the audit log (never a raw value)."""

    org: str | None
    inputs: Sequence[Path] = ()
    outputs: Sequence[Path] = ()
    counts: Mapping[str, int] = field(default_factory=dict)


@contextlib.contextmanager
def logging_to(directory: Path) -> Iterator[None]:
    """Runs inside this block log to ``directory`` (e.g. one organisation's folder)."""
    token = _directory.set(directory)
    try:
        yield
    finally:
        _directory.reset(token)


def log_run(
    command: str,
    *,
    org: str | None,
    inputs: Sequence[Path],
    outputs: Sequence[Path],
    counts: Mapping[str, int],
    directory: Path | None = None,
) -> None:
    """Append one line describing a finished run to ``padan-audit.jsonl``.

    The log lives in ``directory`` (default: the folder set by :func:`logging_to`, else
    the current working directory). Files that
    do not exist (or are not regular files) are listed with ``sha256: null``. The line is
    written with ``O_APPEND`` in a single ``write`` under an exclusive lock, so concurrent
    runs neither interleave nor fork the hash chain.
    """
    path = (directory or _directory.get() or Path.cwd()) / AUDIT_LOG_NAME
    entry: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "command": command,
        "org": org,
        "user": _user(),
        "host": socket.gethostname(),
        "version": __version__,
        "inputs": [_describe(p) for p in inputs],
        "outputs": [_describe(p) for p in outputs],
        "counts": {str(name): int(value) for name, value in counts.items()},
    }
    try:
        # O_BINARY (Windows only) keeps "\n" from becoming "\r\n" and breaking the chain.
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        raise PadanError(f"cannot write the audit log {path}: {exc.strerror}") from exc
    try:
        with _exclusive(fd):
            entry["prev"] = _sha256(_last_line(path))
            line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
            os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def verify_audit_log(path: Path) -> int:
    """Check the hash chain of an audit log; return its number of lines.

    Raises ``VerificationError`` naming the first line (1-based) that is not valid JSON
    or whose ``prev`` is not the SHA-256 of the line before it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"audit log not found: {path}")
    expected = GENESIS
    count = 0
    with open(path, "rb") as handle:
        for count, raw in enumerate(handle, start=1):
            line = raw.rstrip(b"\n")
            try:
                prev = json.loads(line)["prev"]
            except (ValueError, KeyError, TypeError):
                raise VerificationError(
                    f"audit log {path.name}: line {count} is not a padan audit entry"
                ) from None
            if prev != expected:
                raise VerificationError(
                    f"audit log {path.name}: line {count} does not follow line {count - 1} "
                    "(a line was edited, inserted or deleted)"
                )
            expected = _sha256(line)
    return count


def _describe(path: Path) -> dict[str, Any]:
    """Name, size and SHA-256 of a file, hashed in a stream; nulls when it is no file."""
    path = Path(path)
    if not path.is_file():
        return {"name": str(path), "bytes": None, "sha256": None}
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"name": str(path), "bytes": path.stat().st_size, "sha256": digest}


def _sha256(line: bytes | None) -> str:
    return GENESIS if line is None else hashlib.sha256(line).hexdigest()


def _last_line(path: Path) -> bytes | None:
    """The last line of ``path`` without its newline (``None`` if empty), read from the end."""
    with open(path, "rb") as handle:
        position = handle.seek(0, os.SEEK_END)
        tail = b""
        while position > 0 and b"\n" not in tail.rstrip(b"\n"):
            start = max(0, position - _TAIL_CHUNK)
            handle.seek(start)
            tail = handle.read(position - start) + tail
            position = start
    body = tail.rstrip(b"\n")
    return body.rsplit(b"\n", 1)[-1] if body else None


def _user() -> str:
    try:
        return getpass.getuser()
    except OSError:  # no login name, e.g. in some containers
        return "unknown"


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    """Hold an exclusive lock on the open log while reading its tail and appending."""
    if sys.platform == "win32":
        import msvcrt

        # Lock the first byte as a mutex; writes still go to the end (O_APPEND).
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
