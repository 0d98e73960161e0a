"""`padan demo` runs the whole flow from the command line and reports accuracy."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from padan.audit import AUDIT_LOG_NAME, verify_audit_log
from padan.cli import app


def test_demo_exits_zero_and_reports_accuracy(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--people", "300", "--workdir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "link F1" in result.output
    f1 = float(result.output.split("link F1")[1].split(";")[0])
    assert f1 >= 0.95
    for role in ("disdukcapil-serang", "dinkes-serang", "koordinator"):
        assert (tmp_path / "d" / role).is_dir()
    assert not list((tmp_path / "d" / "koordinator").glob("*.csv"))  # no raw data there
    # The demo goes through the public API, so each organisation's runs are audit-logged
    # in its own folder, as on its own machine.
    expected = {
        "disdukcapil-serang": ["keys new", "secret new", "encode", "reconcile"],
        "dinkes-serang": ["keys new", "encode", "reconcile"],
        "koordinator": ["keys new", "link"],
    }
    for role, commands in expected.items():
        log = tmp_path / "d" / role / AUDIT_LOG_NAME
        assert verify_audit_log(log) == len(commands)
        assert [json.loads(line)["command"] for line in log.read_text().splitlines()] == commands
