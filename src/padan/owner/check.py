"""``padan check``: read input files, validate every row, and summarise the problems.

The report (and the optional row-level problems CSV) never holds a raw NIK or KK: problem
details carry identifiers only masked (``3673********0001``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from padan.core.files import atomic_open
from padan.core.types import Problem
from padan.core.version import __version__
from padan.owner.identifiers import PROBLEMS
from padan.owner.records import missing_warnings, open_records

REPORT_FORMAT = "padan-check/1"
EXAMPLES_PER_PROBLEM = 3
PROGRESS_EVERY = 10_000
PROBLEMS_CSV_HEADER = ("source", "row", "field", "problem", "label_id", "label_en", "detail")

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(source, done, total)`` while a file is read (units are the file's:
bytes of a CSV, rows of a workbook)."""


@dataclass(slots=True)
class ProblemCount:
    """How often one problem code occurred, with labels and a few masked examples."""

    code: str
    field: str
    count: int
    label_id: str
    label_en: str
    examples: list[str] = field(default_factory=list)


@dataclass(slots=True)
class FileReport:
    """What was read from one file and how its columns were understood."""

    source: str
    read_as: dict[str, Any]
    """Format facts: ``format`` (csv/workbook), ``encoding`` and ``delimiter`` or ``sheet``."""
    profile: str
    profile_version: int
    columns: dict[str, list[str]]
    unmapped: list[str]
    rows: int = 0
    blank_rows: int = 0
    ragged_rows: int = 0
    fallback_lines: int = 0


@dataclass(slots=True)
class CheckReport:
    """The result of ``padan check`` over one or more files."""

    files: list[FileReport]
    rows: int
    nik_mapped: bool
    nik_valid: int
    nik_partial: int
    problems: list[ProblemCount]
    warnings: list[str] = field(default_factory=list)
    """Essential columns a file lacks by choice (``allow_missing``), and what that costs."""

    def share(self, count: int) -> float:
        """``count`` as a fraction of the rows read (0 when there are none)."""
        return count / self.rows if self.rows else 0.0

    @property
    def nik_valid_share(self) -> float:
        """Fraction of rows whose NIK is 16 undamaged digits."""
        return self.share(self.nik_valid)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-serialisable data (deterministic for the same input)."""
        return {
            "format": REPORT_FORMAT,
            "tool_version": __version__,
            "rows": self.rows,
            "files": [asdict(f) for f in self.files],
            "nik": {
                "mapped": self.nik_mapped,
                "valid": self.nik_valid,
                "valid_share": round(self.nik_valid_share, 6),
                "partial": self.nik_partial,
            },
            "warnings": self.warnings,
            "problems": [
                {
                    "code": p.code,
                    "field": p.field,
                    "count": p.count,
                    "share": round(self.share(p.count), 6),
                    "label": {"id": p.label_id, "en": p.label_en},
                    "examples": p.examples,
                }
                for p in self.problems
            ],
        }


def check_files(
    paths: Sequence[Path | str],
    profile: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    problems_csv: Path | None = None,
    progress: ProgressCallback | None = None,
    allow_missing: Collection[str] = (),
) -> CheckReport:
    """Check every row of ``paths``; optionally write each problem to ``problems_csv``.

    ``birth_date_ambiguous`` is reported only where a file's own dates leave the order
    open: in a file whose unambiguous dates (``17-08-1975``) are all written day first,
    ``05-06-1990`` is the 5th of June, not ambiguous. Held-back rows come last in the CSV.

    Raises :class:`~padan.core.errors.InputError` only when a file cannot be read at all,
    or lacks its NIK or birth-date column (unless the field is in ``allow_missing``), as
    ``encode`` would refuse it; rows with problems are counted, never fatal.
    """
    if problems_csv is None:
        return _check(paths, profile, overrides, sheet, None, progress, allow_missing)
    with atomic_open(problems_csv, "w", encoding="utf-8-sig", newline="") as handle:
        return _check(paths, profile, overrides, sheet, handle, progress, allow_missing)


def _check(
    paths: Sequence[Path | str],
    profile: str | None,
    overrides: Mapping[str, str] | None,
    sheet: str | None,
    problems_out: IO[str] | None,
    progress: ProgressCallback | None,
    allow_missing: Collection[str],
) -> CheckReport:
    writer = csv.writer(problems_out) if problems_out is not None else None
    if writer is not None:
        writer.writerow(PROBLEMS_CSV_HEADER)
    counts: dict[str, int] = {}
    examples: dict[str, list[str]] = {}
    files: list[FileReport] = []
    rows = nik_valid = nik_partial = 0
    nik_mapped = False
    warnings: list[str] = []

    def note(problem: Problem) -> None:
        """Count a problem, keep it as an example, and write it to the problems CSV."""
        code = problem.code
        counts[code] = counts.get(code, 0) + 1
        shown = examples.setdefault(code, [])
        if len(shown) < EXAMPLES_PER_PROBLEM:
            where = f"{problem.ref.source}:{problem.ref.row}"
            shown.append(f"{where} {problem.detail}" if problem.detail else where)
        if writer is not None:
            label = PROBLEMS[code]
            writer.writerow(
                (
                    problem.ref.source,
                    problem.ref.row,
                    problem.field,
                    code,
                    label.id,
                    label.en,
                    problem.detail,
                )
            )

    for path in paths:
        table, builder = open_records(path, profile, overrides, sheet, allow_missing)
        warnings.extend(missing_warnings(table, builder))
        resolved = builder.resolved
        nik_mapped = nik_mapped or "nik" in resolved.columns
        # A day/month date that could be swapped is only ambiguous if the file itself does
        # not settle the order: held back until the file's unambiguous dates have voted.
        ambiguous_dates: list[Problem] = []
        for record in map(builder.build, table.rows()):
            rows += 1
            if record.nik is not None:
                nik_valid += 1
            elif record.nik_prefix is not None:
                nik_partial += 1
            for problem in record.problems:
                if problem.code == "birth_date_ambiguous":
                    ambiguous_dates.append(problem)
                else:
                    note(problem)
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(table.source, *table.progress())
        if builder.date_order.order != "day_first":  # day first is how padan read them
            for problem in ambiguous_dates:
                note(problem)
        if progress is not None:
            total = table.progress()[1]
            progress(table.source, total, total)
        stats = table.stats
        if not stats.rows:
            warnings.append(
                f"{table.source}: tidak ada baris data, hanya header? (no data rows, only a "
                "header?): encode will refuse it"
            )
        files.append(
            FileReport(
                source=table.source,
                read_as=table.describe(),
                profile=resolved.profile.name,
                profile_version=resolved.profile.version,
                columns={f: list(c) for f, c in resolved.columns.items()},
                unmapped=list(resolved.unmapped),
                rows=stats.rows,
                blank_rows=stats.blank_rows,
                ragged_rows=stats.ragged_rows,
                fallback_lines=stats.fallback_lines,
            )
        )
    problems = [
        ProblemCount(code, label.field, counts[code], label.id, label.en, examples[code])
        for code, label in PROBLEMS.items()
        if code in counts
    ]
    return CheckReport(files, rows, nik_mapped, nik_valid, nik_partial, problems, warnings)


def write_report_json(report: CheckReport, path: Path) -> None:
    """Write the report as JSON, atomically."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(report.to_json(), handle, ensure_ascii=False, indent=2)
        handle.write("\n")
