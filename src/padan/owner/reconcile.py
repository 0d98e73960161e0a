"""The owner's last stage: a sealed result + local keymap + original input → a worklist.

Only the owner can do this: the result is sealed to its key and only its keymap
turns random record ids back into its own file rows. Every input row appears in the
worklist: encoded rows with the coordinator's verdict, rejected rows as DITOLAK.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pyarrow.parquet as pq

from padan.core.errors import InputError
from padan.core.types import Role, Status
from padan.formats.result import read_result, rows_by_record
from padan.owner.read import read_headers, read_rows
from padan.owner.worklist import WorklistRow, WorklistSummary, write_worklist
from padan.trust.cards import Card
from padan.trust.identity import Identity


def rejects_path_for(keymap: Path) -> Path:
    """The rejects file written beside a keymap (``X.keymap.parquet`` → ``X.rejects.csv``)."""
    name = keymap.name.removesuffix(".keymap.parquet")
    return keymap.with_name(f"{name}.rejects.csv")


def _row_key(source: str, row: int) -> tuple[str, int]:
    # Files are matched by name: the owner may run reconcile from another directory.
    return Path(source).name, int(row)


def _load_keymap(path: Path) -> dict[tuple[str, int], bytes]:
    if not path.is_file():
        raise InputError(f"keymap not found: {path}")
    table = pq.read_table(path, columns=["record_id", "source", "row"]).to_pydict()
    return {
        _row_key(s, r): rid
        for rid, s, r in zip(table["record_id"], table["source"], table["row"], strict=True)
    }


def _load_rejects(path: Path) -> dict[tuple[str, int], str]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {_row_key(r["source"], int(r["row"])): r["reason"] for r in csv.DictReader(handle)}


def _union_header(inputs: Sequence[Path]) -> list[str]:
    header: list[str] = []
    for path in inputs:
        header.extend(h for h in read_headers(path) if h not in header)
    return header


def reconcile_run(
    result: Path,
    *,
    identity: Identity,
    keymap: Path,
    trusted: Mapping[str, Card],
    inputs: Sequence[Path],
    out: Path,
) -> WorklistSummary:
    """Decrypt ``result``, join it with ``keymap`` and the inputs, and write the worklist."""
    owner_result, _ = read_result(result, owner=identity, trusted=trusted)
    verdicts = rows_by_record(owner_result.rows)
    ids = _load_keymap(keymap)
    rejects = _load_rejects(rejects_path_for(keymap))
    roles = {d["role"] for d in owner_result.meta.get("datasets", [])}
    role: Role = "registry" if roles == {"registry"} else "list"
    header = _union_header(inputs)

    def rows() -> Iterator[WorklistRow]:
        unknown = 0
        for source_row in read_rows(inputs):
            key = _row_key(source_row.ref.source, source_row.ref.row)
            cells = [source_row.cells.get(h, "") for h in header]
            base = {"cells": cells, "source": key[0], "row": key[1]}
            if key in rejects:
                yield WorklistRow(**base, status=Status.DITOLAK, reason=rejects[key])
                continue
            verdict = verdicts.get(ids.get(key, b""))
            if verdict is None:
                unknown += 1
                continue
            yield WorklistRow(
                **base,
                status=verdict.status,
                match_id=verdict.match_id,
                dup_group=verdict.dup_group,
                confidence=verdict.confidence,
            )
        if unknown:
            raise InputError(
                f"{unknown} input row(s) are not in this result's keymap: give the same input "
                "files that were encoded, with the keymap of that package"
            )

    return write_worklist(out, header, rows(), role=role)
