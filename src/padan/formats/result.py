"""Per-owner link results: what the coordinator seals to each data owner.

A result holds, for the owner's own records only, the coordinator's verdict (status,
random match id, duplicate group, confidence band) keyed by the random record id.
No similarity score and nothing about other owners' records is in it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from padan.core.errors import VerificationError
from padan.core.files import write_bytes_atomic
from padan.core.types import Confidence, MatchRow, Status
from padan.trust.cards import Card
from padan.trust.identity import Identity
from padan.trust.sealing import open_sealed, seal

PURPOSE = "link-result"
FORMAT = "padan-result/1"


@dataclass(slots=True, eq=False)
class ResultRows(Sequence[MatchRow]):
    """Result rows as parallel columns: a sequence of :class:`MatchRow` built on demand.

    A city-scale run has a million rows; building a ``MatchRow`` object per row cost
    seconds, so the coordinator fills these columns with array operations instead.
    """

    record_id: np.ndarray  # (n, 16) uint8
    status: np.ndarray  # object: Status
    match_id: np.ndarray  # object: str | None
    dup_group: np.ndarray  # object: str | None
    confidence: np.ndarray  # object: Confidence | None

    @classmethod
    def concat(cls, parts: Sequence[ResultRows]) -> ResultRows:
        """The rows of ``parts``, one after another."""
        return cls(
            *(
                np.concatenate([getattr(p, name) for p in parts])
                for name in ("record_id", "status", "match_id", "dup_group", "confidence")
            )
        )

    def __len__(self) -> int:
        return len(self.status)

    @overload
    def __getitem__(self, index: int) -> MatchRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[MatchRow]: ...
    def __getitem__(self, index: int | slice) -> MatchRow | Sequence[MatchRow]:
        if isinstance(index, slice):
            return list(self)[index]
        return MatchRow(
            bytes(self.record_id[index]),
            self.status[index],
            self.match_id[index],
            self.dup_group[index],
            self.confidence[index],
        )

    def __iter__(self) -> Iterator[MatchRow]:
        width = self.record_id.shape[1]
        ids = self.record_id.tobytes()
        columns = (self.status, self.match_id, self.dup_group, self.confidence)
        for k, (status, match_id, dup, conf) in enumerate(
            zip(*(c.tolist() for c in columns), strict=True)
        ):
            yield MatchRow(ids[k * width : (k + 1) * width], status, match_id, dup, conf)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ResultRows):
            return NotImplemented
        return np.array_equal(self.record_id, other.record_id) and all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("status", "match_id", "dup_group", "confidence")
        )

    __hash__ = None  # type: ignore[assignment]  # mutable columns

    def status_counts(self) -> Counter[Status]:
        """How many rows have each status."""
        return Counter(self.status.tolist())


@dataclass(slots=True)
class OwnerResult:
    """One owner's result: run metadata and one row per record of its packages."""

    meta: dict[str, Any]
    rows: ResultRows


def _values(column: np.ndarray) -> list[str | None]:
    return [None if v is None else v.value for v in column.tolist()]


def _to_bytes(result: OwnerResult) -> bytes:
    rows = result.rows
    table = pa.table(
        {
            "record_id": pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(16), len(rows), [None, pa.py_buffer(rows.record_id.tobytes())]
            ),
            "status": pa.array(_values(rows.status), type=pa.string()),
            "match_id": pa.array(rows.match_id, type=pa.string()),
            "dup_group": pa.array(rows.dup_group, type=pa.string()),
            "confidence": pa.array(_values(rows.confidence), type=pa.string()),
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

    def column(name: str, kind: type[Status] | type[Confidence] | None = None) -> np.ndarray:
        values = table[name].to_pylist()
        out = np.empty(len(values), dtype=object)
        out[:] = values if kind is None else [kind(v) if v else None for v in values]
        return out

    ids = table["record_id"].combine_chunks()
    record_id = np.frombuffer(ids.buffers()[1], dtype=np.uint8)[
        ids.offset * 16 : (ids.offset + len(ids)) * 16
    ]
    rows = ResultRows(
        record_id.reshape(len(ids), 16).copy(),
        column("status", Status),
        column("match_id"),
        column("dup_group"),
        column("confidence", Confidence),
    )
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
