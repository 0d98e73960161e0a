"""Every failure a message: each command, driven into read-only and missing folders, empty
and header-only inputs and missing columns, exits with its code and one line, never a
traceback (that needs --debug)."""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from padan.cli import app
from padan.core.schema import load_linkage_schema
from padan.demo import COORDINATOR, DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.formats.package import read_package, write_package
from padan.formats.records import from_parquet, to_parquet
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import load_identity

runner = CliRunner()


@dataclass
class Files:
    """The demo's files, plus broken inputs and an output folder nobody may write."""

    health: Path
    registry: Path
    coordinator: Path
    work: Path
    read_only: Path
    worklists: dict[str, Path]

    def key(self, org: str) -> Path:
        folder = {HEALTH: self.health, REGISTRY: self.registry, COORDINATOR: self.coordinator}
        return folder[org] / f"{org}.key"

    @property
    def secret(self) -> Path:
        return self.health / f"{HEALTH}.secret"

    @property
    def packages(self) -> list[str]:
        return [str(self.coordinator / "siak.padan"), str(self.coordinator / "ckg.padan")]

    def encode(self, source: Path | str, out: Path | None = None) -> list[str]:
        out = out or self.work / "ckg.padan"
        return [
            "encode",
            str(source),
            "--key",
            str(self.key(HEALTH)),
            "--secret",
            str(self.secret),
            "--out",
            str(out),
        ]

    def link(self, *packages: str, out: Path | None = None, trust: Path | None = None) -> list:
        trust = trust or self.coordinator / "trust"
        return [
            "link",
            *(packages or self.packages),
            "--key",
            str(self.key(COORDINATOR)),
            "--trust",
            str(trust),
            "--out",
            str(out or self.work / "run"),
        ]

    def reconcile(self, out: Path, keymap: Path | None = None) -> list[str]:
        keymap = keymap or self.health / "out" / "ckg.keymap.parquet"
        return [
            "reconcile",
            str(self.health / f"{HEALTH}.result"),
            "--key",
            str(self.key(HEALTH)),
            "--keymap",
            str(keymap),
            "--trust",
            str(self.health / "trust"),
            "--input",
            str(self.health / "ckg.csv"),
            "--out",
            str(out),
        ]


def _read_only_folder(tmp_path: Path) -> Path:
    """A folder this process cannot write to (root ignores file modes: use sysfs then)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    try:
        tempfile.TemporaryFile(dir="/sys").close()
    except OSError:
        return Path("/sys")
    pytest.skip("no folder is read-only for this user")


def _without_column(source: Path, target: Path, column: str) -> Path:
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name != column]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([[row[i] for i in keep] for row in rows[:20]])
    return target


def _empty_package(files: Files) -> Path:
    """A validly signed package with no records (what an older padan made from a header)."""
    source = files.coordinator / "ckg.padan"
    manifest, members, _ = read_package(source, load_trusted_cards(files.coordinator / "trust"))
    schema = load_linkage_schema(str(manifest.extra["schema"]))
    table = from_parquet(
        members["records.parquet"],
        schema.clk_bytes,
        len(schema.scoped_tokens) * schema.scoped_token_bytes,
    )
    empty = files.work / "empty.padan"
    write_package(
        empty,
        {
            "role": manifest.role,
            "dataset": "empty",
            "record_count": 0,
            "schema_fingerprint": manifest.schema_fingerprint,
            "key_check": manifest.key_check,
            **manifest.extra,
        },
        {"records.parquet": to_parquet(table.take(np.array([], dtype=np.int64)))},
        load_identity(files.key(HEALTH), DEMO_PASSPHRASE),
    )
    return empty


@pytest.fixture
def files(demo_flow, tmp_path: Path) -> Files:
    work = tmp_path / "work"
    work.mkdir()
    made = Files(
        demo_flow.folders[HEALTH],
        demo_flow.folders[REGISTRY],
        demo_flow.folders[COORDINATOR],
        work,
        _read_only_folder(tmp_path),
        {org: w.path for org, w in demo_flow.worklists.items()},
    )
    ckg = made.health / "ckg.csv"
    (work / "empty.csv").write_text("")
    (work / "header.csv").write_text(ckg.read_text(encoding="utf-8-sig").splitlines()[0] + "\n")
    _without_column(ckg, work / "no-nik.csv", "NIK PASIEN")
    _without_column(ckg, work / "no-birth-date.csv", "TGL LAHIR")
    return made


Case = Callable[[Files], list]
MISSING = "/nonexistent-folder/nothing"
CASES: dict[str, tuple[Case, int, str]] = {
    "check-missing-file": (lambda f: ["check", MISSING + ".csv"], 1, "file not found"),
    "check-empty": (lambda f: ["check", str(f.work / "empty.csv")], 1, "is empty"),
    "check-no-nik": (lambda f: ["check", str(f.work / "no-nik.csv")], 1, "--allow-missing nik"),
    "check-no-birth-date": (
        lambda f: ["check", str(f.work / "no-birth-date.csv")],
        1,
        "--allow-missing birth_date",
    ),
    "check-json-read-only": (
        lambda f: ["check", str(f.health / "ckg.csv"), "--json", str(f.read_only / "r.json")],
        1,
        "cannot write",
    ),
    "synth-read-only": (
        lambda f: ["synth", "--out", str(f.read_only / "s"), "--people", "20"],
        1,
        "cannot",
    ),
    "keys-new-read-only": (
        lambda f: ["keys", "new", "--org", "uji", "--role", "owner", "--out", str(f.read_only)],
        1,
        "cannot write",
    ),
    "keys-show-missing": (lambda f: ["keys", "show", MISSING + ".card.json"], 1, "not found"),
    "secret-new-read-only": (
        lambda f: [
            "secret",
            "new",
            "--key",
            str(f.key(REGISTRY)),
            "--to",
            str(f.registry / f"{REGISTRY}.card.json"),
            "--out",
            str(f.read_only),
        ],
        1,
        "cannot write",
    ),
    "secret-show-missing": (lambda f: ["secret", "show", MISSING + ".secret"], 1, "not found"),
    "encode-read-only": (
        lambda f: f.encode(f.health / "ckg.csv", f.read_only / "ckg.padan"),
        1,
        "cannot write",
    ),
    "encode-missing-folder": (lambda f: f.encode(MISSING + ".csv"), 1, "not found"),
    "encode-empty": (lambda f: f.encode(f.work / "empty.csv"), 1, "is empty"),
    "encode-header-only": (lambda f: f.encode(f.work / "header.csv"), 1, "no data rows"),
    "encode-no-nik": (lambda f: f.encode(f.work / "no-nik.csv"), 1, "--allow-missing nik"),
    "encode-no-birth-date": (
        lambda f: f.encode(f.work / "no-birth-date.csv"),
        1,
        "--allow-missing birth_date",
    ),
    "inspect-missing": (lambda f: ["inspect", MISSING + ".padan"], 1, "not found"),
    "link-read-only": (lambda f: f.link(out=f.read_only / "run"), 1, "cannot create folder"),
    "link-used-folder": (lambda f: f.link(out=f.coordinator / "run"), 1, "--force"),
    "link-empty-package": (
        lambda f: f.link(f.packages[0], str(_empty_package(f))),
        1,
        "holds no records",
    ),
    "link-missing-trust": (lambda f: f.link(trust=Path(MISSING)), 1, "not"),
    "reconcile-read-only": (
        lambda f: f.reconcile(f.read_only / "worklist.xlsx"),
        1,
        "cannot write",
    ),
    "reconcile-missing-keymap": (
        lambda f: f.reconcile(f.work / "w.csv", Path(MISSING + ".keymap.parquet")),
        1,
        "keymap not found",
    ),
    "evaluate-missing": (
        lambda f: ["evaluate", "--truth", MISSING + ".csv", "--worklist", MISSING + ".csv"],
        1,
        "not found",
    ),
    "disclose-read-only": (
        lambda f: [
            "disclose",
            "--key",
            str(f.key(REGISTRY)),
            "--worklist",
            str(f.worklists[REGISTRY]),
            "--to",
            str(f.registry / "trust" / f"{HEALTH}.card.json"),
            "--trust",
            str(f.registry / "trust"),
            "--out",
            str(f.read_only / "k.sealed"),
            "--all-matched",
        ],
        1,
        "cannot write",
    ),
    "apply-missing-disclosure": (
        lambda f: [
            "apply",
            MISSING + ".sealed",
            "--key",
            str(f.key(HEALTH)),
            "--trust",
            str(f.health / "trust"),
            "--worklist",
            str(f.worklists[HEALTH]),
            "--out",
            str(f.work / "koreksi.csv"),
        ],
        1,
        "not found",
    ),
    "demo-read-only": (
        lambda f: ["demo", "--people", "20", "--workdir", str(f.read_only / "d")],
        1,
        "cannot",
    ),
}


@pytest.mark.parametrize(("make", "code", "says"), CASES.values(), ids=CASES.keys())
def test_every_failure_is_one_line_with_its_exit_code(
    files: Files, make: Case, code: int, says: str
) -> None:
    result = runner.invoke(app, make(files), env={"PADAN_PASSPHRASE": DEMO_PASSPHRASE})
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert len(errors) == 1 and says in errors[0], result.stderr


def test_debug_shows_the_traceback(files: Files) -> None:
    result = runner.invoke(
        app,
        ["--debug", *files.encode(files.work / "header.csv")],
        env={"PADAN_PASSPHRASE": DEMO_PASSPHRASE},
    )
    assert result.exit_code != 0 and result.exception is not None
    assert not isinstance(result.exception, SystemExit)


def test_allowed_missing_columns_say_what_is_lost(files: Files) -> None:
    env = {"PADAN_PASSPHRASE": DEMO_PASSPHRASE}
    no_nik = [*files.encode(files.work / "no-nik.csv"), "--allow-missing", "nik"]
    result = runner.invoke(app, no_nik, env=env)
    assert result.exit_code == 0, result.output
    assert "NIK_MILIK_ORANG_LAIN" in result.stderr and "Peringatan" in result.stderr
    result = runner.invoke(app, ["check", str(files.work / "header.csv")])
    assert result.exit_code == 0 and "no data rows" in result.stderr


def test_link_overwrites_a_used_folder_only_with_force(files: Files) -> None:
    env = {"PADAN_PASSPHRASE": DEMO_PASSPHRASE}
    first = runner.invoke(app, files.link(out=files.work / "run"), env=env)
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, files.link(out=files.work / "run"), env=env)
    assert again.exit_code == 1 and "--force" in again.stderr
    forced = runner.invoke(app, [*files.link(out=files.work / "run"), "--force"], env=env)
    assert forced.exit_code == 0, forced.output
