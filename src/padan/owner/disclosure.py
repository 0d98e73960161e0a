"""The optional correction round under a formal agreement (PKS): ``disclose`` and ``apply``.

Only where a cooperation agreement with Dukcapil provides for it (Permendagri 102/2019):

* ``disclose`` (registry side, Disdukcapil): from the registry's *own* worklist, for the
  chosen match ids of its matched rows, seal the registry's NIK and No. KK — and nothing
  else (``DISCLOSED_FIELDS`` is an allowlist: no name, no date) — to a list owner's card.
* ``apply`` (list side, Dinkes): verify and open the disclosure, then write a corrected
  upload file (the list's original columns only) in which NIK/KK of ``NIK_BERBEDA`` and
  ``KK_BERBEDA`` rows are replaced by the disclosed values, plus a change log with masked
  values only.

Data minimisation: a match id exists only in the two owners' sealed results of one link
run (the coordinator draws it at random for a person found on both sides), so a list
owner can only ask for ids it received, and the registry discloses only rows that carry
such an id — never more people than the recipient already holds. ``disclose`` cannot
prove that the recipient holds a given id; with several list owners in one run, each
should send the ids of its own worklist (``--match-ids``) instead of ``--all-matched``.

NIK ganda: when several registry records share a match id (one person, several NIKs,
``padan_dup_group`` set), every NIK/KK of the group is disclosed and the entry is flagged
``ganda``; ``apply`` never picks one, it lists the row as needing a decision, so the list
owner asks Disdukcapil which NIK is the active one.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from padan.core.canonical import utc_timestamp
from padan.core.errors import InputError, VerificationError
from padan.core.files import atomic_open, write_bytes_atomic
from padan.core.masking import mask_digits, mask_number
from padan.core.types import Status
from padan.owner.profiles import resolve_profile
from padan.owner.reconcile import worklist_checker
from padan.owner.worklist import WORKLIST_COLUMNS, read_worklist
from padan.trust.cards import Card
from padan.trust.identity import Identity
from padan.trust.sealing import open_sealed, seal

PURPOSE = "disclosure"
FORMAT = "padan-disclosure/1"
DISCLOSED_FIELDS: tuple[str, ...] = ("nik", "kk")
"""The only fields a disclosure may carry (checked when sealing and when opening)."""

APPLIED_STATUSES = frozenset({Status.NIK_BERBEDA, Status.KK_BERBEDA})
"""List statuses whose NIK/KK ``apply`` replaces; every other status is left as it is."""

CHANGE_LOG_HEADER: tuple[str, ...] = (
    "source",
    "row",
    "field",
    "old",
    "new",
    "match_id",
    "action",
    "reason",
)
CHANGED = "DIGANTI"
NEEDS_DECISION = "PERLU_KEPUTUSAN"
ROW_CHANGED = "BARIS_BERUBAH"
_ROW_CHANGED_REASON = (
    "baris worklist berubah sejak reconcile (padan_fingerprint tidak cocok), tidak diganti; "
    "jalankan reconcile ulang"
)


@dataclass(frozen=True, slots=True)
class DisclosedPerson:
    """What the registry discloses for one match id: its NIK/KK (several when ganda)."""

    match_id: str
    records: tuple[Mapping[str, str], ...]
    ganda: bool


@dataclass(frozen=True, slots=True)
class DisclosureSummary:
    """What ``disclose`` sealed, for the CLI to print and the audit log to keep."""

    path: Path
    recipient: str
    match_ids: int
    records: int
    ganda: int
    changed: int = 0
    """Matched worklist rows left out because a row of their person changed since reconcile."""

    def counts(self) -> dict[str, int]:
        """Counts for the audit log."""
        return {
            "match_ids": self.match_ids,
            "records": self.records,
            "ganda": self.ganda,
            "changed": self.changed,
        }


@dataclass(slots=True)
class ApplySummary:
    """What ``apply`` wrote, for the CLI to print and the audit log to keep."""

    corrected: Path
    log: Path
    sender: str
    rows: int = 0
    disclosed: int = 0
    nik_changed: int = 0
    kk_changed: int = 0
    needs_decision: int = 0
    unknown_match_ids: int = 0
    """Disclosed ids absent from the worklist (e.g. reconcile was re-run): ignored."""
    changed: int = 0
    """Rows left as they were because the worklist row changed since reconcile."""

    def counts(self) -> dict[str, int]:
        """Counts for the audit log."""
        return {
            "rows": self.rows,
            "disclosed": self.disclosed,
            "nik_changed": self.nik_changed,
            "kk_changed": self.kk_changed,
            "needs_decision": self.needs_decision,
            "unknown_match_ids": self.unknown_match_ids,
            "changed": self.changed,
        }


# --- registry side -----------------------------------------------------------------------


def read_match_ids(path: Path) -> list[str]:
    """Match ids from a text file: one per line; blank lines and ``#`` comments skipped."""
    if not path.is_file():
        raise InputError(f"match id file not found: {path}")
    lines = (line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _original_header(header: Sequence[str], path: Path) -> list[str]:
    """The input's own columns of a worklist; ``InputError`` if it is no worklist."""
    missing = [c for c in WORKLIST_COLUMNS if c not in header]
    if missing == ["padan_fingerprint"]:
        raise InputError(
            f"{path.name} was written by an older padan (no padan_fingerprint): run padan "
            "reconcile again"
        )
    if missing:
        raise InputError(
            f"{path.name} is not a padan worklist (no {', '.join(missing)}): give the file "
            "written by padan reconcile"
        )
    return [h for h in header if h not in WORKLIST_COLUMNS]


def _identifier_columns(
    header: Sequence[str], profile: str | None, path: Path
) -> dict[str, str | None]:
    """The worklist column holding each disclosed field (``None`` when absent)."""
    resolved = resolve_profile(_original_header(header, path), profile)
    columns: dict[str, str | None] = {}
    for name in DISCLOSED_FIELDS:
        found = resolved.columns.get(name, ())
        if len(found) > 1:
            raise InputError(f"{path.name}: field {name} is spread over several columns")
        columns[name] = found[0] if found else None
    if columns["nik"] is None:
        raise InputError(f"{path.name} has no NIK column")
    return columns


def _check_recipient(recipient: Card, sender: Identity, trusted: Mapping[str, Card]) -> None:
    if trusted.get(recipient.fingerprint) != recipient:
        raise VerificationError(
            f"{recipient.label} is not in the trusted cards; verify its fingerprint by phone "
            "and add its card to the trust directory"
        )
    if recipient.role != "owner":
        raise InputError(f"{recipient.org} is a {recipient.role}: disclose only to a data owner")
    if recipient.fingerprint == sender.card.fingerprint:
        raise InputError("a disclosure goes to the list owner, not to yourself")
    if sender.card.role != "owner":
        raise InputError(f"{sender.card.org} is not a data owner key")


def select_people(
    rows: Iterable[Mapping[str, str]],
    columns: Mapping[str, str | None],
    match_ids: Sequence[str] | None,
) -> list[DisclosedPerson]:
    """Group the registry's matched rows by match id and keep the requested ids.

    ``match_ids=None`` selects every matched row. Raises ``InputError`` for an id that is
    not on the worklist (foreign) or that names only rows without a match (unmatched).
    """
    by_id: dict[str, list[Mapping[str, str]]] = {}
    dup_groups: dict[str, bool] = {}
    unmatched_groups: set[str] = set()
    for row in rows:
        mid = row.get("padan_match_id", "")
        if not mid:
            unmatched_groups.add(row.get("padan_dup_group", ""))
            continue
        by_id.setdefault(mid, []).append(row)
        dup_groups[mid] = dup_groups.get(mid, False) or bool(row.get("padan_dup_group"))
    if match_ids is None:
        chosen = list(by_id)
    else:
        chosen = list(dict.fromkeys(match_ids))
        foreign = [m for m in chosen if m not in by_id]
        if foreign:
            unmatched = [m for m in foreign if m in unmatched_groups]
            kind = "unmatched rows (no match id)" if unmatched else "not on your worklist"
            raise InputError(
                f"{len(foreign)} requested id(s) are {kind}, e.g. {foreign[0]}: only match "
                "ids of your own matched rows can be disclosed; nothing was written"
            )
    people = []
    for mid in chosen:
        records: dict[tuple[str, ...], dict[str, str]] = {}
        for row in by_id[mid]:
            values = {
                name: row.get(col, "").strip() if col else "" for name, col in columns.items()
            }
            records.setdefault(tuple(values.values()), values)  # one entry per distinct NIK/KK
        people.append(
            DisclosedPerson(mid, tuple(records.values()), dup_groups[mid] or len(records) > 1)
        )
    return people


def _payload(people: Sequence[DisclosedPerson], sender: Card, recipient: Card) -> bytes:
    return json.dumps(
        {
            "format": FORMAT,
            "registry": sender.org,
            "recipient": recipient.org,
            "created": utc_timestamp(),
            "fields": list(DISCLOSED_FIELDS),
            "matches": [
                {"match_id": p.match_id, "ganda": p.ganda, "records": [dict(r) for r in p.records]}
                for p in people
            ],
        },
        sort_keys=True,
    ).encode("utf-8")


def disclose(
    worklist: Path,
    *,
    identity: Identity,
    recipient: Card,
    trusted: Mapping[str, Card],
    out: Path,
    match_ids: Sequence[str] | None = None,
    profile: str | None = None,
) -> DisclosureSummary:
    """``padan disclose``: seal the registry's NIK/KK of chosen match ids to ``recipient``.

    ``match_ids=None`` means every matched row (``--all-matched``). Nothing is written
    when any check fails.
    """
    _check_recipient(recipient, identity, trusted)
    if match_ids is not None and not match_ids:
        raise InputError("no match id given: use --match-id, --match-ids FILE or --all-matched")
    header, rows = read_worklist(worklist)
    columns = _identifier_columns(header, profile, worklist)
    intact = worklist_checker(identity, _original_header(header, worklist))
    # A person with any row changed since reconcile is left out whole (never half a group).
    blocked = {r.get("padan_match_id", "") for r in rows if not intact(r)} - {""}
    asked = blocked & set(match_ids or ())
    if asked:
        raise InputError(
            f"{len(asked)} requested id(s) are on worklist rows changed since reconcile "
            "(padan_fingerprint does not match), e.g. "
            f"{sorted(asked)[0]}: run padan reconcile again; nothing was written"
        )
    kept = [r for r in rows if r.get("padan_match_id", "") not in blocked]
    people = select_people(kept, columns, match_ids)
    if not people:
        raise InputError(f"{worklist.name} has no matched rows: nothing to disclose")
    sealed = seal(
        _payload(people, identity.card, recipient),
        sender=identity,
        recipient=recipient,
        purpose=PURPOSE,
        public={"registry": identity.card.org, "matches": len(people)},
    )
    write_bytes_atomic(out, sealed)
    return DisclosureSummary(
        path=out,
        recipient=recipient.org,
        match_ids=len(people),
        records=sum(len(p.records) for p in people),
        ganda=sum(p.ganda for p in people),
        changed=len(rows) - len(kept),
    )


# --- list side ---------------------------------------------------------------------------


def open_disclosure(
    path: Path, *, identity: Identity, trusted: Mapping[str, Card]
) -> tuple[dict[str, DisclosedPerson], Card]:
    """Verify (trusted owner, sealed to ``identity``) and decrypt a disclosure file."""
    if not path.is_file():
        raise InputError(f"disclosure file not found: {path}")
    payload, sender = open_sealed(
        path.read_bytes(), recipient=identity, purpose=PURPOSE, trusted=trusted
    )
    if sender.role != "owner" or sender.fingerprint == identity.card.fingerprint:
        raise VerificationError(f"{path.name} was sealed by {sender.org}, not by a data owner")
    try:
        data: dict[str, Any] = json.loads(payload)
        if data["format"] != FORMAT or data["recipient"] != identity.card.org:
            raise ValueError("unknown format or recipient")
        people = {}
        for entry in data["matches"]:
            records = tuple(
                {name: str(r.get(name) or "") for name in DISCLOSED_FIELDS}
                for r in entry["records"]
            )
            if any(set(r) - set(DISCLOSED_FIELDS) for r in entry["records"]) or not records:
                raise ValueError("a record with fields outside the allowlist")
            people[str(entry["match_id"])] = DisclosedPerson(
                str(entry["match_id"]), records, bool(entry["ganda"])
            )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise VerificationError(f"{path.name} holds an unreadable disclosure: {exc}") from None
    return people, sender


def _log_row(
    row: Mapping[str, str], name: str, old: str, new: str, action: str, reason: str
) -> list[str]:
    return [
        row.get("padan_source", ""),
        row.get("padan_row", ""),
        name,
        mask_digits(old),
        new,
        row.get("padan_match_id", ""),
        action,
        reason,
    ]


def _correct_row(
    row: dict[str, str],
    person: DisclosedPerson,
    columns: Mapping[str, str | None],
    summary: ApplySummary,
) -> list[list[str]]:
    """Replace NIK/KK of one applicable row in place; return its change-log lines."""
    status = row["padan_status"]
    if person.ganda or row.get("padan_dup_group"):
        summary.needs_decision += 1
        column = columns["nik"] or ""
        candidates = " / ".join(mask_number(r["nik"]) for r in person.records)
        reason = (
            f"{status}: NIK ganda di Disdukcapil, tidak diganti otomatis; tanyakan NIK yang "
            "berlaku ke Disdukcapil"
        )
        return [_log_row(row, "nik", row.get(column, ""), candidates, NEEDS_DECISION, reason)]
    record = person.records[0]
    lines = []
    for name, column in columns.items():
        new = record[name]
        if column is None or not new or row.get(column, "").strip() == new:
            continue
        lines.append(
            _log_row(
                row,
                name,
                row[column],
                mask_number(new),
                CHANGED,
                f"{status}: {name.upper()} dari Disdukcapil (PKS)",
            )
        )
        row[column] = new
        if name == "nik":
            summary.nik_changed += 1
        else:
            summary.kk_changed += 1
    return lines


def apply_disclosure(
    disclosure: Path,
    *,
    identity: Identity,
    trusted: Mapping[str, Card],
    worklist: Path,
    out: Path,
    log: Path | None = None,
    profile: str | None = None,
) -> ApplySummary:
    """``padan apply``: write the corrected upload file and the masked change log.

    Only rows whose match id was disclosed and whose status is ``NIK_BERBEDA`` or
    ``KK_BERBEDA`` change; a ganda entry is logged as needing a decision, never applied.
    Disclosed ids absent from the worklist are ignored and counted (the list owner may
    have re-run reconcile since it asked), not an error.
    """
    if out.suffix.lower() != ".csv":
        raise InputError(f"the corrected file must end in .csv, not '{out.name}'")
    log = log or out.with_name(f"{out.stem}.changes.csv")
    if log.resolve() == out.resolve():
        raise InputError("--log must differ from --out")
    people, sender = open_disclosure(disclosure, identity=identity, trusted=trusted)
    header, rows = read_worklist(worklist)
    original = _original_header(header, worklist)
    columns = _identifier_columns(header, profile, worklist)
    intact = worklist_checker(identity, original)
    summary = ApplySummary(corrected=out, log=log, sender=sender.org, disclosed=len(people))
    seen: set[str] = set()
    changes: list[list[str]] = []
    for row in rows:
        summary.rows += 1
        person = people.get(row.get("padan_match_id", ""))
        if person is None:
            continue
        seen.add(person.match_id)
        if row.get("padan_status") not in APPLIED_STATUSES:
            continue
        if intact(row):
            changes.extend(_correct_row(row, person, columns, summary))
        else:
            summary.changed += 1
            old = row.get(columns["nik"] or "", "")
            changes.append(_log_row(row, "nik", old, "", ROW_CHANGED, _ROW_CHANGED_REASON))
    summary.unknown_match_ids = len(set(people) - seen)
    with atomic_open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(original)
        writer.writerows([row.get(h, "") for h in original] for row in rows)
    with atomic_open(log, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(CHANGE_LOG_HEADER)
        writer.writerows(changes)
    return summary
