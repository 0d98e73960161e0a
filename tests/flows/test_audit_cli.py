"""CLI commands append one audit line each, with hashes and counts but never input values."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from padan.audit import AUDIT_LOG_NAME, verify_audit_log
from padan.cli import app
from padan.synth import SynthOptions, generate
from padan.trust.identity import create_identity
from padan.trust.secret import create_secret

PASSPHRASE = "audit-test-passphrase"


@pytest.fixture
def owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder (the cwd) with an owner key, its sealed secret and a SIAK file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PADAN_PASSPHRASE", PASSPHRASE)
    made = create_identity("disdukcapil-uji", "owner", tmp_path, PASSPHRASE, scrypt_n=2**12)
    create_secret(made.key_path, PASSPHRASE, [made.card_path], tmp_path / "secret")
    generate(tmp_path / "data", SynthOptions(people=40, seed=3))
    return tmp_path


def _entries(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / AUDIT_LOG_NAME).read_text().splitlines()]


def test_encode_logs_counts_and_hashes_but_no_input_value(owner: Path) -> None:
    siak = owner / "data" / "siak.csv"
    result = CliRunner().invoke(
        app,
        [
            "encode",
            str(siak),
            "--key",
            "disdukcapil-uji.key",
            "--secret",
            "secret/disdukcapil-uji.secret",
            "--role",
            "registry",
            "--out",
            "siak.padan",
        ],
    )
    assert result.exit_code == 0, result.output
    assert verify_audit_log(owner / AUDIT_LOG_NAME) == 1
    (entry,) = _entries(owner)
    with siak.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert entry["command"] == "encode"
    assert entry["org"] == "disdukcapil-uji"
    assert entry["counts"]["rows_read"] == len(rows)
    assert entry["counts"]["encoded"] + entry["counts"]["rejected"] == len(rows)
    assert [Path(o["name"]).name for o in entry["outputs"]] == [
        "siak.padan",
        "siak.keymap.parquet",
        "siak.rejects.csv",
    ]
    assert all(o["sha256"] for o in entry["outputs"])
    text = (owner / AUDIT_LOG_NAME).read_text(encoding="utf-8")
    values = {r[c] for r in rows for c in ("NIK", "NO_KK", "NAMA_LGKP", "NAMA_LGKP_IBU") if r[c]}
    assert values and not [v for v in values if v in text]


def test_inspect_and_keys_new_are_logged(owner: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            app,
            [
                "encode",
                str(owner / "data" / "ckg.csv"),
                "--key",
                "disdukcapil-uji.key",
                "--secret",
                "secret/disdukcapil-uji.secret",
                "--out",
                "ckg.padan",
            ],
        ).exit_code
        == 0
    )
    inspected = runner.invoke(app, ["inspect", "ckg.padan", "--json"])
    assert inspected.exit_code == 0, inspected.output
    made = runner.invoke(
        app, ["keys", "new", "--org", "dinkes-uji", "--role", "owner", "--out", "keys"]
    )
    assert made.exit_code == 0, made.output
    entries = _entries(owner)
    assert [e["command"] for e in entries] == ["encode", "inspect", "keys new"]
    assert entries[1]["counts"]["records"] == entries[0]["counts"]["encoded"]
    assert entries[2]["org"] == "dinkes-uji"
    assert verify_audit_log(owner / AUDIT_LOG_NAME) == 3
