"""Options of the synthetic data generator: sizes, region, and every error rate.

Each field carries its help text in ``metadata["help"]``; the CLI and the docs read it
from here (``option_help``) so a rate is described in exactly one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from padan.core.errors import InputError

REGISTRY, LISTS, ERRORS = (
    "Registri (registry)",
    "Daftar kesehatan (health lists)",
    "Model kesalahan daftar, bagian dari baris daftar (list error model, share of rows)",
)
"""Groups of rates, as the CLI's help shows them."""


def _rate(default: float, help_text: str, group: str) -> float:
    return field(default=default, metadata={"help": help_text, "rate": True, "group": group})


@dataclass(frozen=True, slots=True)
class SynthOptions:
    """Everything that shapes one synthetic data set; same options + seed → same bytes."""

    people: int = field(default=2000, metadata={"help": "Registry size: number of people."})
    seed: int = field(default=1, metadata={"help": "Random seed; same seed gives identical files."})
    region: str = field(
        default="3673",
        metadata={"help": "Regency/city code (4 digits, Kemendagri); 3673 is Kota Serang."},
    )
    lists: int = field(
        default=0,
        metadata={
            "help": "Number of puskesmas that get their own list file ckg_<name>.csv; "
            "ckg.csv keeps the rows of all other puskesmas."
        },
    )
    xlsx: bool = field(
        default=False,
        metadata={
            "help": "Write the per-puskesmas files as .xlsx (Excel-damaged NIKs as numbers)."
        },
    )
    reference_date: dt.date = field(
        default=dt.date(2025, 11, 3),
        metadata={"help": "'Today' of the data set: ages and exam dates are relative to it."},
    )
    ckg_start: dt.date = field(
        default=dt.date(2025, 2, 10),
        metadata={"help": "First possible CKG exam date (TGL PERIKSA)."},
    )
    # --- registry -------------------------------------------------------------------
    nik_ganda_rate: float = _rate(
        0.02,
        "Share of registry people holding a second NIK from another region (NIK ganda).",
        REGISTRY,
    )
    ganda_name_variant_rate: float = _rate(
        0.30, "Share of NIK-ganda second records whose name is spelled differently.", REGISTRY
    )
    unknown_birth_date_rate: float = _rate(
        0.02,
        "Share of registry people with an unknown birth date (1 July / 31 December / 15th).",
        REGISTRY,
    )
    # --- who is on the health lists ---------------------------------------------------
    visit_rate: float = _rate(0.30, "Share of registry people who appear on a health list.", LISTS)
    outsider_rate: float = _rate(
        0.05, "Share of list rows for people not in the registry (moved in).", LISTS
    )
    repeat_rate: float = _rate(
        0.08,
        "Share of list rows that repeat a person already listed (visit again, 2nd puskesmas).",
        LISTS,
    )
    bayi_rate: float = _rate(
        0.02,
        "Share of list rows for a newborn listed under the mother's NIK ('Bayi Ny. ...').",
        LISTS,
    )
    bayi_registered_share: float = _rate(
        0.50, "Share of those newborns who are already in the registry.", LISTS
    )
    # --- list error model (per list row) ----------------------------------------------
    name_typo_rate: float = _rate(0.05, "Names with 1-2 character edits (typos).", ERRORS)
    name_variant_rate: float = _rate(
        0.10, "Names with a title or spelling variant (Hj., S.Pd, Moch., oe/u, dj/j, ...).", ERRORS
    )
    date_format_rate: float = _rate(
        0.30,
        "Birth dates in another format (ISO, slashes, 2-digit year, '17 Agustus 1975', ...).",
        ERRORS,
    )
    date_swap_rate: float = _rate(0.02, "Birth dates with day and month swapped.", ERRORS)
    nik_excel_sci_rate: float = _rate(
        0.02, "NIKs damaged by Excel into scientific notation (3.67301E+15).", ERRORS
    )
    nik_excel_trunc_rate: float = _rate(
        0.02, "NIKs whose last digit Excel lost (15-digit precision: trailing 0).", ERRORS
    )
    nik_typo_rate: float = _rate(
        0.03, "NIKs with one digit changed or two adjacent digits transposed.", ERRORS
    )
    nik_missing_rate: float = _rate(0.02, "Rows with a blank NIK.", ERRORS)
    nik_ganda_other_rate: float = _rate(
        0.50, "Share of a NIK-ganda person's list rows that carry the OTHER NIK.", ERRORS
    )
    kk_old_rate: float = _rate(
        0.05, "Rows with an old family card number (family moved or split).", ERRORS
    )
    kk_missing_rate: float = _rate(0.10, "Rows with a blank KK number.", ERRORS)
    birth_date_missing_rate: float = _rate(0.02, "Rows with a blank birth date.", ERRORS)
    mother_missing_rate: float = _rate(0.15, "Rows with a blank mother's name.", ERRORS)

    def __post_init__(self) -> None:
        if self.people < 1:
            raise InputError("--people must be at least 1")
        if self.lists < 0:
            raise InputError("--lists must be 0 or more")
        if self.xlsx and self.lists == 0:
            raise InputError("--xlsx applies to per-puskesmas files: add --lists K")
        if not (len(self.region) == 4 and self.region.isdigit()):
            raise InputError(f"--region must be a 4-digit regency/city code, got {self.region!r}")
        if self.ckg_start > self.reference_date:
            raise InputError("ckg_start must not be after reference_date")
        for spec in fields(self):
            value = getattr(self, spec.name)
            if spec.metadata.get("rate") and not 0.0 <= value <= 1.0:
                raise InputError(f"--{spec.name.replace('_', '-')} must be between 0 and 1")
        # Rates that share one draw must leave room for the unaffected rows.
        groups = {
            "outsider + bayi": self.outsider_rate + self.bayi_rate,
            "NIK errors": self.nik_missing_rate
            + self.nik_excel_sci_rate
            + self.nik_excel_trunc_rate
            + self.nik_typo_rate,
            "KK errors": self.kk_old_rate + self.kk_missing_rate,
        }
        for label, total in groups.items():
            if total > 1.0 or (label == "outsider + bayi" and total >= 1.0):
                raise InputError(f"rates for {label} add up to {total:.2f}; keep them below 1")
        if self.repeat_rate >= 1.0:
            raise InputError("--repeat-rate must be below 1")


HELP_ID: dict[str, str] = {
    "people": "Jumlah orang di registri",
    "seed": "Seed acak; seed sama memberi berkas sama",
    "region": "Kode kabupaten/kota, 4 digit Kemendagri; 3673 = Kota Serang",
    "lists": "Jumlah puskesmas yang mendapat berkas daftar sendiri",
    "xlsx": "Tulis berkas per puskesmas sebagai .xlsx (NIK rusak Excel sebagai angka)",
    "reference_date": "Tanggal 'hari ini' data",
    "ckg_start": "Tanggal CKG paling awal",
    "nik_ganda_rate": "Bagian warga registri dengan NIK kedua dari daerah lain (NIK ganda)",
    "ganda_name_variant_rate": "Bagian rekaman NIK ganda kedua dengan ejaan nama lain",
    "unknown_birth_date_rate": "Bagian warga dengan tanggal lahir tidak diketahui",
    "visit_rate": "Bagian warga registri yang muncul di daftar kesehatan",
    "outsider_rate": "Bagian baris daftar untuk orang di luar registri (pendatang)",
    "repeat_rate": "Bagian baris daftar yang mengulang orang yang sama",
    "bayi_rate": "Bagian baris daftar untuk bayi dengan NIK ibu ('Bayi Ny. ...')",
    "bayi_registered_share": "Bagian bayi itu yang sudah ada di registri",
    "name_typo_rate": "Nama dengan 1-2 salah ketik",
    "name_variant_rate": "Nama dengan gelar atau varian ejaan",
    "date_format_rate": "Tanggal lahir dengan format lain",
    "date_swap_rate": "Tanggal lahir dengan hari dan bulan tertukar",
    "nik_excel_sci_rate": "NIK rusak oleh Excel menjadi notasi ilmiah",
    "nik_excel_trunc_rate": "NIK yang digit terakhirnya hilang di Excel",
    "nik_typo_rate": "NIK dengan satu digit salah atau dua digit tertukar",
    "nik_missing_rate": "Baris dengan NIK kosong",
    "nik_ganda_other_rate": "Bagian baris orang NIK ganda yang memakai NIK lainnya",
    "kk_old_rate": "Baris dengan No. KK lama (keluarga pindah atau pecah KK)",
    "kk_missing_rate": "Baris dengan No. KK kosong",
    "birth_date_missing_rate": "Baris dengan tanggal lahir kosong",
    "mother_missing_rate": "Baris dengan nama ibu kosong",
}
"""Indonesian help per option; the English text stays in the field's metadata."""


def option_help(name: str) -> str:
    """The help text of one ``SynthOptions`` field, Indonesian then English (used by the
    CLI and the docs)."""
    for spec in fields(SynthOptions):
        if spec.name == name:
            english = spec.metadata["help"]
            return f"{HELP_ID[name]}. ({english})" if name in HELP_ID else english
    raise KeyError(name)


def rate_fields() -> tuple[str, ...]:
    """Names of all rate fields, in declaration order."""
    return tuple(spec.name for spec in fields(SynthOptions) if spec.metadata.get("rate"))
