"""The owner's local files beside a package: the keymap and the rejects list.

Both stay with the owner; neither leaves the machine. Written by ``encode``, read by
``reconcile`` — here, and nowhere else.

* ``X.keymap.parquet`` — one line per input row, in input order: the row's keyed
  fingerprint (``padan.owner.fingerprint``), where it was at encode time (file, row,
  local id), its random record id in the package (null for a rejected row) or the
  rejection reason, and the codes of identifier damage found in it (e.g.
  ``kk_truncated``), so reconcile can say so on the worklist. The Parquet metadata
  holds the format, the columns the fingerprints cover and the fingerprint key's check
  value (so a keymap read with another organisation's key is refused, not misread).
* ``X.rejects.csv`` — the rejected rows for people: ``source, row, reason``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from padan.core.errors import InputError
from padan.core.files import atomic_open, atomic_path
from padan.formats.records import ID_BYTES

KEYMAP_FORMAT = "padan-keymap/2"
_META_KEY = b"padan"
REJECTS_HEADER = ("source", "row", "reason")


@dataclass(frozen=True, slots=True)
class KeymapRow:
    """One input row as encode saw it."""

    fingerprint: bytes
    source: str
    row: int
    local_id: str = ""
    record_id: bytes | None = None
    """The row's random id in the package; None when the row was rejected."""
    reason: str = ""
    """Why the row was rejected (masked, as every rejection reason is)."""
    damage: tuple[str, ...] = ()
    """Problem codes of a NIK/No. KK that was present but unusable (e.g. ``kk_truncated``)."""


@dataclass(frozen=True, slots=True)
class Keymap:
    """A package's keymap: its rows and what their fingerprints cover."""

    rows: Sequence[KeymapRow]
    columns: tuple[str, ...]
    """The input columns (by name) the fingerprints cover."""
    key_check: str
    """Check value of the fingerprint key (``padan.owner.fingerprint.fingerprint_key_check``)."""


def keymap_paths(package: Path) -> tuple[Path, Path]:
    """The local keymap and rejects files that belong to ``package`` (``X.padan``)."""
    stem = package.with_suffix("")
    return stem.with_name(stem.name + ".keymap.parquet"), stem.with_name(stem.name + ".rejects.csv")


def write_keymap(path: Path, keymap: Keymap) -> None:
    """Write the keymap atomically, readable by the owner only (mode 0600)."""
    rows = keymap.rows
    table = pa.table(
        {
            "fingerprint": pa.array([r.fingerprint for r in rows], type=pa.binary()),
            "source": pa.array([r.source for r in rows], type=pa.string()),
            "row": pa.array([r.row for r in rows], type=pa.int64()),
            "local_id": pa.array([r.local_id for r in rows], type=pa.string()),
            "record_id": pa.array([r.record_id for r in rows], type=pa.binary(ID_BYTES)),
            "reason": pa.array([r.reason for r in rows], type=pa.string()),
            "damage": pa.array([list(r.damage) for r in rows], type=pa.list_(pa.string())),
        }
    )
    meta = {"format": KEYMAP_FORMAT, "columns": list(keymap.columns), "key_check": keymap.key_check}
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode("utf-8")})
    with atomic_path(path, 0o600) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_keymap(path: Path) -> Keymap:
    """Read a keymap written by :func:`write_keymap`; ``InputError`` for anything else."""
    if not path.is_file():
        raise InputError(f"keymap not found: {path}")
    try:
        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(_META_KEY, b"{}"))
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{path.name} is not a readable keymap: {exc}") from None
    if meta.get("format") != KEYMAP_FORMAT:
        raise InputError(
            f"{path.name} was written by an older padan (no row fingerprints): run padan "
            "encode again, send the new package to the coordinator and link again"
        )
    data = table.to_pydict()
    rows = [
        KeymapRow(fp, source, row, local_id or "", rid, reason or "", tuple(damage or ()))
        for fp, source, row, local_id, rid, reason, damage in zip(
            data["fingerprint"],
            data["source"],
            data["row"],
            data["local_id"],
            data["record_id"],
            data["reason"],
            data["damage"],
            strict=True,
        )
    ]
    return Keymap(rows, tuple(meta["columns"]), str(meta["key_check"]))


def rejects_path_for(keymap: Path) -> Path:
    """The rejects file written beside a keymap (``X.keymap.parquet`` → ``X.rejects.csv``)."""
    name = keymap.name.removesuffix(".keymap.parquet")
    return keymap.with_name(f"{name}.rejects.csv")


def write_rejects(path: Path, rows: Sequence[KeymapRow]) -> None:
    """Write the rejected rows (those with a reason) as a CSV for people, atomically."""
    with atomic_open(path, "w", newline="", encoding="utf-8-sig", file_mode=0o600) as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECTS_HEADER)
        writer.writerows([r.source, r.row, r.reason] for r in rows if r.record_id is None)


def read_rejects(path: Path) -> list[tuple[str, int, str]]:
    """The rejects file's ``(source, row, reason)`` lines; ``InputError`` if unreadable."""
    if not path.is_file():
        raise InputError(f"rejects file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != REJECTS_HEADER:
            raise InputError(f"{path.name} is not a padan rejects file")
        return [(r["source"], int(r["row"]), r["reason"]) for r in reader]
