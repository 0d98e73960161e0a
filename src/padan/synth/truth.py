"""Ground truth: the error types a row may carry, and the person id format.

``truth.csv`` has one row per data row of every generated file; the evaluation code
derives everything from it (a list row matches a registry row iff they share
``person_id``; registry rows sharing ``person_id`` are one person).
"""

from __future__ import annotations

TRUTH_COLUMNS = ("dataset", "source", "row", "person_id", "errors")

# Registry rows.
NIK_GANDA = "nik_ganda"
BIRTH_DATE_UNKNOWN = "birth_date_unknown"
# Both registry (second NIK-ganda record) and list rows.
NAME_VARIANT = "name_variant"
# List rows.
NOT_IN_REGISTRY = "not_in_registry"
REPEAT = "repeat"
BAYI_MOTHER_NIK = "bayi_mother_nik"
NAME_TYPO = "name_typo"
DATE_FORMAT = "date_format"
DATE_SWAP = "date_swap"
BIRTH_DATE_MISSING = "birth_date_missing"
NIK_EXCEL_SCI = "nik_excel_sci"
NIK_EXCEL_TRUNC = "nik_excel_trunc"
NIK_TYPO = "nik_typo"
NIK_MISSING = "nik_missing"
NIK_GANDA_OTHER = "nik_ganda_other"
KK_OLD = "kk_old"
KK_MISSING = "kk_missing"
MOTHER_MISSING = "mother_name_missing"

ERROR_TYPES: dict[str, str] = {
    NIK_GANDA: "registry: second record of a person, NIK from another region",
    BIRTH_DATE_UNKNOWN: "registry: birth date unknown, recorded as 1 July / 31 December / 15th",
    NAME_VARIANT: "title or spelling variant of the name (Hj., S.Pd, Moch., oe/u, dj/j, ...)",
    NOT_IN_REGISTRY: "list: person not in the registry (moved in)",
    REPEAT: "list: person already listed (repeat visit or second puskesmas)",
    BAYI_MOTHER_NIK: "list: newborn listed under the mother's NIK as 'Bayi Ny. <mother>'",
    NAME_TYPO: "list: 1-2 character edits in the name",
    DATE_FORMAT: "list: birth date in a non-standard format",
    DATE_SWAP: "list: birth date with day and month swapped",
    BIRTH_DATE_MISSING: "list: blank birth date",
    NIK_EXCEL_SCI: "list: NIK turned into scientific notation by Excel",
    NIK_EXCEL_TRUNC: "list: NIK lost its last digit in Excel (trailing 0)",
    NIK_TYPO: "list: one NIK digit changed or two adjacent digits transposed",
    NIK_MISSING: "list: blank NIK",
    NIK_GANDA_OTHER: "list: NIK-ganda person listed with the other NIK",
    KK_OLD: "list: old family card number (family moved or split)",
    KK_MISSING: "list: blank KK number",
    MOTHER_MISSING: "list: blank mother's name",
}
"""Every error type that may appear in ``truth.csv``'s ``errors`` column."""


def person_id(number: int) -> str:
    """The synthetic person id for a 1-based person number, e.g. ``P000123``."""
    return f"P{number:06d}"
