"""The owner's last stage: a sealed result + local keymap + original input → a worklist.

Only the owner can do this: the result is sealed to its key and only its keymap
turns random record ids back into its own file rows. Every input row appears in the
worklist: encoded rows with the coordinator's verdict, rejected rows as DITOLAK.

Rows are found by their keyed fingerprint (``padan.owner.fingerprint``), not by their
position, so a file sorted, filtered or re-saved (CSV ↔ XLSX) since ``encode`` still
gets every verdict on the right person. A row whose content changed, or that is new, gets
``BERUBAH`` and no verdict; rows of the keymap that are no longer in the input are
counted. Identical rows are paired in order (the same file and row first). A NIK or
No. KK that was present but damaged (Excel, wrong length, …) is said so on the row, and
a ``COCOK`` with a damaged No. KK becomes ``KK_BERBEDA``: it needs the card checked.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from padan.core.errors import InputError
from padan.core.types import MatchRow, Role, Status
from padan.formats.keymap import Keymap, KeymapRow, read_keymap
from padan.formats.result import read_result, rows_by_record
from padan.owner.fingerprint import (
    FINGERPRINT_LABEL,
    RowFingerprinter,
    fingerprint_key_check,
)
from padan.owner.identifiers import PROBLEMS
from padan.owner.read import read_headers, read_rows
from padan.owner.worklist import WorklistRow, WorklistSummary, write_worklist
from padan.trust.cards import Card
from padan.trust.identity import Identity

EXAMPLES = 5
"""How many changed or vanished rows a summary names."""

_DAMAGE_ADVICE: Mapping[tuple[str, Role], str] = {
    ("nik", "list"): "periksa KTP/KK warga dan perbaiki NIK di file asli",
    ("kk", "list"): "periksa kartu keluarga warga dan perbaiki No. KK di file asli",
    ("nik", "registry"): "periksa NIK ini di SIAK dan di file ekspor",
    ("kk", "registry"): "periksa No. KK ini di SIAK dan di file ekspor",
}


@dataclass(slots=True)
class ReconcileSummary:
    """What reconcile wrote, and which rows it could not place (for the CLI and the log).

    ``changed`` input rows matched no encoded row (content changed, or a new row): they
    are on the worklist as ``BERUBAH``. ``vanished`` encoded rows are not in the input
    any more (filtered out, deleted). The examples name rows as ``file:row``.
    """

    worklist: WorklistSummary
    changed: int = 0
    vanished: int = 0
    damaged: int = 0
    """Rows whose NIK or No. KK was damaged (said so in ``padan_keterangan``)."""
    changed_examples: list[str] = field(default_factory=list)
    vanished_examples: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        """The worklist written."""
        return self.worklist.path

    @property
    def rows(self) -> int:
        """Worklist rows."""
        return self.worklist.rows

    @property
    def counts(self) -> Mapping[Status, int]:
        """Worklist rows per status."""
        return self.worklist.counts

    def warnings(self) -> list[str]:
        """One line per kind of row that could not get a verdict (Indonesian, English)."""
        lines = []
        if self.changed:
            lines.append(
                f"{self.changed} baris berubah atau baru sejak encode (status BERUBAH, tanpa "
                f"hasil) / rows changed or new since encode: {', '.join(self.changed_examples)}"
            )
        if self.vanished:
            lines.append(
                f"{self.vanished} baris yang di-encode tidak ada lagi di file input / encoded "
                f"rows no longer in the input: {', '.join(self.vanished_examples)}"
            )
        return lines


def damage_note(codes: Sequence[str], role: Role) -> str | None:
    """The sentence that tells the owner its NIK or No. KK is damaged, with the next step."""
    parts = []
    for name, label in (("nik", "NIK"), ("kk", "No. KK")):
        found = [
            PROBLEMS[c].id.removeprefix(f"{label} ")
            for c in codes
            if c in PROBLEMS and PROBLEMS[c].field == name
        ]
        if found:
            advice = _DAMAGE_ADVICE[name, role]
            parts.append(f"{label} rusak: {'; '.join(found)} — {advice}.")
    return " ".join(parts) or None


class _RowFinder:
    """Pairs input rows with keymap rows by fingerprint; same file and row first, then in
    keymap order, each keymap row at most once."""

    def __init__(self, keymap: Keymap) -> None:
        self._by_fingerprint: dict[bytes, deque[KeymapRow]] = {}
        for row in keymap.rows:
            self._by_fingerprint.setdefault(row.fingerprint, deque()).append(row)

    def find(self, fingerprint: bytes, source: str, row: int) -> KeymapRow | None:
        candidates = self._by_fingerprint.get(fingerprint)
        if not candidates:
            return None
        for candidate in candidates:
            if candidate.row == row and Path(candidate.source).name == source:
                candidates.remove(candidate)
                return candidate
        return candidates.popleft()

    def left_over(self) -> list[KeymapRow]:
        """Keymap rows no input row claimed, by file and row."""
        return sorted(
            (r for rows in self._by_fingerprint.values() for r in rows),
            key=lambda r: (r.source, r.row),
        )


def _union_header(inputs: Sequence[Path]) -> list[str]:
    header: list[str] = []
    for path in inputs:
        header.extend(h for h in read_headers(path) if h not in header)
    return header


def _verdict(
    row: WorklistRow, entry: KeymapRow, verdicts: Mapping[bytes, MatchRow], role: Role
) -> WorklistRow:
    """``row`` with the verdict on its keymap entry (rejected or encoded), damage said."""
    note = damage_note(entry.damage, role)
    if entry.record_id is None:
        return dataclasses.replace(row, status=Status.DITOLAK, reason=entry.reason, note=note)
    verdict = verdicts.get(entry.record_id)
    if verdict is None:
        raise InputError(
            "this result does not cover the keymap's records: give the result of the link "
            "run that used this keymap's package"
        )
    status = verdict.status
    if status is Status.COCOK and any(c.startswith("kk_") for c in entry.damage):
        status = Status.KK_BERBEDA  # the KK could not be compared: it needs checking
    return dataclasses.replace(
        row,
        status=status,
        match_id=verdict.match_id,
        dup_group=verdict.dup_group,
        confidence=verdict.confidence,
        note=note,
    )


def worklist_fingerprint(
    fingerprinter: RowFingerprinter,
    cells: Mapping[str, str],
    status: str,
    match_id: str | None,
    dup_group: str | None,
) -> str:
    """``padan_fingerprint`` of a worklist row: its original cells and its verdict (hex)."""
    return fingerprinter.fingerprint(cells, (status, match_id or "", dup_group or "")).hex()


def worklist_checker(
    identity: Identity, original: Sequence[str]
) -> Callable[[Mapping[str, str]], bool]:
    """A test of worklist rows (as read back, by column) for ``disclose`` and ``apply``:
    True when the row's original cells and verdict are as reconcile wrote them, False when
    anything changed since (an edit, or a sort of only some columns)."""
    fingerprinter = RowFingerprinter(identity.local_key(FINGERPRINT_LABEL))

    def intact(row: Mapping[str, str]) -> bool:
        expected = worklist_fingerprint(
            fingerprinter,
            {h: row.get(h, "") for h in original},
            row.get("padan_status", ""),
            row.get("padan_match_id", ""),
            row.get("padan_dup_group", ""),
        )
        return hmac.compare_digest(expected, row.get("padan_fingerprint", ""))

    return intact


def reconcile_run(
    result: Path,
    *,
    identity: Identity,
    keymap: Path,
    trusted: Mapping[str, Card],
    inputs: Sequence[Path],
    out: Path,
) -> ReconcileSummary:
    """Decrypt ``result``, find each input row in ``keymap``, and write the worklist."""
    owner_result, _ = read_result(result, owner=identity, trusted=trusted)
    verdicts = rows_by_record(owner_result.rows)
    saved = read_keymap(keymap)
    key = identity.local_key(FINGERPRINT_LABEL)
    if fingerprint_key_check(key) != saved.key_check:
        raise InputError(
            f"{keymap.name} was written with another organisation's key: reconcile with the "
            "key that encoded the package"
        )
    roles = {d["role"] for d in owner_result.meta.get("datasets", [])}
    role: Role = "registry" if roles == {"registry"} else "list"
    header = _union_header(inputs)
    finder = _RowFinder(saved)
    row_fingerprints = RowFingerprinter(key, saved.columns)
    worklist_fingerprints = RowFingerprinter(key)
    summary = ReconcileSummary(WorklistSummary(out, 0, {}))

    def rows() -> Iterator[WorklistRow]:
        found_any = False
        for source_row in read_rows(inputs):
            source, number = Path(source_row.ref.source).name, source_row.ref.row
            cells = [source_row.cells.get(h, "") for h in header]
            line = WorklistRow(cells, source, number, Status.BERUBAH)
            entry = finder.find(row_fingerprints.fingerprint(source_row.cells), source, number)
            if entry is None:
                summary.changed += 1
                if len(summary.changed_examples) < EXAMPLES:
                    summary.changed_examples.append(f"{source}:{number}")
            else:
                found_any = True
                line = _verdict(line, entry, verdicts, role)
                summary.damaged += bool(entry.damage)
            check = worklist_fingerprint(
                worklist_fingerprints,
                dict(zip(header, cells, strict=True)),
                line.status.value,
                line.match_id,
                line.dup_group,
            )
            yield dataclasses.replace(line, fingerprint=check)
        if not found_any and saved.rows:
            raise InputError(
                "no input row is in this keymap: give the input files that were encoded, "
                "with the keymap of that package"
            )

    summary.worklist = write_worklist(out, header, rows(), role=role)
    left_over = finder.left_over()
    summary.vanished = len(left_over)
    summary.vanished_examples = [f"{Path(r.source).name}:{r.row}" for r in left_over[:EXAMPLES]]
    return summary
