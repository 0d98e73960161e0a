"""padan's command line: parse options, call one function per command, print with rich.

No logic lives here; every command calls into the module of its stage.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Callable, Iterator
from inspect import Parameter, signature
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from padan import __version__
from padan.errors import PadanError

P = ParamSpec("P")
T = TypeVar("T")

app = typer.Typer(
    name="padan",
    help=(
        "padan — pemadanan data tanpa bertukar NIK. Privacy-preserving record matching "
        "for Indonesian agencies: encode locally, link at a neutral coordinator, "
        "reconcile your own rows."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Organisation identities: key pairs and public identity cards.")
secret_app = typer.Typer(help="The shared linkage secret, sealed to each data owner.")
app.add_typer(keys_app, name="keys", no_args_is_help=True)
app.add_typer(secret_app, name="secret", no_args_is_help=True)

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
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """padan: privacy-preserving record matching (pemadanan data)."""
    _state["debug"] = debug


def handle_errors(func: Callable[P, T]) -> Callable[P, T]:
    """Turn a ``PadanError`` into one red line and its exit code (traceback with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return func(*args, **kwargs)
        except PadanError as exc:
            if _state["debug"]:
                raise
            err_console.print(f"[bold red]Error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("[yellow]Interrupted.[/]")
            raise typer.Exit(130) from None

    return wrapper


def read_passphrase(confirm: bool = False) -> str:
    """Passphrase from ``PADAN_PASSPHRASE`` or a hidden prompt; never from an argument."""
    env = os.environ.get("PADAN_PASSPHRASE")
    if env:
        return env
    return typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)


@contextlib.contextmanager
def counting_progress(description: str) -> Iterator[Callable[[int], None]]:
    """A live row counter on stderr; yields ``advance(n)``."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}: {task.completed:,.0f}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=None)
        yield lambda n: progress.advance(task, n)


MapOption = Annotated[
    list[str] | None,
    typer.Option("--map", help="field=COLUMN: take a field from this column (repeatable)."),
]
SheetOption = Annotated[
    str | None, typer.Option(help="Workbook sheet, by name or number (default: the first).")
]
FilesArg = Annotated[
    list[Path], typer.Argument(help="Input files (CSV or XLSX).", show_default=False)
]


# --- check (input layer, validation) ---------------------------------------------


@app.command()
@handle_errors
def check(
    files: FilesArg,
    profile: Annotated[
        str | None,
        typer.Option(help="Input profile: siak, ckg, febrl or a .json (default: auto-detect)."),
    ] = None,
    json_report: Annotated[
        Path | None, typer.Option("--json", help="Write the report as JSON.")
    ] = None,
    problems_csv: Annotated[
        Path | None,
        typer.Option("--problems", help="Write every problem as a CSV row (NIK/KK masked)."),
    ] = None,
    mapping: MapOption = None,
    sheet: SheetOption = None,
) -> None:
    """Check identifiers (NIK, KK, dates, sex, names) in input files and report problems.

    Exits 0 whenever the files could be read, however many problems they hold.
    """
    from rich.progress import BarColumn, TaskProgressColumn, TimeRemainingColumn

    from padan.checking import check_files, write_report_json
    from padan.profiles import parse_mapping

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

        report = check_files(files, profile, overrides, sheet, problems_csv, advance)
    if json_report is not None:
        write_report_json(report, json_report)
    _print_check_report(report)
    if json_report is not None:
        console.print(f"Laporan JSON (report): {json_report}")
    if problems_csv is not None:
        console.print(f"Daftar masalah (problems): {problems_csv}")


def _print_check_report(report) -> None:  # a padan.checking.CheckReport (imported lazily)
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
                typer.Option(
                    help=f.metadata["help"], rich_help_panel=f.metadata["group"], min=0.0, max=1.0
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
    out: Annotated[Path, typer.Option(help="Output directory.")],
    people: Annotated[int, typer.Option(help=synth_option_help("people"), min=1)] = _SYNTH.people,
    seed: Annotated[int, typer.Option(help=synth_option_help("seed"))] = _SYNTH.seed,
    lists: Annotated[int, typer.Option(help=synth_option_help("lists"), min=0)] = _SYNTH.lists,
    region: Annotated[str, typer.Option(help=synth_option_help("region"))] = _SYNTH.region,
    xlsx: Annotated[bool, typer.Option(help=synth_option_help("xlsx"))] = _SYNTH.xlsx,
    **rates: float,
) -> None:
    """Generate a synthetic registry (siak.csv), CKG health lists (ckg*.csv) and truth.csv.

    No real person: names from Faker id_ID and own lists, NIK/KK made by the rules,
    region codes from Kemendagri's list. Same options and seed give identical files.
    """
    options = {"people": people, "seed": seed, "lists": lists, "region": region, "xlsx": xlsx}
    from padan import audit
    from padan.synth import ERROR_TYPES, generate

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
    written = [summary.out_dir / name for name, _ in summary.files]
    audit.log_run(
        "synth",
        org=None,
        inputs=[],
        outputs=[*written, summary.out_dir / "truth.csv"],
        counts={
            "people": summary.people,
            "registry_rows": summary.registry_rows,
            "list_rows": summary.list_rows,
        },
    )


# --- keys / secret (identities, sealed linkage secret) -----------------------------


@keys_app.command("new")
@handle_errors
def keys_new(
    org: Annotated[str, typer.Option(help="Organisation name, e.g. dinkes-serang.")],
    role: Annotated[str, typer.Option(help="owner or coordinator.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
) -> None:
    """Create an organisation's key pair (private ORG.key) and identity card (ORG.card.json)."""
    from padan import audit
    from padan.identity import create_identity, validate_org, validate_role

    # Validate before asking for a passphrase twice.
    validate_org(org)
    validate_role(role)
    made = create_identity(org, role, out, read_passphrase(confirm=True))
    console.print(f"Private key (keep secret, never send): {made.key_path}", markup=False)
    console.print(f"Identity card (send to partners):      {made.card_path}", markup=False)
    console.print(f"Fingerprint: [bold cyan]{made.card.short_fingerprint}[/]", highlight=False)
    console.print("Read this fingerprint to your partners by phone so they can check your card.")
    audit.log_run(
        "keys new", org=made.card.org, inputs=[], outputs=[made.key_path, made.card_path], counts={}
    )


@keys_app.command("show")
@handle_errors
def keys_show(
    card: Annotated[Path, typer.Argument(help="An identity card (ORG.card.json).")],
) -> None:
    """Show an identity card: organisation, role and fingerprint (to check by phone)."""
    from padan.identity import load_card

    shown = load_card(card)
    console.print(f"Organisation: {shown.org}", highlight=False)
    console.print(f"Role:         {shown.role}")
    console.print(f"Created:      {shown.created}", highlight=False)
    console.print(f"Encryption:   {shown.kem}", highlight=False)
    console.print(f"Fingerprint:  [bold cyan]{shown.short_fingerprint}[/]", highlight=False)


@secret_app.command("new")
@handle_errors
def secret_new(
    key: Annotated[Path, typer.Option(help="Your private key file (ORG.key).")],
    to: Annotated[list[Path], typer.Option(help="Identity card of a data owner (repeat).")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    schema: Annotated[str, typer.Option(help="Linkage schema the secret is for.")] = "padan-v1",
) -> None:
    """Make a fresh linkage secret and seal it to each data owner's card."""
    from padan import audit
    from padan.secret import create_secret, describe_secret

    sealed = create_secret(key, read_passphrase(), to, out, schema)
    for path in sealed:
        console.print(f"Sealed secret: {path}", markup=False)
    console.print("Give each file only to the organisation it is named after.")
    # The maker's org, read back from the signed header (no second key unlock).
    audit.log_run(
        "secret new",
        org=describe_secret(sealed[0])["maker"],
        inputs=list(to),
        outputs=sealed,
        counts={"recipients": len(sealed)},
    )


@secret_app.command("show")
@handle_errors
def secret_show(
    file: Annotated[Path, typer.Argument(help="A sealed secret file (ORG.secret).")],
) -> None:
    """Show who made a sealed secret, for which schema and recipients (never the secret)."""
    from padan.secret import describe_secret

    _print_fields(describe_secret(file))


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
    key: Annotated[Path, typer.Option(help="Your private key file (ORG.key).")],
    secret: Annotated[Path, typer.Option(help="Your sealed linkage secret (ORG.secret).")],
    out: Annotated[Path, typer.Option(help="Package to write (PKG.padan).")],
    profile: Annotated[
        str | None, typer.Option(help="Input profile; auto-detected when absent.")
    ] = None,
    role: Annotated[str, typer.Option(help="registry or list.")] = "list",
    mapping: MapOption = None,
    sheet: SheetOption = None,
    workers: Annotated[
        int | None, typer.Option(help="Encoding processes (default: all cores).")
    ] = None,
) -> None:
    """Encode records locally into a signed package of keyed tokens (no raw data leaves)."""
    from padan import audit
    from padan.encoding import encode_files
    from padan.identity import load_identity
    from padan.profiles import parse_mapping
    from padan.secret import load_secret

    identity = load_identity(key, read_passphrase())
    linkage_secret = load_secret(secret, identity)
    with counting_progress("Encoding rows") as advance:
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
    audit.log_run(
        "encode",
        org=identity.card.org,
        inputs=[*files, secret],
        outputs=[summary.package, summary.keymap, summary.rejects],
        counts={
            "rows_read": summary.rows_read,
            "encoded": summary.encoded,
            "rejected": summary.rejected,
        },
    )


# --- inspect (package verification) ----------------------------------------------------


@app.command()
@handle_errors
def inspect(
    package: Annotated[Path, typer.Argument(help="A package (*.padan).")],
    trust: Annotated[Path | None, typer.Option(help="Directory of trusted identity cards.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Verify a package's signature and hashes and show its manifest (no record data)."""
    import json

    from padan import audit
    from padan.identity import load_trusted_cards
    from padan.package import inspect_package

    trusted = load_trusted_cards(trust) if trust is not None else None
    report = inspect_package(package, trusted)
    audit.log_run(
        "inspect",
        org=None,
        inputs=[package],
        outputs=[],
        counts={"records": report["record_count"]},
    )
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
    package: Annotated[Path, typer.Argument(help="Your own package (*.padan), before sending.")],
    max_decodable: Annotated[
        float,
        typer.Option(help="Largest share of records any field may be decodable for (0-1)."),
    ] = 0.01,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Apa yang bisa dibaca koordinator dari paket ini? / What could a coordinator decode?

    Runs the attacks that need nothing but the package (pattern mining on every Bloom
    filter field, class-size statistics of every token and blocking-key column) and says,
    per field, what share of records a curious coordinator could decode. Exits 4 when a
    field is decodable for more than --max-decodable of the records.
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
    packages: Annotated[list[Path], typer.Argument(help="Packages (*.padan).")],
    key: Annotated[Path, typer.Option(help="Coordinator's private key file.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible match ids.")] = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match probability to accept a pair (default: 0.5 of the EM model)."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Compare pairs on Dask: local[:N] starts N local workers (default 2), or a "
            "scheduler address such as tcp://SCHEDULER:8786. Results equal the local run."
        ),
    ] = None,
) -> None:
    """Verify and match packages; write one sealed result per owner and a report."""
    from padan import audit
    from padan.identity import load_identity, load_trusted_cards
    from padan.linking import link_run
    from padan.model import Status

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
        )
    datasets = summary.report["datasets"]
    table = Table(title=f"padan link · run {summary.run_id}")
    table.add_column("status")
    for d in datasets:
        table.add_column(f"{d['package']}\n({d['role']})", justify="right")
    table.add_row("records", *(f"{d['records']:,}" for d in datasets), end_section=True)
    for status in Status:
        if status is not Status.DITOLAK:  # rejected rows never reach the coordinator
            counts = (f"{d['status_counts'][status.value]:,}" for d in datasets)
            table.add_row(status.value, *counts)
    console.print(table)
    for path in summary.results:
        console.print(f"Sealed result: {path}")
    console.print(f"Report: {summary.report_json}, {summary.report_html} ({summary.seconds:.1f} s)")
    audit.log_run(
        "link",
        org=coordinator.card.org,
        inputs=packages,
        outputs=[*summary.results, summary.report_json, summary.report_html],
        counts=_link_counts(summary.report),
    )


def _link_counts(report: dict) -> dict[str, int]:
    """Records and per-status counts over all packages of a link report, for the audit log."""
    counts = {"records": sum(d["records"] for d in report["datasets"])}
    for d in report["datasets"]:
        for status_name, n in d["status_counts"].items():
            counts[status_name] = counts.get(status_name, 0) + n
    return counts


# --- reconcile / evaluate (owner) -----------------------------------------------------


@app.command()
@handle_errors
def reconcile(
    result: Annotated[
        list[Path],
        typer.Argument(
            help="Your sealed result (ORG.result); further files after it count as --input.",
            show_default=False,
        ),
    ],
    key: Annotated[Path, typer.Option(help="Your private key file.")],
    keymap: Annotated[Path, typer.Option(help="The keymap written by encode.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    input_files: Annotated[
        list[Path], typer.Option("--input", help="Original input files (repeat, or list them).")
    ],
    out: Annotated[Path, typer.Option(help="Worklist to write (.csv or .xlsx).")],
) -> None:
    """Turn a sealed result into a worklist for your own rows."""
    from padan import audit
    from padan.identity import load_identity, load_trusted_cards
    from padan.reconcile import reconcile_run
    from padan.worklist import summary_rows

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
    for row in summary_rows(summary):
        table.add_row(*map(str, row))
    console.print(table)
    audit.log_run(
        "reconcile",
        org=identity.card.org,
        inputs=[result[0], keymap, *inputs],
        outputs=[summary.path],
        counts={"rows": summary.rows, **{s.value: n for s, n in summary.counts.items()}},
    )


@app.command()
@handle_errors
def evaluate(
    truth: Annotated[Path, typer.Option(help="truth.csv from padan synth.")],
    worklist: Annotated[list[Path], typer.Option(help="Worklist CSV or XLSX (repeat).")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write every number as JSON.")
    ] = None,
) -> None:
    """Score worklists against synthetic ground truth (precision, recall, F1)."""
    from padan import audit
    from padan.evaluate import evaluate as run_evaluation
    from padan.evaluate import evaluation_tables

    result = run_evaluation(truth, worklist, json_path=json_out)
    for table in evaluation_tables(result):
        console.print(table)
    outputs = [json_out] if json_out else []
    audit.log_run(
        "evaluate", org=None, inputs=[truth, *worklist], outputs=outputs, counts=result.counts()
    )


# --- disclose / apply (correction round under a PKS) ------------------------------------


@app.command()
@handle_errors
def disclose(
    key: Annotated[Path, typer.Option(help="The registry's private key file.")],
    worklist: Annotated[Path, typer.Option(help="The registry's own worklist (from reconcile).")],
    to: Annotated[Path, typer.Option(help="Identity card of the list owner to disclose to.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    out: Annotated[Path, typer.Option(help="Disclosure file to write (FILE.sealed).")],
    match_id: Annotated[
        list[str] | None, typer.Option("--match-id", help="A match id to disclose (repeat).")
    ] = None,
    match_ids: Annotated[
        Path | None, typer.Option("--match-ids", help="File of match ids, one per line.")
    ] = None,
    all_matched: Annotated[
        bool, typer.Option("--all-matched", help="Every matched row of the worklist.")
    ] = False,
    profile: Annotated[str | None, typer.Option(help="Input profile of the worklist.")] = None,
) -> None:
    """Seal the registry's NIK and No. KK of matched rows to a list owner (needs a PKS)."""
    from padan import audit
    from padan.disclosure import disclose as run_disclose
    from padan.disclosure import read_match_ids
    from padan.errors import InputError
    from padan.identity import load_card, load_identity, load_trusted_cards

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
    audit.log_run(
        "disclose",
        org=identity.card.org,
        inputs=[worklist, to],
        outputs=[out],
        counts=summary.counts(),
    )


@app.command(name="apply")
@handle_errors
def apply_(
    disclosure: Annotated[Path, typer.Argument(help="The sealed disclosure from Disdukcapil.")],
    key: Annotated[Path, typer.Option(help="Your private key file.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    worklist: Annotated[Path, typer.Option(help="Your worklist (from reconcile).")],
    out: Annotated[Path, typer.Option(help="Corrected upload file to write (.csv).")],
    log: Annotated[
        Path | None, typer.Option(help="Change log CSV (default: OUT.changes.csv).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="Input profile of the worklist.")] = None,
) -> None:
    """Apply a disclosure: write a corrected upload file and a masked change log."""
    from padan import audit
    from padan.disclosure import apply_disclosure
    from padan.identity import load_identity, load_trusted_cards

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
    audit.log_run(
        "apply",
        org=identity.card.org,
        inputs=[disclosure, worklist],
        outputs=[summary.corrected, summary.log],
        counts=summary.counts(),
    )


# --- demo -------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    people: Annotated[int, typer.Option(help="Registry size (people).")] = 2000,
    workdir: Annotated[
        Path | None, typer.Option(help="Working directory (default: a temporary one).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic data and match ids.")] = 1,
) -> None:
    """Run the whole flow (three roles) on built-in synthetic data and report accuracy."""
    import tempfile

    from padan.demo import run_demo
    from padan.evaluate import evaluation_tables

    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="padan-demo-")))
        result = run_demo(
            workdir, people=people, seed=seed, say=lambda msg: console.print(f"[bold]{msg}[/]")
        )
        holds = Table(title="Siapa memegang apa (who holds and sees what)")
        holds.add_column("peran (role)")
        holds.add_column("berkas (files)")
        for org, folder in result.folders.items():
            files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
            holds.add_row(org, "\n".join(files))
        console.print(holds)
        for table in evaluation_tables(result.evaluation):
            console.print(table)
        link_f1 = result.evaluation.link.f1 or 0.0
        console.print(
            f"Akurasi (accuracy): link F1 {link_f1:.4f}; NIK ganda F1 "
            f"{(result.evaluation.nik_ganda.f1 or 0.0):.4f}. Folder: {workdir}"
        )
