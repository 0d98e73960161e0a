"""`padan demo`: keeps its files where it says, and `--seed` repeats the whole run."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from padan.cli import app
from padan.owner.worklist import read_worklist


def _demo(*args: str) -> str:
    result = CliRunner().invoke(app, ["demo", "--people", "300", "--seed", "7", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_same_seed_same_run_and_the_folder_is_kept(tmp_path: Path) -> None:
    first_output = _demo()  # default folder: ./padan-demo (the test runs in tmp_path)
    first = tmp_path / "padan-demo"
    assert first.is_dir()
    assert str(first.resolve()) in first_output.replace("\n", "")  # said plainly where
    second = tmp_path / "again"
    _demo("--workdir", str(second))

    def outcome(folder: Path) -> tuple[dict, dict]:
        evaluation = json.loads((folder / "evaluation.json").read_text(encoding="utf-8"))
        # padan_fingerprint is keyed by each owner's private key, new in every demo: left out.
        worklists = {
            org: [
                {k: v for k, v in row.items() if k != "padan_fingerprint"}
                for row in read_worklist(next((folder / org).glob("worklist-*.xlsx")))[1]
            ]
            for org in ("disdukcapil-serang", "dinkes-serang")
        }
        return evaluation, worklists

    assert outcome(first) == outcome(second)  # same F1, statuses and match ids
    report = [json.loads((f / "koordinator/run/report.json").read_text()) for f in (first, second)]
    assert report[0]["linkage"] == report[1]["linkage"]  # same model and scores


def test_a_folder_that_is_not_a_demo_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "data.csv").write_text("keep me\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--workdir", str(folder)])
    assert result.exit_code != 0
    assert "not a padan demo folder" in result.output
    assert (folder / "data.csv").read_text(encoding="utf-8") == "keep me\n"
