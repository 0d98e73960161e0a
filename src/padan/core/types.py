"""The data that crosses stages, defined once.

Stages: reading (``SourceRow``) → validation/normalisation (``Record``, ``Problem``)
→ encoding (``Manifest`` + package records) → linking (``MatchRow``) → reconcile.
Every module imports these types from here rather than defining its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Sex = Literal["L", "P"]
"""Sex as recorded in Indonesian documents: L (laki-laki, male), P (perempuan, female)."""

Role = Literal["registry", "list"]
"""Role of a dataset in a linkage: the civil registry, or a list (e.g. CKG health list)."""

OrgRole = Literal["owner", "coordinator"]
"""Role of an organisation: a data owner, or the neutral coordinator."""

CANONICAL_FIELDS: tuple[str, ...] = (
    "nik",
    "kk",
    "name",
    "sex",
    "birth_date",
    "birth_place",
    "address",
    "rt",
    "rw",
    "mother_name",
    "local_id",
)
"""Canonical field names that input profiles map source columns onto."""


@dataclass(frozen=True, slots=True)
class RowRef:
    """Where a row came from: the input file (as given) and its spreadsheet row number.

    ``row`` counts like Excel: the header is row 1, the first data row is row 2, so a
    clerk can find the row in the original file.
    """

    source: str
    row: int


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One raw input row: cell texts by column header, as read, nothing interpreted.

    ``numeric`` names the columns whose cell was stored as a number (an XLSX numeric
    cell, or CSV text in a number format such as ``3.67301E+15``): that is how Excel
    damages NIKs.
    """

    ref: RowRef
    cells: dict[str, str]
    numeric: frozenset[str] = frozenset()
    cell_count: int | None = None
    """Cells the row really had when that differs from the header (a ragged row: missing
    cells are padded with "", extra ones kept as ``_extra_1``…); None when it fits."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about one field of one row; ``detail`` never holds a raw NIK/KK."""

    ref: RowRef
    field: str
    code: str
    detail: str = ""


@dataclass(slots=True)
class Record:
    """A normalised person record, ready for encoding. ``None`` means missing/unusable.

    ``nik`` is set only for a 16-digit NIK with no detectable damage.
    ``nik_prefix`` holds the leading digits that can still be trusted when the NIK
    was damaged (e.g. 15 digits after Excel precision loss, the region after
    scientific notation); it equals ``nik`` when the NIK is intact.
    """

    ref: RowRef
    nik: str | None = None
    nik_prefix: str | None = None
    kk: str | None = None
    name: str | None = None
    sex: Sex | None = None
    birth_date: dt.date | None = None
    birth_date_ambiguous: bool = False
    birth_place: str | None = None
    address: str | None = None
    rt: str | None = None
    rw: str | None = None
    mother_name: str | None = None
    local_id: str | None = None
    problems: list[Problem] = field(default_factory=list)


class Status(StrEnum):
    """Worklist status codes (Indonesian, as agency staff use them)."""

    COCOK = "COCOK"  # matched, same NIK
    NIK_BERBEDA = "NIK_BERBEDA"  # person found, NIK differs (typo, Excel, NIK ganda)
    NIK_MILIK_ORANG_LAIN = "NIK_MILIK_ORANG_LAIN"  # NIK belongs to a different person
    KK_BERBEDA = "KK_BERBEDA"  # matched, NIK equal, family card differs
    GANDA = "GANDA"  # registry: several records for one person (NIK ganda)
    RAGU = "RAGU"  # ambiguous, needs a person to decide
    TIDAK_DITEMUKAN = "TIDAK_DITEMUKAN"  # not found
    DITOLAK = "DITOLAK"  # rejected input
    BERUBAH = "BERUBAH"  # row new or changed since encode: no verdict can be given


OWNER_STATUSES = frozenset({Status.DITOLAK, Status.BERUBAH})
"""Statuses only an owner gives, at reconcile: the coordinator never sees those rows."""

STATUS_LABELS: Mapping[Status, tuple[str, str]] = {
    Status.COCOK: ("Cocok", "Match: same person, same NIK"),
    Status.NIK_BERBEDA: ("NIK berbeda", "Person found, NIK differs"),
    Status.NIK_MILIK_ORANG_LAIN: ("NIK milik orang lain", "NIK belongs to another person"),
    Status.KK_BERBEDA: ("KK berbeda", "Person and NIK match, family card (KK) differs"),
    Status.GANDA: ("NIK ganda", "Duplicate NIK: one person, several registry records"),
    Status.RAGU: ("Ragu-ragu", "Uncertain: needs a person to decide"),
    Status.TIDAK_DITEMUKAN: ("Tidak ditemukan", "Not found"),
    Status.DITOLAK: ("Ditolak", "Rejected input"),
    Status.BERUBAH: ("Berubah sejak encode", "Row new or changed since encode: no verdict"),
}
"""Short Indonesian and English label per status: worklists, the report and its charts."""


class Confidence(StrEnum):
    """A coarse confidence band; raw similarity scores never reach data owners."""

    TINGGI = "TINGGI"
    SEDANG = "SEDANG"
    RENDAH = "RENDAH"


@dataclass(frozen=True, slots=True)
class MatchRow:
    """The coordinator's verdict on one record of one owner (what a sealed result holds)."""

    record_id: bytes
    status: Status
    match_id: str | None = None
    dup_group: str | None = None
    confidence: Confidence | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """The signed description of a package (``manifest.json`` inside ``*.padan``).

    ``members`` maps every data member's name (e.g. ``records.parquet``) to its SHA-256
    (hex); ``key_check`` is the linkage secret's key-check value and
    ``schema_fingerprint`` the linkage schema's, so the coordinator can refuse packages
    that were not made with the same secret and schema. ``extra`` holds further
    JSON-serialisable facts the encoder wants signed (never raw identity data).
    """

    format: str
    org: str
    role: Role
    dataset: str
    record_count: int
    schema_fingerprint: str
    key_check: str
    tool_version: str
    created: str
    members: dict[str, str]
    extra: dict[str, object] = field(default_factory=dict)
