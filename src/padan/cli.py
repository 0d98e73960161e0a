"""padan's command line: parse options, call one function per command, print with rich.

No logic lives here; every command calls into the module of its stage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
from collections.abc import Callable, Iterator, Sequence
from inspect import Parameter, signature
from pathlib import Path
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

import click
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand, TyperGroup, TyperOption

from padan.core.errors import PadanError
from padan.core.schema import DEFAULT_SCHEMA, linkage_schema_names
from padan.core.types import Role
from padan.core.version import __version__

P = ParamSpec("P")
T = TypeVar("T")

HELP_OPTION_TEXT = "Tampilkan bantuan ini lalu keluar. (Show this help and exit.)"


class _PlainFlags:
    """Help without a type column for plain flags (no ``<bool>``) and with the --help
    option's text in Indonesian and English."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if isinstance(param, TyperOption) and param.is_flag:
                param.metavar = ""  # Typer shows a set metavar instead of "<bool>"
                if "--help" in param.opts:
                    param.help = HELP_OPTION_TEXT
        return params


class PadanCommand(_PlainFlags, TyperCommand):
    """A padan command: plain flags and bilingual --help (see ``_PlainFlags``)."""


class PadanGroup(_PlainFlags, TyperGroup):
    """A padan command group: plain flags and bilingual --help (see ``_PlainFlags``)."""


class PadanTyper(typer.Typer):
    """Typer whose commands are :class:`PadanCommand` unless told otherwise, so a command
    added later renders its help like the others."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or PadanCommand, **kwargs)


app = PadanTyper(
    name="padan",
    cls=PadanGroup,
    help=(
        "padan — pemadanan data tanpa bertukar NIK: setiap instansi mengodekan datanya "
        "sendiri, koordinator netral memadankan, setiap instansi menerima daftar kerja "
        "untuk barisnya sendiri. (Privacy-preserving record matching for Indonesian "
        "agencies: encode locally, link at a neutral coordinator, reconcile your own rows.)"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    add_completion=False,
)
keys_app = PadanTyper(
    cls=PadanGroup,
    help="Identitas instansi: pasangan kunci dan kartu identitas publik. "
    "(Organisation identities: key pairs and public identity cards.)",
)
secret_app = PadanTyper(
    cls=PadanGroup,
    help="Rahasia pemadanan bersama, disegel untuk setiap pemilik data. "
    "(The shared linkage secret, sealed to each data owner.)",
)
app.add_typer(keys_app, name="keys", no_args_is_help=True)
app.add_typer(secret_app, name="secret", no_args_is_help=True)
round_app = PadanTyper(
    cls=PadanGroup,
    help="Putaran pemadanan di layanan koordinator. (Linkage rounds on a coordinator service.)",
)
app.add_typer(round_app, name="round", no_args_is_help=True)

console = Console()
err_console = Console(stderr=True)
_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        console.print(f"padan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Tampilkan versi. (Show version.)"
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Tampilkan traceback saat galat. (Show tracebacks on errors.)"
        ),
    ] = False,
) -> None:
    """padan: pemadanan data tanpa bertukar NIK (privacy-preserving record matching)."""
    _state["debug"] = debug


def handle_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn any error into one red line and its exit code (the traceback only with --debug):
    a ``PadanError`` says what to do, an ``OSError`` names the file, anything else is a bug."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:
            err_console.print("[yellow]Interrupted.[/]")
            raise typer.Exit(130) from None
        except (
            click.exceptions.Exit,
            click.exceptions.Abort,
            click.ClickException,
            # Typer vendors its own Click: its exits, aborted prompts and usage errors
            typer.Exit,
            typer.Abort,
            typer.TyperException,
        ):
            raise  # Click's own ways out: usage errors (exit 2), --help, aborted prompts
        except Exception as exc:
            if _state["debug"]:
                raise
            message, code = _error_line(exc)
            line = Text.assemble(("Error:", "bold red"), " ", message)
            err_console.print(line, highlight=False, soft_wrap=True)
            raise typer.Exit(code) from None

    return wrapper


def _error_line(exc: Exception) -> tuple[str, int]:
    """One line and an exit code for any error; long digit runs (NIK-like) masked."""
    from padan.core.masking import mask_number

    if isinstance(exc, PadanError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):  # a file system refused: say which file, and why
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", 1
    text = re.sub(r"\d{10,}", lambda m: mask_number(m.group()), f"{type(exc).__name__}: {exc}")
    return f"internal error (kesalahan internal) — {text}; run again with --debug and report it", 70


def read_passphrase(confirm: bool = False) -> str:
    """Passphrase from ``PADAN_PASSPHRASE`` or a hidden prompt; never from an argument."""
    env = os.environ.get("PADAN_PASSPHRASE")
    if env:
        return env
    return typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)


@contextlib.contextmanager
def counting_progress(
    description: str, total: int | None = None
) -> Iterator[Callable[[int], None]]:
    """Live progress on stderr, yielding ``advance(n)``: a bar with the time left when the
    ``total`` is known, a row counter otherwise."""
    if total:
        columns: tuple[ProgressColumn, ...] = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
            TimeRemainingColumn(),
        )
    else:
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description}: {task.completed:,.0f}"),
            TimeElapsedColumn(),
        )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=total or None)
        yield lambda n: progress.advance(task, n)


MapOption = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="field=KOLOM: ambil field dari kolom ini, boleh diulang. "
        "(field=COLUMN: take a field from this column, repeatable.)",
    ),
]
SheetOption = Annotated[
    str | None,
    typer.Option(
        help="Lembar kerja (sheet) menurut nama atau nomor; bawaan: yang pertama. "
        "(Workbook sheet by name or number; default: the first.)"
    ),
]
AllowMissingOption = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-missing",
        help="nik atau birth_date: terima masukan tanpa kolom ini, boleh diulang; padan "
        "menyebut status yang jadi tidak mungkin. (Accept input without this column, "
        "repeatable; padan says which statuses that makes impossible.)",
    ),
]
FilesArg = Annotated[
    list[Path],
    typer.Argument(help="Berkas masukan, CSV atau XLSX. (Input files.)", show_default=False),
]


KEY_HELP = "Berkas kunci privat Anda, ORG.key. (Your private key file.)"
TRUST_HELP = "Folder kartu identitas tepercaya. (Folder of trusted identity cards.)"
OUT_DIR_HELP = "Folder keluaran. (Output folder.)"
PROFILE_HELP = (
    "Profil masukan: siak, ckg, febrl atau berkas .json; bawaan: dikenali otomatis. "
    "(Input profile; default: detected.)"
)
WORKLIST_PROFILE_HELP = "Profil masukan daftar kerja. (Input profile of the worklist.)"
SCHEMA_NAMES = linkage_schema_names()
SchemaName = Literal[SCHEMA_NAMES]  # type: ignore[valid-type]
OrgRole = Literal["owner", "coordinator"]


# --- check (input layer, validation) ---------------------------------------------


@app.command()
@handle_errors
def check(
    files: FilesArg,
    profile: Annotated[
        str | None,
        typer.Option(help=PROFILE_HELP),
    ] = None,
    json_report: Annotated[
        Path | None,
        typer.Option("--json", help="Tulis laporan sebagai JSON. (Write the report as JSON.)"),
    ] = None,
    problems_csv: Annotated[
        Path | None,
        typer.Option(
            "--problems",
            help="Tulis setiap masalah sebagai baris CSV, NIK/KK disamarkan. "
            "(Write every problem as a CSV row, NIK/KK masked.)",
        ),
    ] = None,
    mapping: MapOption = None,
    sheet: SheetOption = None,
    allow_missing: AllowMissingOption = None,
) -> None:
    """Periksa NIK, No. KK, tanggal lahir, jenis kelamin dan nama di berkas masukan.

    (Check identifiers, dates, sex and names in input files and report problems.)
    Keluar dengan kode 0 bila berkas terbaca, berapa pun masalahnya (exit 0 whenever
    the files could be read, however many problems they hold).
    """
    from rich.progress import TaskProgressColumn

    from padan.api import check_files
    from padan.owner.check import write_report_json
    from padan.owner.profiles import parse_mapping

    overrides = parse_mapping(mapping or [])
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def advance(source: str, done: int, total: int) -> None:
            if source not in tasks:
                tasks[source] = progress.add_task(Path(source).name, total=total)
            progress.update(tasks[source], completed=done, total=total)

        report = check_files(
            files, profile, overrides, sheet, problems_csv, advance, allow_missing or ()
        )
    if json_report is not None:
        write_report_json(report, json_report)
    _print_check_report(report)
    _print_warnings(report.warnings)
    if json_report is not None:
        console.print(f"Laporan JSON (report): {json_report}")
    if problems_csv is not None:
        console.print(f"Daftar masalah (problems): {problems_csv}")


def _print_check_report(report) -> None:  # a padan.owner.check.CheckReport (imported lazily)
    """Print the file summary and the problem table of ``padan check``."""
    files = Table(title="padan check")
    for column in ("Berkas (file)", "Profil (profile)", "Format", "Baris (rows)"):
        files.add_column(column, justify="right" if column.startswith("Baris") else "left")
    for f in report.files:
        facts = ", ".join(repr(v) if k == "delimiter" else str(v) for k, v in f.read_as.items())
        files.add_row(f.source, f"{f.profile} v{f.profile_version}", facts, f"{f.rows:,}")
    console.print(files)
    console.print(f"Baris dibaca (rows read): [bold]{report.rows:,}[/]")
    if report.nik_mapped:
        console.print(
            f"NIK valid: [bold]{report.nik_valid:,}[/] ({report.nik_valid_share:.1%}); "
            f"rusak tapi sebagian terpakai (damaged, partly usable): {report.nik_partial:,}"
        )
    if not report.problems:
        console.print("[green]Tidak ada masalah ditemukan (no problems found).[/]")
        return
    table = Table(title="Masalah (problems)")
    table.add_column("Kode (code)", no_wrap=True)
    table.add_column("Jumlah", justify="right")
    table.add_column("%", justify="right")
    table.add_column("Keterangan (description)", ratio=2)
    table.add_column("Contoh (examples)", ratio=1)
    for p in report.problems:
        table.add_row(
            p.code,
            f"{p.count:,}",
            f"{report.share(p.count):.1%}",
            f"{p.label_id}\n[dim]{p.label_en}[/]",
            "\n".join(p.examples[:2]),
        )
    console.print(table)


# --- synth (synthetic data) ----------------------------------------------------------

# Light imports (generate itself loads lazily): option defaults and help texts.
from padan.synth.options import SynthOptions, option_help as synth_option_help  # noqa: E402, I001


_SYNTH = SynthOptions()


def _rate_in_range(value: float) -> float:
    """Refuse a rate outside 0..1 as a usage error (exit code 2), like a range type would."""
    if not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} harus di antara 0 dan 1 (must be between 0 and 1)")
    return value


def _with_rate_options(func: Callable[P, T]) -> Callable[P, T]:
    """Add one ``--…-rate`` option per ``SynthOptions`` rate, help and group from its field.

    The rates are data (21 of them); spelling each out as a parameter would repeat
    ``SynthOptions`` line by line.
    """
    original = signature(func, eval_str=True)
    rates = [
        Parameter(
            f.name,
            Parameter.KEYWORD_ONLY,
            default=f.default,
            annotation=Annotated[
                float,
                # A callback instead of min/max: Typer's range column would squeeze the
                # option names at 80 columns.
                typer.Option(
                    help=synth_option_help(f.name),
                    rich_help_panel=f.metadata["group"],
                    metavar="0-1",
                    callback=_rate_in_range,
                ),
            ],
        )
        for f in dataclasses.fields(SynthOptions)
        if f.metadata.get("rate")
    ]
    kept = [p for p in original.parameters.values() if p.kind != Parameter.VAR_KEYWORD]
    func.__signature__ = original.replace(parameters=[*kept, *rates])  # type: ignore[attr-defined]
    func.__annotations__ = {**func.__annotations__, **{p.name: p.annotation for p in rates}}
    return func


@app.command()
@_with_rate_options
@handle_errors
def synth(
    out: Annotated[Path, typer.Option(help=OUT_DIR_HELP)],
    people: Annotated[int, typer.Option(help=synth_option_help("people"), min=1)] = _SYNTH.people,
    seed: Annotated[int, typer.Option(help=synth_option_help("seed"))] = _SYNTH.seed,
    lists: Annotated[int, typer.Option(help=synth_option_help("lists"), min=0)] = _SYNTH.lists,
    region: Annotated[str, typer.Option(help=synth_option_help("region"))] = _SYNTH.region,
    xlsx: Annotated[bool, typer.Option(help=synth_option_help("xlsx"))] = _SYNTH.xlsx,
    **rates: float,
) -> None:
    """Buat data sintetis: registri (siak.csv), daftar CKG (ckg*.csv) dan truth.csv.

    (Generate a synthetic registry, CKG health lists and the ground truth.) Tidak ada
    orang sungguhan (no real person): nama dari Faker id_ID, NIK/KK dibuat menurut
    aturannya, kode wilayah dari daftar Kemendagri. Opsi dan seed yang sama memberi
    berkas yang sama (same options and seed give identical files).
    """
    options = {"people": people, "seed": seed, "lists": lists, "region": region, "xlsx": xlsx}
    from padan.api import generate
    from padan.synth import ERROR_TYPES

    summary = generate(out, SynthOptions(**options, **rates))
    files = Table(title=f"padan synth → {summary.out_dir}")
    files.add_column("Berkas (file)")
    files.add_column("Baris (rows)", justify="right")
    for name, rows in (*summary.files, ("truth.csv", summary.registry_rows + summary.list_rows)):
        files.add_row(name, f"{rows:,}")
    console.print(files)
    console.print(f"Orang (people): [bold]{summary.people:,}[/]")
    errors = Table(title="Jenis kesalahan (error types)")
    errors.add_column("Jenis (type)", no_wrap=True)
    errors.add_column("Registri", justify="right")
    errors.add_column("Daftar CKG", justify="right")
    errors.add_column("% daftar", justify="right")
    errors.add_column("Keterangan (description)")
    for code, description in ERROR_TYPES.items():
        in_registry = summary.registry_errors.get(code, 0)
        in_lists = summary.list_errors.get(code, 0)
        if in_registry or in_lists:
            share = in_lists / summary.list_rows if summary.list_rows else 0.0
            errors.add_row(code, f"{in_registry:,}", f"{in_lists:,}", f"{share:.1%}", description)
    console.print(errors)


# --- keys / secret (identities, sealed linkage secret) -----------------------------


@keys_app.command("new")
@handle_errors
def keys_new(
    org: Annotated[
        str,
        typer.Option(help="Nama instansi, mis. dinkes-serang. (Organisation name.)"),
    ],
    role: Annotated[
        OrgRole,
        typer.Option(help="Peran: owner (pemilik data) atau coordinator (koordinator). (Role.)"),
    ],
    out: Annotated[Path, typer.Option(help=OUT_DIR_HELP)],
) -> None:
    """Buat pasangan kunci instansi (ORG.key, rahasia) dan kartu identitas (ORG.card.json).

    (Create an organisation's private key and public identity card.)
    """
    from padan.api import create_identity
    from padan.trust.cards import validate_org, validate_role

    # Validate before asking for a passphrase twice.
    validate_org(org)
    validate_role(role)
    made = create_identity(org, role, out, read_passphrase(confirm=True))
    console.print(f"Private key (keep secret, never send): {made.key_path}", markup=False)
    console.print(f"Identity card (send to partners):      {made.card_path}", markup=False)
    console.print(f"Fingerprint: [bold cyan]{made.card.short_fingerprint}[/]", highlight=False)
    console.print("Read this fingerprint to your partners by phone so they can check your card.")


@keys_app.command("show")
@handle_errors
def keys_show(
    card: Annotated[
        Path, typer.Argument(help="Kartu identitas, ORG.card.json. (An identity card.)")
    ],
) -> None:
    """Tampilkan kartu identitas: instansi, peran, sidik jari untuk dicek lewat telepon.

    (Show an identity card: organisation, role and fingerprint, to check by phone.)
    """
    from padan.trust.cards import load_card

    shown = load_card(card)
    console.print(f"Organisation: {shown.org}", highlight=False)
    console.print(f"Role:         {shown.role}")
    console.print(f"Created:      {shown.created}", highlight=False)
    console.print(f"Encryption:   {shown.kem}", highlight=False)
    console.print(f"Fingerprint:  [bold cyan]{shown.short_fingerprint}[/]", highlight=False)


@secret_app.command("new")
@handle_errors
def secret_new(
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    to: Annotated[
        list[Path],
        typer.Option(
            help="Kartu identitas pemilik data, boleh diulang. "
            "(Identity card of a data owner, repeat.)"
        ),
    ],
    out: Annotated[Path, typer.Option(help=OUT_DIR_HELP)],
    schema: Annotated[
        SchemaName,
        typer.Option(
            metavar="SKEMA",
            help=f"Skema pemadanan (linkage schema): {', '.join(SCHEMA_NAMES)}.",
        ),
    ] = DEFAULT_SCHEMA,
) -> None:
    """Buat rahasia pemadanan baru dan segel untuk setiap pemilik data.

    (Make a fresh linkage secret and seal it to each data owner's card.)
    """
    from padan.api import create_secret

    sealed = create_secret(key, read_passphrase(), to, out, schema)
    for path in sealed:
        console.print(f"Sealed secret: {path}", markup=False)
    console.print("Give each file only to the organisation it is named after.")
    # The maker's org, read back from the signed header (no second key unlock).


@secret_app.command("show")
@handle_errors
def secret_show(
    file: Annotated[
        Path, typer.Argument(help="Berkas rahasia tersegel, ORG.secret. (A sealed secret.)")
    ],
) -> None:
    """Tampilkan pembuat, skema dan penerima rahasia tersegel (rahasianya tidak pernah).

    (Show who made a sealed secret, for which schema and recipients; never the secret.)
    """
    from padan.trust.secret import describe_secret

    _print_fields(describe_secret(file))


def _print_warnings(lines: Sequence[str]) -> None:
    """Yellow warning lines on stderr (things done, but not as the user may expect)."""
    for line in lines:
        err_console.print(
            Text.assemble(("Peringatan (warning):", "yellow"), " ", line),
            highlight=False,
            soft_wrap=True,
        )


def _print_fields(fields: dict[str, object], title: str | None = None) -> None:
    """Print ``name  value`` lines, one per field (lists and mappings joined by commas).

    Plain lines rather than a table: paths and fingerprints stay whole for copying.
    """
    if title:
        console.print(f"[bold]{title}[/]", highlight=False)
    width = max(map(len, fields))
    for name, value in fields.items():
        if isinstance(value, dict):
            value = [f"{key}={item}" for key, item in sorted(value.items())]
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        console.print(f"{name.ljust(width)}  {text}", highlight=False, markup=False, soft_wrap=True)


# --- encode / inspect (packages) ------------------------------------------------------


@app.command()
@handle_errors
def encode(
    files: FilesArg,
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    secret: Annotated[
        Path,
        typer.Option(
            help="Rahasia pemadanan tersegel milik Anda, ORG.secret. (Your sealed secret.)"
        ),
    ],
    out: Annotated[Path, typer.Option(help="Paket yang ditulis, PKG.padan. (Package to write.)")],
    profile: Annotated[str | None, typer.Option(help=PROFILE_HELP)] = None,
    role: Annotated[
        Role,
        typer.Option(
            help="Peran data: registry (registri, Disdukcapil) atau list (daftar, mis. "
            "CKG). (Role of the data.)"
        ),
    ] = "list",
    mapping: MapOption = None,
    sheet: SheetOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Jumlah proses; bawaan: semua inti. (Encoding processes; default: all cores.)"
        ),
    ] = None,
    allow_missing: AllowMissingOption = None,
) -> None:
    """Kodekan data secara lokal menjadi paket bertanda tangan; tidak ada data mentah keluar.

    (Encode records locally into a signed package of keyed tokens; no raw data leaves.)
    """
    from padan.api import encode_files
    from padan.owner.profiles import parse_mapping
    from padan.owner.read import estimate_rows
    from padan.trust.identity import load_identity
    from padan.trust.secret import load_secret

    identity = load_identity(key, read_passphrase())
    linkage_secret = load_secret(secret, identity)
    with counting_progress("Mengodekan (encoding)", estimate_rows(files)) as advance:
        summary = encode_files(
            files,
            identity=identity,
            secret=linkage_secret,
            out=out,
            role=role,  # type: ignore[arg-type]
            profile=profile,
            overrides=parse_mapping(mapping or []),
            sheet=sheet,
            workers=workers,
            progress=advance,
            allow_missing=allow_missing or (),
        )
    _print_fields(
        {
            "Baris dibaca (rows read)": f"{summary.rows_read:,}",
            "Dikodekan (encoded)": f"{summary.encoded:,}",
            "Ditolak (rejected)": f"{summary.rejected:,}  → {summary.rejects}",
            "Keymap (stays here)": summary.keymap,
            "Mean filter fill": f"{summary.mean_fill:.1%}",
            "Dice, random pairs (10 bins 0→1)": " ".join(map(str, summary.dice_histogram)),
            "Throughput": f"{summary.records_per_second:,.0f} rows/s ({summary.seconds:.1f} s)",
        },
        title=f"padan encode → {summary.package}",
    )
    _print_warnings(summary.warnings)


# --- inspect (package verification) ----------------------------------------------------


@app.command()
@handle_errors
def inspect(
    package: Annotated[Path, typer.Argument(help="Paket, *.padan. (A package.)")],
    trust: Annotated[Path | None, typer.Option(help=TRUST_HELP)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Cetak hasil sebagai JSON. (Print as JSON.)")
    ] = False,
) -> None:
    """Periksa tanda tangan dan hash paket, tampilkan manifesnya (tanpa data per orang).

    (Verify a package's signature and hashes and show its manifest; no record data.)
    """
    import json

    from padan.api import inspect_package
    from padan.trust.cards import load_trusted_cards

    trusted = load_trusted_cards(trust) if trust is not None else None
    report = inspect_package(package, trusted)
    if as_json:
        console.print_json(json.dumps(report))
        return
    members = report.pop("members")
    _print_fields(report)
    for name, member in members.items():
        line = f"  {name}: {member['bytes']} bytes, sha256 {member['sha256']}"
        console.print(line, markup=False, soft_wrap=True)


RISK_EXIT = 4
"""Exit code of ``padan risk`` when a field is decodable above the threshold."""


@app.command()
@handle_errors
def risk(
    package: Annotated[
        Path,
        typer.Argument(
            help="Paket Anda sendiri, *.padan, sebelum dikirim. (Your own package, before sending.)"
        ),
    ],
    max_decodable: Annotated[
        float,
        typer.Option(
            help="Bagian rekaman terbesar yang boleh terbaca per kolom, 0-1. (Largest share "
            "of records any field may be decodable for.)"
        ),
    ] = 0.01,
    as_json: Annotated[
        bool, typer.Option("--json", help="Cetak hasil sebagai JSON. (Print as JSON.)")
    ] = False,
) -> None:
    """Apa yang bisa dibaca koordinator dari paket ini? (What could a coordinator decode?)

    Menjalankan serangan yang hanya butuh paket (penambangan pola pada setiap filter
    Bloom, statistik ukuran kelas setiap token dan kunci blok) dan menyebut, per kolom,
    bagian rekaman yang bisa dibaca koordinator. Keluar dengan kode 4 bila satu kolom
    terbaca melebihi --max-decodable. (Runs the package-only attacks and says, per field,
    what share of records a curious coordinator could decode; exits 4 above
    --max-decodable.)
    """
    import json

    from padan.owner.risk import assess_package

    report = assess_package(package, max_decodable=max_decodable)
    if as_json:
        console.print_json(json.dumps(report.to_dict()))
    else:
        table = Table(
            title=f"Risiko paket (package risk): {package.name}, {report.records:,} rekaman "
            f"(records), skema (schema) {report.schema}"
        )
        table.add_column("Kolom (field)")
        table.add_column("Terbaca (decodable)", justify="right")
        table.add_column("Temuan (findings)")
        for name, field in report.fields.items():
            pairs = zip(field.temuan, field.attacks, strict=True)
            findings = [f"{id_}\n  ({en})" for id_, en in pairs]
            style = "red" if field.decodable > max_decodable else None
            table.add_row(name, f"{field.decodable:.1%}", "\n".join(findings) or "–", style=style)
        console.print(table)
        verdict = (
            "[green]Lulus: tidak ada kolom yang terbaca di atas ambang.[/] "
            "(Passed: no field decodable above the threshold.)"
            if report.passed
            else "[bold red]GAGAL: koordinator dapat membaca kolom bertanda merah.[/] "
            "(FAILED: a coordinator could decode the fields in red.)"
        )
        console.print(f"{verdict} Ambang (threshold): {max_decodable:.1%}")
    if not report.passed:
        raise typer.Exit(RISK_EXIT)


# --- link (coordinator) ---------------------------------------------------------------


@app.command()
@handle_errors
def link(
    packages: Annotated[list[Path], typer.Argument(help="Paket-paket, *.padan. (Packages.)")],
    key: Annotated[
        Path, typer.Option(help="Kunci privat koordinator. (Coordinator's private key.)")
    ],
    trust: Annotated[Path, typer.Option(help=TRUST_HELP)],
    out: Annotated[Path, typer.Option(help=OUT_DIR_HELP)],
    seed: Annotated[
        int | None,
        typer.Option(help="Seed agar match id dapat diulang. (Seed for reproducible match ids.)"),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            help="Peluang cocok minimal untuk menerima pasangan; bawaan 0.5. "
            "(Match probability to accept a pair; default 0.5.)"
        ),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Bandingkan pasangan di Dask: local[:N] (N pekerja lokal, bawaan 2) atau "
            "alamat scheduler tcp://SCHEDULER:8786; hasilnya sama. (Compare pairs on Dask; "
            "results equal the local run.)"
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Tulis ke folder keluaran yang sudah berisi berkas. (Write into an output "
            "folder that already holds files.)",
        ),
    ] = False,
) -> None:
    """Verifikasi dan padankan paket; tulis hasil tersegel per pemilik dan laporan.

    (Verify and match packages; write one sealed result per owner and a report.)
    """
    from padan.api import link_run
    from padan.core.errors import InputError
    from padan.core.types import OWNER_STATUSES, Status
    from padan.trust.cards import load_trusted_cards
    from padan.trust.identity import load_identity

    if threshold is not None and not 0 < threshold < 1:  # checked before the prompt
        raise InputError("--threshold must be a probability between 0 and 1")
    coordinator = load_identity(key, read_passphrase())
    with console.status("Linking…") as status:
        summary = link_run(
            packages,
            coordinator=coordinator,
            trusted=load_trusted_cards(trust),
            out_dir=out,
            seed=seed,
            match_probability=threshold,
            progress=lambda msg: status.update(msg),
            cluster=cluster,
            force=force,
        )
    datasets = summary.report["datasets"]
    table = Table(title=f"padan link · run {summary.run_id}")
    table.add_column("status")
    for d in datasets:
        table.add_column(f"{d['package']}\n({d['role']})", justify="right")
    table.add_row("records", *(f"{d['records']:,}" for d in datasets), end_section=True)
    for status in Status:
        if status not in OWNER_STATUSES:  # rows the coordinator never sees
            counts = (f"{d['status_counts'][status.value]:,}" for d in datasets)
            table.add_row(status.value, *counts)
    console.print(table)
    for path in summary.results:
        console.print(f"Sealed result: {path}")
    console.print(f"Report: {summary.report_json}, {summary.report_html} ({summary.seconds:.1f} s)")


# --- reconcile / evaluate (owner) -----------------------------------------------------


@app.command()
@handle_errors
def reconcile(
    result: Annotated[
        list[Path],
        typer.Argument(
            help="Hasil tersegel Anda (ORG.result); berkas sesudahnya dihitung sebagai "
            "--input. (Your sealed result; further files count as --input.)",
            show_default=False,
        ),
    ],
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    keymap: Annotated[
        Path, typer.Option(help="Keymap dari encode. (The keymap written by encode.)")
    ],
    trust: Annotated[Path, typer.Option(help=TRUST_HELP)],
    input_files: Annotated[
        list[Path],
        typer.Option(
            "--input",
            help="Berkas masukan asli, boleh diulang. (Original input files, repeat.)",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Daftar kerja: .xlsx untuk dibaca orang (bawaan bila tanpa akhiran), .csv "
            "untuk mesin. (Worklist: .xlsx for people, the default; .csv for machines.)"
        ),
    ],
) -> None:
    """Buka hasil tersegel menjadi daftar kerja untuk baris Anda sendiri.

    (Turn a sealed result into a worklist for your own rows.)
    """
    from padan.api import reconcile_run
    from padan.owner.worklist import summary_rows, worklist_path
    from padan.trust.cards import load_trusted_cards
    from padan.trust.identity import load_identity

    out = worklist_path(out)  # a wrong suffix is refused before the prompt
    identity = load_identity(key, read_passphrase())
    inputs = [*input_files, *result[1:]]
    summary = reconcile_run(
        result[0],
        identity=identity,
        keymap=keymap,
        trusted=load_trusted_cards(trust),
        inputs=inputs,
        out=out,
    )
    table = Table(title=f"Worklist {summary.path} ({summary.rows:,} baris/rows)")
    for column in ("status", "label", "label (en)", "jumlah (count)"):
        table.add_column(column)
    for row in summary_rows(summary.worklist):
        table.add_row(*map(str, row))
    console.print(table)
    if summary.damaged:
        console.print(
            f"NIK/No. KK rusak (damaged), dijelaskan di padan_keterangan: {summary.damaged:,}"
        )
    _print_warnings(summary.warnings())


@app.command()
@handle_errors
def evaluate(
    truth: Annotated[
        Path, typer.Option(help="truth.csv dari padan synth. (Ground truth from synth.)")
    ],
    worklist: Annotated[
        list[Path],
        typer.Option(help="Daftar kerja CSV atau XLSX, boleh diulang. (Worklists, repeat.)"),
    ],
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Tulis juga semua angka sebagai JSON. (Also as JSON.)"),
    ] = None,
) -> None:
    """Nilai daftar kerja terhadap kebenaran sintetis: presisi, recall, F1.

    (Score worklists against synthetic ground truth: precision, recall, F1.)
    """
    from padan.api import evaluate as run_evaluation

    result = run_evaluation(truth, worklist, json_path=json_out)
    for table in _evaluation_tables(result):
        console.print(table)


def _evaluation_tables(evaluation) -> list[Table]:  # a padan.synth.evaluate.Evaluation
    """Rich tables for the terminal: worklists, overall scores, per status, per damage."""
    sources = _table("Worklists", ("file", "side", "rows", "not in truth"), text_columns=2)
    for w in evaluation.worklists:
        sources.add_row(w.name, w.dataset, str(w.rows), str(w.unknown))

    overall = _table(
        "Accuracy against truth",
        ("", "precision", "recall", "F1", "predicted", "true", "correct"),
        text_columns=1,
    )
    for name, score in [
        ("links (list ↔ registry)", evaluation.link),
        ("list duplicates (pairs)", evaluation.list_duplicates),
        ("NIK ganda (registry pairs)", evaluation.nik_ganda),
    ]:
        overall.add_row(
            name,
            *map(_ratio, (score.precision, score.recall, score.f1)),
            *map(str, (score.predicted, score.relevant, score.correct)),
        )

    statuses = _table(
        "Per status",
        ("side", "status", "rows", "findable", "linked", "correct", "precision"),
        text_columns=2,
    )
    for s in evaluation.statuses:
        counts = map(str, (s.rows, s.findable, s.linked, s.correct))
        statuses.add_row(s.dataset, s.status, *counts, _ratio(s.precision))

    errors = _table(
        "List rows per kind of damage",
        ("damage", "rows", "findable", "linked correctly", "recall"),
        text_columns=1,
    )
    for e in evaluation.errors:
        errors.add_row(e.error, *map(str, (e.rows, e.findable, e.correct)), _ratio(e.recall))
    return [sources, overall, statuses, errors]


def _table(title: str, columns: Sequence[str], *, text_columns: int) -> Table:
    """A table whose first ``text_columns`` columns are text and the rest numbers."""
    table = Table(title=title)
    for index, name in enumerate(columns):
        table.add_column(name, justify="left" if index < text_columns else "right")
    return table


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.4f}"


# --- disclose / apply (correction round under a PKS) ------------------------------------


@app.command()
@handle_errors
def disclose(
    key: Annotated[Path, typer.Option(help="Kunci privat registri. (The registry's private key.)")],
    worklist: Annotated[
        Path,
        typer.Option(help="Daftar kerja registri dari reconcile. (The registry's own worklist.)"),
    ],
    to: Annotated[
        Path,
        typer.Option(help="Kartu identitas pemilik daftar penerima. (Recipient's card.)"),
    ],
    trust: Annotated[Path, typer.Option(help=TRUST_HELP)],
    out: Annotated[
        Path, typer.Option(help="Berkas pengungkapan, FILE.sealed. (Disclosure to write.)")
    ],
    match_id: Annotated[
        list[str] | None,
        typer.Option(
            "--match-id", help="Match id yang diungkap, boleh diulang. (A match id, repeat.)"
        ),
    ] = None,
    match_ids: Annotated[
        Path | None,
        typer.Option(
            "--match-ids",
            help="Berkas match id, satu per baris. (File of match ids, one per line.)",
        ),
    ] = None,
    all_matched: Annotated[
        bool,
        typer.Option(
            "--all-matched",
            help="Semua baris yang cocok di daftar kerja. (Every matched row.)",
        ),
    ] = False,
    profile: Annotated[str | None, typer.Option(help=WORKLIST_PROFILE_HELP)] = None,
) -> None:
    """Segel NIK dan No. KK registri untuk baris yang cocok ke pemilik daftar (perlu PKS).

    (Seal the registry's NIK and No. KK of matched rows to a list owner; needs a PKS.)
    """
    from padan.api import disclose as run_disclose
    from padan.core.errors import InputError
    from padan.owner.disclosure import read_match_ids
    from padan.trust.cards import load_card, load_trusted_cards
    from padan.trust.identity import load_identity

    requested = [*(match_id or []), *(read_match_ids(match_ids) if match_ids else [])]
    if all_matched == bool(requested or match_ids):
        raise InputError("choose the rows: --match-id/--match-ids, or --all-matched (not both)")
    identity = load_identity(key, read_passphrase())
    summary = run_disclose(
        worklist,
        identity=identity,
        recipient=load_card(to),
        trusted=load_trusted_cards(trust),
        out=out,
        match_ids=None if all_matched else requested,
        profile=profile,
    )
    console.print(
        f"Disclosure for {summary.recipient}: {summary.match_ids:,} match id(s), "
        f"{summary.records:,} NIK/KK record(s), {summary.ganda:,} NIK ganda → {summary.path}",
        markup=False,
    )
    if summary.changed:
        _print_warnings(
            [
                f"{summary.changed:,} baris berubah sejak reconcile, tidak dibuka (rows changed "
                "since reconcile, not disclosed): run padan reconcile again"
            ]
        )


@app.command(name="apply")
@handle_errors
def apply_(
    disclosure: Annotated[
        Path,
        typer.Argument(help="Pengungkapan tersegel dari Disdukcapil. (The sealed disclosure.)"),
    ],
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    trust: Annotated[Path, typer.Option(help=TRUST_HELP)],
    worklist: Annotated[
        Path, typer.Option(help="Daftar kerja Anda dari reconcile. (Your worklist.)")
    ],
    out: Annotated[
        Path,
        typer.Option(help="Berkas unggah yang dikoreksi, .csv. (Corrected upload file.)"),
    ],
    log: Annotated[
        Path | None,
        typer.Option(help="CSV catatan perubahan; bawaan OUT.changes.csv. (Change log CSV.)"),
    ] = None,
    profile: Annotated[str | None, typer.Option(help=WORKLIST_PROFILE_HELP)] = None,
) -> None:
    """Terapkan pengungkapan: tulis berkas unggah terkoreksi dan catatan perubahan.

    (Apply a disclosure: write a corrected upload file and a masked change log.)
    """
    from padan.api import apply_disclosure
    from padan.trust.cards import load_trusted_cards
    from padan.trust.identity import load_identity

    identity = load_identity(key, read_passphrase())
    summary = apply_disclosure(
        disclosure,
        identity=identity,
        trusted=load_trusted_cards(trust),
        worklist=worklist,
        out=out,
        log=log,
        profile=profile,
    )
    _print_fields(
        {
            "Baris (rows)": f"{summary.rows:,}",
            "NIK diganti (NIK replaced)": f"{summary.nik_changed:,}",
            "KK diganti (KK replaced)": f"{summary.kk_changed:,}",
            "Perlu keputusan, NIK ganda (needs a decision)": f"{summary.needs_decision:,}",
            "Berkas koreksi (corrected file)": summary.corrected,
            "Catatan perubahan (change log)": summary.log,
        },
        title=f"padan apply ← {summary.sender}",
    )
    if summary.unknown_match_ids:
        err_console.print(
            f"[yellow]Peringatan:[/] {summary.unknown_match_ids:,} match id tidak ada di daftar "
            "kerja ini (diabaikan; reconcile dijalankan ulang?) — ids not on this worklist, "
            "ignored."
        )
    if summary.changed:
        _print_warnings(
            [
                f"{summary.changed:,} baris berubah sejak reconcile, NIK/KK tidak diganti (rows "
                "changed since reconcile, left as they were; see the change log): run padan "
                "reconcile again"
            ]
        )


# --- service (coordinator service and the owners' client) -----------------------------

ServerOption = Annotated[
    str,
    typer.Option(
        help="Alamat layanan koordinator yang dituju, mis. https://padan.example.go.id. "
        "(Coordinator service URL.)"
    ),
]
RoundOption = Annotated[
    str, typer.Option("--round", help="Id putaran, dari padan round new. (Round id.)")
]
COORDINATOR_KEY_HELP = "Kunci privat koordinator. (Coordinator's private key.)"


@app.command()
@handle_errors
def serve(
    key: Annotated[Path, typer.Option(help=COORDINATOR_KEY_HELP)],
    trust: Annotated[Path, typer.Option(help=TRUST_HELP)],
    data: Annotated[
        Path,
        typer.Option(
            help="Folder data: paket, hasil, SQLite. (Data folder: packages, results, SQLite.)"
        ),
    ],
    db: Annotated[
        str | None,
        typer.Option(
            help="Basis data, mis. postgresql://padan@/padan; bawaan SQLite di folder data. "
            "(Database URL; default: SQLite in the data folder.)"
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Alamat yang didengar. (Address to listen on.)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port yang didengar. (Port to listen on.)")] = 8765,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Jalankan pemadanan di Dask seperti padan link --cluster: local[:N] atau "
            "tcp://SCHEDULER:8786. (Run links on Dask, as padan link --cluster does.)"
        ),
    ] = None,
    max_upload: Annotated[
        int, typer.Option(help="Paket terbesar, MB. (Largest package accepted, MB.)", min=1)
    ] = 4096,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Cookie sesi halaman hanya lewat HTTPS, untuk di belakang proxy TLS. (Session "
            "cookie Secure, behind a TLS proxy.)",
        ),
    ] = False,
) -> None:
    """Jalankan layanan koordinator: pemilik mengirim paket dan mengambil hasil tersegelnya.

    (Run the coordinator service: owners send packages and fetch their sealed results.)
    """
    from padan.service.app import ServiceConfig
    from padan.service.db import database_url
    from padan.service.server import serve as run_server
    from padan.service.uploads import Limits
    from padan.trust.cards import load_trusted_cards
    from padan.trust.identity import load_identity

    coordinator = load_identity(key, read_passphrase())
    config = ServiceConfig(
        data_dir=data,
        coordinator=coordinator,
        trusted=load_trusted_cards(trust),
        db_url=database_url(db, data),
        cluster=cluster,
        limits=Limits(upload=max_upload * 1024**2),
        secure_cookies=secure_cookies,
    )
    console.print(
        f"padan serve · {coordinator.card.label} · http://{host}:{port} "
        f"(data {data}, db {db.split('@')[-1] if db else 'SQLite'})",
        highlight=False,
    )
    run_server(config, host, port)


def _client(server: str, key: Path):  # a padan.service.client.Client (imported lazily)
    from padan.service.client import Client
    from padan.trust.identity import load_identity

    return Client(server, load_identity(key, read_passphrase()))


@round_app.command("new")
@handle_errors
def round_new(
    name: Annotated[
        str, typer.Argument(help="Nama putaran, mis. 'CKG Kota Serang Q1'. (Round name.)")
    ],
    server: ServerOption,
    key: Annotated[Path, typer.Option(help=COORDINATOR_KEY_HELP)],
    registry: Annotated[
        Path, typer.Option(help="Kartu identitas pemilik registri. (Registry owner's card.)")
    ],
    list_cards: Annotated[
        list[Path],
        typer.Option(
            "--list", help="Kartu identitas pemilik daftar; ulangi. (A list owner's card; repeat.)"
        ),
    ],
    pks: Annotated[
        str,
        typer.Option(
            help="Nomor perjanjian kerja sama untuk putaran ini. (Agreement reference, PKS.)"
        ),
    ] = "",
    retention: Annotated[
        str | None,
        typer.Option(
            help="Hapus paket dan hasil pada tanggal ini, YYYY-MM-DD; bawaan 30 hari. "
            "(Delete packages and results on this date; default in 30 days.)"
        ),
    ] = None,
    schema: Annotated[
        str | None, typer.Option(help="Skema pemadanan putaran. (Linkage schema of the round.)")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed agar match id dapat diulang. (Seed for reproducible match ids.)"),
    ] = None,
) -> None:
    """Buka putaran untuk satu registri dan pemilik daftar; cetak id putaran.

    (Open a round for a registry and list owners; prints the round id.)
    """
    from padan.service.client import open_round
    from padan.trust.cards import load_card

    with _client(server, key) as client:
        made = open_round(
            client,
            name,
            registry=load_card(registry),
            lists=[load_card(card) for card in list_cards],
            pks=pks,
            schema=schema,
            retention=retention,
            seed=seed,
        )
    err_console.print(
        f"Putaran dibuka (round opened): {made['name']} · "
        f"{', '.join(p['org'] for p in made['parties'])} · retensi {made['retention']}",
        highlight=False,
    )
    console.print(made["id"], highlight=False)


@round_app.command("list")
@handle_errors
def round_list(
    server: ServerOption,
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
) -> None:
    """Daftar putaran yang boleh Anda lihat (koordinator: semua).

    (List the rounds your key may see; the coordinator: all.)
    """
    with _client(server, key) as client:
        rounds = client.json("GET", "/api/rounds")
    table = Table(title="Putaran (rounds)")
    for column in ("id", "nama (name)", "status", "pihak (parties)", "retensi (retention)"):
        table.add_column(column)
    for r in rounds:
        parties = ", ".join(f"{p['org']} ({p['role']})" for p in r["parties"])
        table.add_row(r["id"], r["name"], r["state"], parties, r["retention"])
    console.print(table)


@round_app.command("purge")
@handle_errors
def round_purge(
    round_id: Annotated[str, typer.Argument(help="Id putaran yang akan dihapus. (Round id.)")],
    server: ServerOption,
    key: Annotated[Path, typer.Option(help=COORDINATOR_KEY_HELP)],
) -> None:
    """Hapus paket dan hasil putaran sekarang, sebelum masa simpannya habis.

    (Delete a round's packages and results now, before its retention date.)
    """
    with _client(server, key) as client:
        done = client.json("POST", f"/api/rounds/{round_id}/purge")
    console.print(f"Dihapus (purged): round {round_id}, {done['bytes_removed']:,} bytes")


@app.command()
@handle_errors
def send(
    package: Annotated[Path, typer.Argument(help="Paket Anda, *.padan. (Your package.)")],
    server: ServerOption,
    round_id: RoundOption,
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Ganti paket yang sudah Anda kirim ke putaran ini. (Replace the package you "
            "sent to this round earlier.)",
        ),
    ] = False,
) -> None:
    """Kirim paket ke putaran; unggahan yang terputus dilanjutkan.

    (Send a package to a round; an interrupted upload of the same file resumes.)
    """
    from rich.progress import BarColumn, DownloadColumn, TransferSpeedColumn

    from padan.service.client import send_package

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with (
        _client(server, key) as client,
        Progress(*columns, TransferSpeedColumn(), console=err_console, transient=True) as bar,
    ):
        task = bar.add_task(f"Mengirim (sending) {package.name}", total=None)
        sent = send_package(
            client,
            package,
            round_id,
            replace=replace,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    resumed = f", dilanjutkan dari (resumed at) {sent.resumed_at:,}" if sent.resumed_at else ""
    console.print(
        f"Terkirim dan diverifikasi (sent and verified): {package.name}, {sent.bytes:,} bytes, "
        f"{sent.records or 0:,} baris (records){resumed} ({sent.seconds:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@handle_errors
def fetch(
    server: ServerOption,
    round_id: RoundOption,
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
    out: Annotated[Path, typer.Option(help="Folder untuk ORG.result. (Folder for ORG.result.)")],
    wait: Annotated[
        bool,
        typer.Option(
            "--wait", help="Tunggu sampai pemadanan selesai. (Wait until the run has finished.)"
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            help="Dengan --wait: menyerah setelah sekian detik. (With --wait: give up after "
            "this many seconds.)"
        ),
    ] = None,
) -> None:
    """Ambil hasil tersegel milik Anda dari putaran, lalu jalankan padan reconcile.

    (Fetch your own sealed result of a round, then run padan reconcile on it.)
    """
    from padan.service.client import fetch_result

    with _client(server, key) as client, console.status("Menunggu (waiting)…") as status:
        path = fetch_result(
            client,
            round_id,
            out,
            wait=wait,
            timeout=timeout,
            on_wait=lambda s: status.update(
                f"Putaran {s['id']}: {s['state']} · {(s.get('run') or {}).get('stage', '')}"
            ),
        )
    console.print(f"Hasil tersegel (sealed result): {path}", soft_wrap=True, markup=False)


@app.command()
@handle_errors
def login(
    server: ServerOption,
    key: Annotated[Path, typer.Option(help=KEY_HELP)],
) -> None:
    """Cetak tautan masuk halaman status, ditandatangani kunci Anda (10 menit, sekali pakai).

    (Print a sign-in link for the status page, signed with your key; ten minutes, once.)
    """
    from padan.service.client import sign_in_link
    from padan.trust.identity import load_identity

    console.print(sign_in_link(server, load_identity(key, read_passphrase())), soft_wrap=True)


# --- demo -------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    people: Annotated[
        int, typer.Option(help="Jumlah orang di registri. (Registry size, people.)", min=1)
    ] = 2000,
    workdir: Annotated[
        Path,
        typer.Option(
            help="Folder kerja; tetap ada sesudahnya, demo lama di sana diganti. (Working "
            "folder, kept afterwards; an earlier demo there is replaced.)"
        ),
    ] = Path("padan-demo"),
    seed: Annotated[
        int | None,
        typer.Option(
            help="Seed: data sintetis, rahasia demo dan match id tetap, jadi hasilnya sama "
            "setiap kali. Tanpa seed: rahasia baru. (Seed: same data, demo secret and match "
            "ids, so the same accuracy every run; without it: a fresh secret.)"
        ),
    ] = None,
    service: Annotated[
        bool,
        typer.Option(
            "--service",
            help="Pemadanan lewat layanan koordinator lokal (padan serve) melalui HTTP. "
            "(Link through a local coordinator service over HTTP.)",
        ),
    ] = False,
) -> None:
    """Jalankan seluruh alur (tiga peran) pada data sintetis dan laporkan akurasinya.

    (Run the whole flow, three roles, on built-in synthetic data and report accuracy.)
    """
    from padan.demo import run_demo

    result = run_demo(
        workdir,
        people=people,
        seed=seed,
        say=lambda msg: console.print(f"[bold]{msg}[/]"),
        service=service,
    )
    holds = Table(title="Siapa memegang apa (who holds and sees what)")
    holds.add_column("peran (role)")
    holds.add_column("berkas (files)")
    for org, folder in result.folders.items():
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
        holds.add_row(org, "\n".join(files))
    console.print(holds)
    for table in _evaluation_tables(result.evaluation):
        console.print(table)
    link_f1 = result.evaluation.link.f1 or 0.0
    console.print(
        f"Akurasi (accuracy): link F1 {link_f1:.4f}; NIK ganda F1 "
        f"{(result.evaluation.nik_ganda.f1 or 0.0):.4f}."
    )
    _print_fields(
        {
            "Semua berkas (all files)": result.workdir.resolve(),
            **{
                f"Daftar kerja {org} (worklist)": summary.path.resolve()
                for org, summary in result.worklists.items()
            },
            "Laporan (report)": result.link.report_html.resolve(),
        },
        title="Berkas demo tetap tersimpan di sini (the demo files are kept here):",
    )
