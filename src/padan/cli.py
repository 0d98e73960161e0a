"""padan's command line: parse options, call one function per command, print with rich.

No logic lives here; every command calls into the module of its stage.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

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
            err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
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


FilesArg = Annotated[list[Path], typer.Argument(help="Input files (CSV or XLSX).", show_default=False)]


def _todo(name: str) -> None:
    raise PadanError(f"'padan {name}' is not implemented yet")


# --- check (input layer, validation) ---------------------------------------------


@app.command()
@handle_errors
def check(
    files: FilesArg,
    profile: Annotated[str | None, typer.Option(help="Input profile (siak, ckg, febrl); auto-detected when absent.")] = None,
    json_report: Annotated[Path | None, typer.Option("--json", help="Write the report as JSON.")] = None,
) -> None:
    """Check identifiers (NIK, KK, dates, sex, names) in input files and report problems."""
    _todo("check")


# --- synth (synthetic data) ----------------------------------------------------------


@app.command()
@handle_errors
def synth(
    out: Annotated[Path, typer.Option(help="Output directory.")],
    people: Annotated[int, typer.Option(help="Registry size (people).")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed gives identical files.")] = 1,
) -> None:
    """Generate a synthetic registry, health lists and ground truth (no real person)."""
    _todo("synth")


# --- keys / secret (identities, sealed linkage secret) -----------------------------


@keys_app.command("new")
@handle_errors
def keys_new(
    org: Annotated[str, typer.Option(help="Organisation name, e.g. dinkes-serang.")],
    role: Annotated[str, typer.Option(help="owner or coordinator.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
) -> None:
    """Create an organisation's key pair (private ORG.key) and identity card (ORG.card.json)."""
    _todo("keys new")


@secret_app.command("new")
@handle_errors
def secret_new(
    key: Annotated[Path, typer.Option(help="Your private key file (ORG.key).")],
    to: Annotated[list[Path], typer.Option(help="Identity card of a data owner (repeat).")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
) -> None:
    """Make a fresh linkage secret and seal it to each data owner's card."""
    _todo("secret new")


# --- encode / inspect (packages) ------------------------------------------------------


@app.command()
@handle_errors
def encode(
    files: FilesArg,
    key: Annotated[Path, typer.Option(help="Your private key file (ORG.key).")],
    secret: Annotated[Path, typer.Option(help="Your sealed linkage secret (ORG.secret).")],
    out: Annotated[Path, typer.Option(help="Package to write (PKG.padan).")],
    profile: Annotated[str | None, typer.Option(help="Input profile; auto-detected when absent.")] = None,
    role: Annotated[str, typer.Option(help="registry or list.")] = "list",
) -> None:
    """Encode records locally into a signed package of keyed tokens (no raw data leaves)."""
    _todo("encode")


# --- link (coordinator) ---------------------------------------------------------------


@app.command()
@handle_errors
def link(
    packages: Annotated[list[Path], typer.Argument(help="Packages (*.padan).")],
    key: Annotated[Path, typer.Option(help="Coordinator's private key file.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
) -> None:
    """Verify and match packages; write one sealed result per owner and a report."""
    _todo("link")


# --- reconcile / evaluate (owner) -----------------------------------------------------


@app.command()
@handle_errors
def reconcile(
    result: Annotated[Path, typer.Argument(help="Your sealed result (ORG.result).")],
    key: Annotated[Path, typer.Option(help="Your private key file.")],
    keymap: Annotated[Path, typer.Option(help="The keymap written by encode.")],
    trust: Annotated[Path, typer.Option(help="Directory of trusted identity cards.")],
    input_files: Annotated[list[Path], typer.Option("--input", help="Original input files.")],
    out: Annotated[Path, typer.Option(help="Worklist to write (.csv or .xlsx).")],
) -> None:
    """Turn a sealed result into a worklist for your own rows."""
    _todo("reconcile")


@app.command()
@handle_errors
def evaluate(
    truth: Annotated[Path, typer.Option(help="truth.csv from padan synth.")],
    worklist: Annotated[list[Path], typer.Option(help="Worklist CSV (repeat).")],
) -> None:
    """Score worklists against synthetic ground truth (precision, recall, F1)."""
    _todo("evaluate")


# --- demo -------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    people: Annotated[int, typer.Option(help="Registry size (people).")] = 2000,
    workdir: Annotated[Path | None, typer.Option(help="Working directory (default: a temporary one).")] = None,
) -> None:
    """Run the whole flow (three roles) on built-in synthetic data and report accuracy."""
    _todo("demo")
