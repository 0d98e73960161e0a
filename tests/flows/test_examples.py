"""``examples/run-flow.sh`` runs the whole flow with the command line, end to end."""

from __future__ import annotations

import csv
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from padan.audit import AUDIT_LOG_NAME, verify_audit_log
from padan.owner.worklist import read_worklist

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_run_flow_script(tmp_path: Path) -> None:
    work = tmp_path / "contoh"
    env = {
        **os.environ,
        "PADAN": f"{shlex.quote(sys.executable)} -m padan",
        "PADAN_EXAMPLE_PEOPLE": "150",
    }
    env.pop("PADAN_PASSPHRASE", None)
    done = subprocess.run(
        ["bash", str(EXAMPLES / "run-flow.sh"), str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    registry = work / "disdukcapil-serang" / "daftar-kerja-siak.xlsx"
    health = work / "dinkes-serang" / "daftar-kerja-ckg.xlsx"
    for worklist in (registry, health):
        _, rows = read_worklist(worklist)
        assert rows and all(r["padan_status"] for r in rows)
    corrected = work / "dinkes-serang" / "ckg-terkoreksi.csv"
    with corrected.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == len(read_worklist(health)[1])
    assert (work / "dinkes-serang" / "ckg-perubahan.csv").is_file()
    # Each organisation keeps its own audit log; the coordinator never holds raw input.
    for org in ("disdukcapil-serang", "dinkes-serang", "koordinator"):
        assert verify_audit_log(work / org / AUDIT_LOG_NAME) >= 2
    assert not list((work / "koordinator").glob("*.csv"))


def test_run_flow_refuses_a_used_folder(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    done = subprocess.run(
        ["bash", str(EXAMPLES / "run-flow.sh"), str(tmp_path)],
        env={**os.environ, "PADAN": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "not empty" in done.stderr


def test_samples_are_synthetic_siak_and_ckg_files() -> None:
    for name, nik_column in (("siak-sample.csv", "NIK"), ("ckg-sample.csv", "NIK PASIEN")):
        with (EXAMPLES / name).open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) >= 20
        assert any(r[nik_column].startswith("3673") for r in rows)
