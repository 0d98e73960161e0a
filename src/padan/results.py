"""Per-owner link results: what the coordinator seals to each data owner.

A result holds, for the owner's own records only, the coordinator's verdict (status,
random match id, duplicate group, confidence band) keyed by the random record id.
No similarity score and nothing about other owners' records is in it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from padan.errors import VerificationError
from padan.files import write_bytes_atomic
from padan.identity import Card, Identity
from padan.model import Confidence, MatchRow, Status
from padan.sealing import open_sealed, seal

PURPOSE = "link-result"
FORMAT = "padan-result/1"


@dataclass(slots=True)
class OwnerResult:
    """One owner's result: run metadata and one row per record of its packages."""

    meta: dict[str, Any]
    rows: list[MatchRow]


def _to_bytes(result: OwnerResult) -> bytes:
    rows = result.rows
    table = pa.table(
        {
            "record_id": pa.array([r.record_id for r in rows], type=pa.binary(16)),
            "status": pa.array([r.status.value for r in rows], type=pa.string()),
            "match_id": pa.array([r.match_id for r in rows], type=pa.string()),
            "dup_group": pa.array([r.dup_group for r in rows], type=pa.string()),
            "confidence": pa.array(
                [r.confidence.value if r.confidence else None for r in rows], type=pa.string()
            ),
        }
    )
    parquet = io.BytesIO()
    pq.write_table(table, parquet, compression="zstd")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("result.json", json.dumps({"format": FORMAT, **result.meta}, sort_keys=True))
        zf.writestr("rows.parquet", parquet.getvalue())
    return out.getvalue()


def _from_bytes(payload: bytes) -> OwnerResult:
    with zipfile.ZipFile(io.BytesIO(payload)) as zf:
        meta = json.loads(zf.read("result.json"))
        table = pq.read_table(io.BytesIO(zf.read("rows.parquet")))
    if meta.get("format") != FORMAT:
        raise VerificationError(f"unknown result format {meta.get('format')!r}")
    cols = table.to_pydict()
    rows = [
        MatchRow(
            record_id=rid,
            status=Status(status),
            match_id=match_id,
            dup_group=dup,
            confidence=Confidence(conf) if conf else None,
        )
        for rid, status, match_id, dup, conf in zip(
            cols["record_id"],
            cols["status"],
            cols["match_id"],
            cols["dup_group"],
            cols["confidence"],
            strict=True,
        )
    ]
    return OwnerResult(meta, rows)


def write_result(path: Path, result: OwnerResult, *, coordinator: Identity, owner: Card) -> None:
    """Seal ``result`` to ``owner`` (signed by the coordinator) and write it atomically."""
    sealed = seal(
        _to_bytes(result),
        sender=coordinator,
        recipient=owner,
        purpose=PURPOSE,
        public={"run_id": result.meta.get("run_id"), "owner": owner.org},
    )
    write_bytes_atomic(path, sealed)


def read_result(
    path: Path, *, owner: Identity, trusted: Mapping[str, Card]
) -> tuple[OwnerResult, Card]:
    """Verify the coordinator's signature (against ``trusted``) and decrypt a result."""
    payload, coordinator = open_sealed(
        path.read_bytes(), recipient=owner, purpose=PURPOSE, trusted=trusted
    )
    if coordinator.role != "coordinator":
        raise VerificationError(f"{path.name} was signed by {coordinator.org}, not a coordinator")
    try:
        return _from_bytes(payload), coordinator
    except (zipfile.BadZipFile, KeyError, ValueError, pa.ArrowInvalid) as exc:
        raise VerificationError(f"{path.name} holds an unreadable result: {exc}") from None


def rows_by_record(rows: Sequence[MatchRow]) -> dict[bytes, MatchRow]:
    """Index result rows by record id."""
    return {r.record_id: r for r in rows}
