"""From input rows to normalised :class:`~padan.core.types.Record`: reading, profile, validation.

Every input row yields exactly one Record, its problems attached; nothing is dropped.
Problem details are safe to show: NIK/KK values appear only masked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

from padan.core.errors import InputError
from padan.core.masking import mask_digits
from padan.core.types import CANONICAL_FIELDS, Problem, Record, RowRef, SourceRow
from padan.owner.identifiers import Finding, check_kk, check_nik, nik_disagreements
from padan.owner.normalise import (
    DateOrderTally,
    normalise_address,
    normalise_name,
    normalise_place,
    normalise_rt_rw,
    normalise_sex,
    parse_birth_date,
)
from padan.owner.profiles import ResolvedProfile, resolve_profile
from padan.owner.read import InputTable, open_table


def _report(
    problems: list[Problem],
    ref: RowRef,
    field: str,
    findings: tuple[Finding, ...],
    identifier: str | None = None,
) -> None:
    """Attach findings as Problems; an identifier's raw text goes in only masked."""
    for code, detail in findings:
        if identifier is not None and code not in ("nik_missing", "kk_missing"):
            masked = mask_digits(identifier.strip())
            detail = f"{masked}, {detail}" if detail else masked
        elif sum(c.isdigit() for c in detail) >= 10:
            # A NIK typed into the wrong column must not surface through a detail either.
            detail = mask_digits(detail)
        problems.append(Problem(ref, field, code, detail))


class RecordBuilder:
    """Turns the rows of one file into Records, given the file's resolved profile.

    The column lookups are worked out once here, so the per-row path only reads cells.
    """

    def __init__(self, resolved: ResolvedProfile) -> None:
        self.resolved = resolved
        self.date_order = DateOrderTally()
        """The day/month order of the dates built so far (see ``padan check``)."""
        self._width = len(resolved.headers)
        # field -> the cell key to read, None when unmapped. A field joined from several
        # columns is read from a virtual cell that build() adds first.
        self._columns: dict[str, str | None] = dict.fromkeys(CANONICAL_FIELDS)
        self._joined: dict[str, tuple[str, ...]] = {}
        for field, columns in resolved.columns.items():
            if len(columns) == 1:
                self._columns[field] = columns[0]
            else:
                self._columns[field] = f"\0{field}"
                self._joined[f"\0{field}"] = columns

    def build(self, row: SourceRow) -> Record:
        """Validate and normalise one row."""
        cells = row.cells
        if self._joined:
            cells = {**cells}
            for key, columns in self._joined.items():
                cells[key] = " ".join(t for c in columns if (t := cells.get(c, "").strip()))
        get = cells.get
        columns = self._columns
        ref = row.ref
        record = Record(ref)
        problems = record.problems

        if row.cell_count is not None:
            detail = f"{row.cell_count} cells, header has {self._width}"
            _report(problems, ref, "row", (Finding("row_ragged", detail),))
        if (column := columns["sex"]) is not None:
            record.sex, found = normalise_sex(get(column, ""))
            if found:
                _report(problems, ref, "sex", found)
        if (column := columns["birth_date"]) is not None:
            raw = get(column, "")
            self.date_order.add(raw)
            record.birth_date, found = parse_birth_date(raw)
            if found:
                record.birth_date_ambiguous = any(f.code == "birth_date_ambiguous" for f in found)
                _report(problems, ref, "birth_date", found)
        if (column := columns["nik"]) is not None:
            raw = get(column, "")
            nik = check_nik(raw, column in row.numeric)
            record.nik, record.nik_prefix = nik.value, nik.prefix
            if nik.findings:
                _report(problems, ref, "nik", nik.findings, raw)
            disagreements = nik_disagreements(nik.prefix, record.sex, record.birth_date)
            if disagreements:
                _report(problems, ref, "nik", disagreements, raw)
        if (column := columns["kk"]) is not None:
            raw = get(column, "")
            kk = check_kk(raw, column in row.numeric)
            record.kk = kk.value
            if kk.findings:
                _report(problems, ref, "kk", kk.findings, raw)
        if (column := columns["name"]) is not None:
            record.name, found = normalise_name(get(column, ""))
            if found:
                _report(problems, ref, "name", found)
        # Optional fields: an empty cell is simply missing, not a problem.
        if (column := columns["mother_name"]) and (raw := get(column)):
            record.mother_name = normalise_name(raw)[0]
        if (column := columns["birth_place"]) and (raw := get(column)):
            record.birth_place = normalise_place(raw)
        if (column := columns["address"]) and (raw := get(column)):
            record.address = normalise_address(raw)
        if (column := columns["rt"]) and (raw := get(column)):
            record.rt = normalise_rt_rw(raw)
        if (column := columns["rw"]) and (raw := get(column)):
            record.rw = normalise_rt_rw(raw)
        if (column := columns["local_id"]) and (raw := get(column)):
            record.local_id = raw.strip() or None
        return record


_DAMAGEABLE = {"nik": "nik_missing", "kk": "kk_missing"}


def identifier_damage(record: Record) -> tuple[str, ...]:
    """Problem codes of a NIK or No. KK that was filled in but is unusable (Excel damage,
    wrong length, placeholder, …): the owner must be told, whatever the match says."""
    unusable = {
        field
        for field, missing in _DAMAGEABLE.items()
        if getattr(record, field) is None
        and not any(p.field == field and p.code == missing for p in record.problems)
    }
    return tuple(
        dict.fromkeys(
            p.code for p in record.problems if p.field in unusable and p.code != "nik_separator"
        )
    )


ESSENTIAL_FIELDS: Mapping[str, str] = {
    "nik": (
        "tanpa NIK tidak ada baris COCOK, KK_BERBEDA atau NIK_MILIK_ORANG_LAIN: setiap orang "
        "yang ditemukan menjadi NIK_BERBEDA / without a NIK column no row can be COCOK, "
        "KK_BERBEDA or NIK_MILIK_ORANG_LAIN: every person found reads NIK_BERBEDA"
    ),
    "birth_date": (
        "tanpa tanggal lahir pemadanan hanya memakai nama, NIK dan alamat: lebih banyak RAGU "
        "dan TIDAK_DITEMUKAN / without birth dates matching rests on name, NIK and address: "
        "more RAGU and TIDAK_DITEMUKAN"
    ),
}
"""Fields every input must have unless explicitly allowed to lack them, and what is lost."""


def missing_essentials(resolved: ResolvedProfile) -> list[str]:
    """The essential fields (``ESSENTIAL_FIELDS``) the file's profile found no column for."""
    return [name for name in ESSENTIAL_FIELDS if name not in resolved.columns]


def missing_warnings(table: InputTable, builder: RecordBuilder) -> list[str]:
    """One line per essential field an (allowed) file lacks, saying what is lost."""
    return [
        f"{table.source}: tanpa kolom {name} (no {name} column) — {ESSENTIAL_FIELDS[name]}"
        for name in missing_essentials(builder.resolved)
    ]


def open_records(
    path: Path | str,
    profile: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    allow_missing: Collection[str] = (),
) -> tuple[InputTable, RecordBuilder]:
    """Open one file and bind its profile; errors name the file.

    A file without a NIK or birth-date column is refused (``InputError``) unless that
    field is in ``allow_missing`` (``--allow-missing``): silently matching without it
    would make statuses impossible that the owner expects.
    """
    unknown = sorted(set(allow_missing) - set(ESSENTIAL_FIELDS))
    if unknown:
        raise InputError(
            f"--allow-missing takes {' or '.join(ESSENTIAL_FIELDS)}, not {', '.join(unknown)}"
        )
    table = open_table(path, sheet)
    try:
        resolved = resolve_profile(table.headers, profile, overrides)
    except InputError as exc:
        raise InputError(f"{table.source}: {exc}") from None
    for name in missing_essentials(resolved):
        if name not in allow_missing:
            raise InputError(
                f"{table.source} has no {name} column (profile {resolved.profile.name}): map "
                f"it with --map {name}=COLUMN, or allow it with --allow-missing {name} "
                f"({ESSENTIAL_FIELDS[name]})"
            )
    return table, RecordBuilder(resolved)


def read_records(
    paths: Sequence[Path | str],
    profile: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    allow_missing: Collection[str] = (),
) -> Iterator[Record]:
    """Read several input files and yield one normalised Record per row, in order.

    Without ``profile`` each file's profile is auto-detected from its own headers;
    ``overrides`` ({field: column}, ``--map``) apply to every file; ``allow_missing`` as
    in :func:`open_records`.
    """
    for path in paths:
        table, builder = open_records(path, profile, overrides, sheet, allow_missing)
        build = builder.build
        for row in table.rows():
            yield build(row)
