"""Score worklists against the ground truth of a synthetic run (``truth.csv``).

Truth (written by ``padan synth``) has one line per input row:
``dataset,source,row,person_id,errors`` — ``dataset`` is ``registry`` or ``list``,
``source`` the input file name, ``row`` the spreadsheet row (header = 1), ``person_id``
the same for every record of one human, ``errors`` the ``;``-joined damage applied to
the row. Worklist rows are joined to truth on (file name, row) through their
``padan_source`` and ``padan_row`` columns; each row's side comes from truth.

Definitions (all counts are over the rows of the worklists given):

* **Link** (list ↔ registry). A list row is *linked* when a registry row carries the
  same non-empty ``padan_match_id``; the link is *correct* when one of those registry
  rows has the list row's ``person_id``. Precision = correct / linked list rows;
  recall = correct / list rows whose ``person_id`` occurs in the registry (per truth).
* **List duplicates**. Predicted pairs: pairs of list rows sharing a non-empty match id.
  True pairs: pairs of list rows sharing a ``person_id`` that occurs in the registry.
  Pairwise precision, recall, F1.
* **NIK ganda** (registry duplicate groups). Predicted pairs: registry rows sharing a
  non-empty ``padan_dup_group``; true pairs: registry rows sharing a ``person_id``.
* **Per status** (and side): rows, rows whose person is on the other side (*findable*),
  rows linked to the other side, correct links and their precision — a registry row's
  link is correct when a list row with its match id is the same person.
* **Per error type** (list rows): rows carrying that damage, the findable ones, how many
  were linked correctly, and recall = correct / findable — which damage padan recovers.
  Rows without damage are reported as ``(none)``.

Pairs are counted from group sizes (n·(n−1)/2), never enumerated.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from padan.core.errors import InputError
from padan.core.files import write_bytes_atomic
from padan.core.types import Role, Status
from padan.owner.worklist import read_worklist
from padan.synth.truth import TRUTH_COLUMNS

NO_ERROR = "(none)"
_SIDES: tuple[Role, ...] = ("registry", "list")
_OTHER: Mapping[Role, Role] = {"registry": "list", "list": "registry"}
_NEEDED = ("padan_status", "padan_match_id", "padan_dup_group", "padan_source", "padan_row")


@dataclass(frozen=True, slots=True)
class Score:
    """Precision, recall and F1 from counts; ``None`` where a denominator is zero."""

    predicted: int
    relevant: int
    correct: int

    @property
    def precision(self) -> float | None:
        """correct / predicted."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        """correct / relevant."""
        return self.correct / self.relevant if self.relevant else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall (0 when both are 0)."""
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Counts and the three ratios, for JSON."""
        return {
            "predicted": self.predicted,
            "relevant": self.relevant,
            "correct": self.correct,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True, slots=True)
class StatusScore:
    """How the rows of one status on one side fared."""

    dataset: Role
    status: str
    rows: int
    findable: int
    linked: int
    correct: int

    @property
    def precision(self) -> float | None:
        """Share of this status's links that join the same person."""
        return self.correct / self.linked if self.linked else None


@dataclass(frozen=True, slots=True)
class ErrorScore:
    """How list rows carrying one kind of damage fared."""

    error: str
    rows: int
    findable: int
    correct: int

    @property
    def recall(self) -> float | None:
        """Share of the findable rows with this damage that were linked correctly."""
        return self.correct / self.findable if self.findable else None


@dataclass(frozen=True, slots=True)
class WorklistInfo:
    """One worklist given: its side (``registry``, ``list`` or ``mixed``) and row counts."""

    name: str
    dataset: str
    rows: int
    unknown: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """All scores of one evaluation; see the module docstring for the definitions."""

    worklists: tuple[WorklistInfo, ...]
    link: Score
    list_duplicates: Score
    nik_ganda: Score
    statuses: tuple[StatusScore, ...]
    errors: tuple[ErrorScore, ...]

    def counts(self) -> dict[str, int]:
        """Row and link counts (for the audit log)."""
        return {
            "worklist_rows": sum(w.rows for w in self.worklists),
            "unknown_rows": sum(w.unknown for w in self.worklists),
            "linked": self.link.predicted,
            "correct_links": self.link.correct,
        }

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        return {
            "worklists": [
                {"name": w.name, "dataset": w.dataset, "rows": w.rows, "unknown_rows": w.unknown}
                for w in self.worklists
            ],
            "link": self.link.to_dict(),
            "list_duplicates": self.list_duplicates.to_dict(),
            "nik_ganda": self.nik_ganda.to_dict(),
            "statuses": [
                {
                    "dataset": s.dataset,
                    "status": s.status,
                    "rows": s.rows,
                    "findable": s.findable,
                    "linked": s.linked,
                    "correct": s.correct,
                    "precision": s.precision,
                }
                for s in self.statuses
            ],
            "errors": [
                {
                    "error": e.error,
                    "rows": e.rows,
                    "findable": e.findable,
                    "correct": e.correct,
                    "recall": e.recall,
                }
                for e in self.errors
            ],
        }


@dataclass(frozen=True, slots=True)
class _Truth:
    dataset: Role
    person_id: str
    errors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Row:
    """A worklist row joined with its truth."""

    truth: _Truth
    status: str
    match_id: str
    dup_group: str


@dataclass(frozen=True, slots=True)
class _Judged:
    """A joined row and the verdict on its link."""

    row: _Row
    findable: bool
    linked: bool
    correct: bool


def evaluate(
    truth: Path, worklists: Sequence[Path], *, json_path: Path | None = None
) -> Evaluation:
    """Score ``worklists`` (CSV or XLSX) against ``truth``; write JSON to ``json_path``.

    Needs at least one registry row and one list row among the worklists. Worklist rows
    that truth does not know are counted per worklist (``unknown``) and ignored.
    """
    truth_rows = _read_truth(Path(truth))
    infos, rows = _join(truth_rows, [Path(p) for p in worklists])
    for side in _SIDES:
        if not any(row.truth.dataset == side for row in rows):
            raise InputError(f"no {side} worklist row matches {Path(truth).name}: give both")
    people = {
        side: {t.person_id for t in truth_rows.values() if t.dataset == side} for side in _SIDES
    }
    judged = _judge(rows, people)
    list_rows = [j for j in judged if j.row.truth.dataset == "list"]
    registry_rows = [j.row for j in judged if j.row.truth.dataset == "registry"]
    link = Score(
        predicted=sum(j.linked for j in list_rows),
        relevant=sum(j.findable for j in list_rows),
        correct=sum(j.correct for j in list_rows),
    )
    in_registry = [j.row for j in list_rows if j.findable]
    list_duplicates = Score(
        predicted=_pairs(j.row.match_id for j in list_rows if j.row.match_id),
        relevant=_pairs(row.truth.person_id for row in in_registry),
        correct=_pairs((row.match_id, row.truth.person_id) for row in in_registry if row.match_id),
    )
    nik_ganda = Score(
        predicted=_pairs(row.dup_group for row in registry_rows if row.dup_group),
        relevant=_pairs(row.truth.person_id for row in registry_rows),
        correct=_pairs(
            (row.dup_group, row.truth.person_id) for row in registry_rows if row.dup_group
        ),
    )
    evaluation = Evaluation(
        worklists=tuple(infos),
        link=link,
        list_duplicates=list_duplicates,
        nik_ganda=nik_ganda,
        statuses=_by_status(judged),
        errors=_by_error(list_rows),
    )
    if json_path is not None:
        text = json.dumps(evaluation.to_dict(), indent=2, ensure_ascii=False) + "\n"
        write_bytes_atomic(json_path, text.encode("utf-8"))
    return evaluation


def _read_truth(path: Path) -> dict[tuple[str, int], _Truth]:
    """Truth rows by (file name, spreadsheet row)."""
    if not path.is_file():
        raise InputError(f"truth file not found: {path}")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in TRUTH_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path.name} lacks column(s) {', '.join(missing)}")
        truth: dict[tuple[str, int], _Truth] = {}
        for line_number, line in enumerate(reader, start=2):
            dataset = line["dataset"]
            if dataset not in get_args(Role):
                raise InputError(f"{path.name} line {line_number}: unknown dataset '{dataset}'")
            key = (Path(line["source"]).name, _row_number(line["row"], path, line_number))
            if key in truth:
                raise InputError(f"{path.name} line {line_number}: {key[0]} row {key[1]} twice")
            errors = tuple(
                dict.fromkeys(e.strip() for e in (line["errors"] or "").split(";") if e.strip())
            )
            truth[key] = _Truth(dataset, line["person_id"], errors)  # type: ignore[arg-type]
    return truth


def _join(
    truth: Mapping[tuple[str, int], _Truth], paths: Sequence[Path]
) -> tuple[list[WorklistInfo], list[_Row]]:
    """Read each worklist and join its rows to truth on (file name, row)."""
    infos: list[WorklistInfo] = []
    rows: list[_Row] = []
    seen: dict[tuple[str, int], str] = {}
    for path in paths:
        header, lines = read_worklist(path)
        missing = [c for c in _NEEDED if c not in header]
        if missing:
            raise InputError(f"{path.name} is not a padan worklist: no {', '.join(missing)}")
        sides: Counter[str] = Counter()
        unknown = 0
        for line_number, line in enumerate(lines, start=2):
            key = (
                Path(line.get("padan_source", "")).name,
                _row_number(line.get("padan_row", ""), path, line_number),
            )
            if key in seen:
                raise InputError(
                    f"{key[0]} row {key[1]} is in {seen[key]} and {path.name}: "
                    "give each worklist once"
                )
            seen[key] = path.name
            found = truth.get(key)
            if found is None:
                unknown += 1
                continue
            sides[found.dataset] += 1
            rows.append(
                _Row(
                    truth=found,
                    status=line.get("padan_status", ""),
                    match_id=line.get("padan_match_id", ""),
                    dup_group=line.get("padan_dup_group", ""),
                )
            )
        dataset = next(iter(sides)) if len(sides) == 1 else ("mixed" if sides else "unknown")
        infos.append(WorklistInfo(path.name, dataset, len(lines), unknown))
    if not rows:
        raise InputError("no worklist row matches the truth file: are they from the same run?")
    return infos, rows


def _row_number(text: str, path: Path, line_number: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{path.name} line {line_number}: row '{text}' is not a number") from None


def _judge(rows: Sequence[_Row], people: Mapping[Role, set[str]]) -> list[_Judged]:
    """Per row: is its person on the other side, is it linked there, to the same person."""
    people_by_match: dict[Role, dict[str, set[str]]] = {side: defaultdict(set) for side in _SIDES}
    for row in rows:
        if row.match_id:
            people_by_match[row.truth.dataset][row.match_id].add(row.truth.person_id)
    judged = []
    for row in rows:
        other = _OTHER[row.truth.dataset]
        partners = people_by_match[other].get(row.match_id, set()) if row.match_id else set()
        judged.append(
            _Judged(
                row=row,
                findable=row.truth.person_id in people[other],
                linked=bool(partners),
                correct=row.truth.person_id in partners,
            )
        )
    return judged


def _pairs(groups: Iterable[object]) -> int:
    """Number of unordered pairs within equal values: Σ n·(n−1)/2."""
    return sum(n * (n - 1) // 2 for n in Counter(groups).values())


def _by_status(judged: Sequence[_Judged]) -> tuple[StatusScore, ...]:
    tallies: dict[tuple[Role, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for j in judged:
        tally = tallies[(j.row.truth.dataset, j.row.status)]
        for index, value in enumerate((True, j.findable, j.linked, j.correct)):
            tally[index] += value
    order = {status.value: index for index, status in enumerate(Status)}
    keys = sorted(tallies, key=lambda k: (_SIDES.index(k[0]), order.get(k[1], len(order)), k[1]))
    return tuple(StatusScore(side, status, *tallies[(side, status)]) for side, status in keys)


def _by_error(list_rows: Sequence[_Judged]) -> tuple[ErrorScore, ...]:
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for j in list_rows:
        for error in j.row.truth.errors or (NO_ERROR,):
            tally = tallies[error]
            for index, value in enumerate((True, j.findable, j.correct)):
                tally[index] += value
    keys = sorted(tallies, key=lambda e: (e != NO_ERROR, e))
    return tuple(ErrorScore(error, *tallies[error]) for error in keys)
