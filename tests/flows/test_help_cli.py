"""`--help` of every command: Indonesian with English, plain flags, whole option names at
80 columns, choices listed; wrong arguments refused before any passphrase prompt."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from padan.cli import app
from padan.core.schema import linkage_schema_names

# Words that only Indonesian help text uses; each help text carries at least one.
INDONESIAN = re.compile(
    r"\b(berkas|folder|kunci|tulis|daftar|peran|nama|jumlah|baris|bagian|tampilkan|rahasia|"
    r"kartu|paket|profil|skema|keluaran|masukan|boleh|untuk|dan|atau|yang|dengan|tanggal|"
    r"kode|hasil|bawaan|pemadanan|instansi|lembar|peluang|bandingkan|orang|dari|oleh|agar|"
    r"tersegel|menjadi)\b",
    re.IGNORECASE,
)
ENV = {"COLUMNS": "80", "TERMINAL_WIDTH": "80", "PADAN_PASSPHRASE": ""}


def _commands() -> list[tuple[list[str], object]]:
    """Every command and group as (argv path, click command), the root included."""
    found = []

    def walk(path: list[str], command: object) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk([*path, name], sub)

    walk([], typer.main.get_command(app))
    return found


COMMANDS = _commands()


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=lambda p: " ".join(p) or "padan")
def test_help_renders_in_80_columns_bilingual_without_bool(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env=ENV)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    assert all(len(line) <= 80 for line in text.splitlines())
    assert not re.search(r"--[\w-]*…", text)  # no option name cut short
    assert INDONESIAN.search(text) and "(" in text  # Indonesian, English in brackets
    flat = re.sub(r"[\s│]+", " ", text)  # help text wrapped in the table, unwrapped
    assert "Tampilkan bantuan ini lalu keluar" in flat


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=lambda c: " ".join(c) if isinstance(c, list) else ""
)
def test_every_option_and_command_explains_itself_in_both_languages(
    path: list[str], command
) -> None:
    texts = {"command": command.help or ""}
    texts.update({p.name: p.help or "" for p in command.params if p.name not in ("help",)})
    for name, text in texts.items():
        assert INDONESIAN.search(text), f"{' '.join(path)} {name}: no Indonesian: {text!r}"
        assert "(" in text, f"{' '.join(path)} {name}: no English in brackets: {text!r}"


def test_choices_are_listed() -> None:
    secret = CliRunner().invoke(app, ["secret", "new", "--help"], env=ENV).output
    for name in linkage_schema_names():  # read from schemas/linkage/, not a fixed list
        assert name in secret.replace("\n", "").replace("│", "").replace(" ", "")
    keys = CliRunner().invoke(app, ["keys", "new", "--help"], env=ENV).output
    assert "owner|coordinator" in keys
    encode = CliRunner().invoke(app, ["encode", "--help"], env=ENV).output
    assert "registry|list" in encode


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "new", "--org", "dinkes-uji", "--role", "ketua", "--out", "k"],
        ["secret", "new", "--key", "k.key", "--to", "c.json", "--out", "s", "--schema", "v9"],
        ["encode", "in.csv", "--key", "k.key", "--secret", "s", "--out", "o.padan", "--role", "x"],
        ["link", "a.padan", "--key", "k.key", "--trust", "t", "--out", "r", "--threshold", "2"],
        [
            "reconcile",
            "r.result",
            "--key",
            "k.key",
            "--keymap",
            "m.parquet",
            "--trust",
            "t",
            "--input",
            "in.csv",
            "--out",
            "worklist.txt",
        ],
    ],
    ids=["keys-role", "secret-schema", "encode-role", "link-threshold", "reconcile-out"],
)
def test_wrong_arguments_are_refused_before_the_passphrase_prompt(argv: list[str]) -> None:
    # No PADAN_PASSPHRASE and no input: a prompt would show "Passphrase" and then abort.
    result = CliRunner().invoke(app, argv, env={**ENV, "PADAN_PASSPHRASE": ""}, input="")
    assert result.exit_code != 0
    assert "Passphrase" not in result.output


def test_an_aborted_passphrase_prompt_is_not_an_internal_error(tmp_path) -> None:
    argv = ["keys", "new", "--org", "dinkes-uji", "--role", "owner", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, argv, env=ENV, input="")
    assert result.exit_code == 1
    assert "internal error" not in result.output
