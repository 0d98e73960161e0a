"""Evaluation against truth: exact numbers on small hand-made cases, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from padan.audit import AUDIT_LOG_NAME, verify_audit_log
from padan.cli import app
from padan.core.errors import InputError
from padan.core.types import Status
from padan.owner.worklist import WorklistRow, write_worklist
from padan.synth.evaluate import NO_ERROR, evaluate

# Registry: A, B, C (C twice: NIK ganda), D (not in the list).
# List: A twice (repeat visit), B, C, and E who is not in the registry.
TRUTH = """dataset,source,row,person_id,errors
registry,siak.csv,2,A,
registry,siak.csv,3,B,
registry,siak.csv,4,C,
registry,siak.csv,5,C,nik_ganda
registry,siak.csv,6,D,
list,ckg.csv,2,A,
list,ckg.csv,3,A,nik_typo
list,ckg.csv,4,B,excel_scientific
list,ckg.csv,5,C,nik_typo;name_variant
list,ckg.csv,6,E,
"""

S = Status
# (row, status, match id, dup group) of a perfect result.
PERFECT_REGISTRY = [
    (2, S.COCOK, "m1", ""),
    (3, S.NIK_BERBEDA, "m2", ""),
    (4, S.GANDA, "m3", "g1"),
    (5, S.GANDA, "m3", "g1"),
    (6, S.TIDAK_DITEMUKAN, "", ""),
]
PERFECT_LIST = [
    (2, S.COCOK, "m1", ""),
    (3, S.NIK_BERBEDA, "m1", ""),
    (4, S.NIK_BERBEDA, "m2", ""),
    (5, S.NIK_BERBEDA, "m3", ""),
    (6, S.TIDAK_DITEMUKAN, "", ""),
]


def _write(path: Path, source: str, spec: list[tuple[int, Status, str, str]]) -> Path:
    rows = [
        WorklistRow([f"nama-{row}"], f"input/{source}", row, status, mid or None, dup or None)
        for row, status, mid, dup in spec
    ]
    write_worklist(path, ["NAMA"], rows)
    return path


def _run(tmp_path: Path, registry=PERFECT_REGISTRY, listed=PERFECT_LIST, suffix=".csv"):
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    return evaluate(
        truth,
        [
            _write(tmp_path / f"siak-worklist{suffix}", "siak.csv", registry),
            _write(tmp_path / f"ckg-worklist{suffix}", "ckg.csv", listed),
        ],
    )


def _replace(spec, row: int, status: Status, mid: str = "", dup: str = ""):
    return [(r, status, mid, dup) if r == row else (r, s, m, d) for r, s, m, d in spec]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_perfect_result_scores_one(tmp_path: Path, suffix: str) -> None:
    result = _run(tmp_path, suffix=suffix)
    for score in (result.link, result.list_duplicates, result.nik_ganda):
        assert (score.precision, score.recall, score.f1) == (1.0, 1.0, 1.0)
    assert (result.link.predicted, result.link.relevant, result.link.correct) == (4, 4, 4)
    assert (result.list_duplicates.predicted, result.list_duplicates.relevant) == (1, 1)
    assert (result.nik_ganda.predicted, result.nik_ganda.relevant) == (1, 1)
    assert [(w.dataset, w.rows, w.unknown) for w in result.worklists] == [
        ("registry", 5, 0),
        ("list", 5, 0),
    ]


def test_one_wrong_link(tmp_path: Path) -> None:
    # B's list row is linked to A's match id.
    result = _run(tmp_path, listed=_replace(PERFECT_LIST, 4, S.NIK_BERBEDA, "m1"))
    assert (result.link.predicted, result.link.relevant, result.link.correct) == (4, 4, 3)
    assert result.link.precision == result.link.recall == 0.75
    # m1 now groups three list rows: 3 predicted pairs, 1 of them right.
    dups = result.list_duplicates
    assert (dups.predicted, dups.relevant, dups.correct) == (3, 1, 1)
    assert dups.precision == pytest.approx(1 / 3) and dups.recall == 1.0
    assert dups.f1 == pytest.approx(0.5)
    list_nik_berbeda = next(
        s for s in result.statuses if s.dataset == "list" and s.status == "NIK_BERBEDA"
    )
    assert (list_nik_berbeda.rows, list_nik_berbeda.linked, list_nik_berbeda.correct) == (3, 3, 2)
    assert list_nik_berbeda.precision == pytest.approx(2 / 3)
    # The registry row of B lost its partner.
    registry_b = next(
        s for s in result.statuses if s.dataset == "registry" and s.status == "NIK_BERBEDA"
    )
    assert (registry_b.rows, registry_b.findable, registry_b.linked) == (1, 1, 0)
    assert registry_b.precision is None


def test_one_missed_link_and_recall_per_kind_of_damage(tmp_path: Path) -> None:
    result = _run(tmp_path, listed=_replace(PERFECT_LIST, 5, S.TIDAK_DITEMUKAN))
    assert (result.link.predicted, result.link.relevant, result.link.correct) == (3, 4, 3)
    assert result.link.precision == 1.0 and result.link.recall == 0.75
    assert result.link.f1 == pytest.approx(6 / 7)
    errors = {e.error: (e.rows, e.findable, e.correct, e.recall) for e in result.errors}
    assert errors == {
        NO_ERROR: (2, 1, 1, 1.0),  # A's first visit, and E who cannot be found
        "excel_scientific": (1, 1, 1, 1.0),
        "name_variant": (1, 1, 0, 0.0),
        "nik_typo": (2, 2, 1, 0.5),
    }
    assert result.errors[0].error == NO_ERROR
    not_found = next(
        s for s in result.statuses if s.dataset == "list" and s.status == "TIDAK_DITEMUKAN"
    )
    # One of the two "not found" rows was findable: a miss the clerk will chase in vain.
    assert (not_found.rows, not_found.findable, not_found.linked) == (2, 1, 0)


def test_dup_groups_wrong_and_missing(tmp_path: Path) -> None:
    too_big = _replace(PERFECT_REGISTRY, 6, S.GANDA, "", "g1")
    result = _run(tmp_path, registry=too_big)
    ganda = result.nik_ganda
    assert (ganda.predicted, ganda.relevant, ganda.correct) == (3, 1, 1)
    assert ganda.f1 == pytest.approx(0.5)

    none_found = _replace(_replace(PERFECT_REGISTRY, 4, S.COCOK, "m3"), 5, S.COCOK, "m3")
    ganda = _run(tmp_path, registry=none_found).nik_ganda
    assert (ganda.predicted, ganda.relevant, ganda.correct) == (0, 1, 0)
    assert (ganda.precision, ganda.recall, ganda.f1) == (None, 0.0, None)


def test_statuses_come_in_order_per_side(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert [(s.dataset, s.status) for s in result.statuses] == [
        ("registry", "COCOK"),
        ("registry", "NIK_BERBEDA"),
        ("registry", "GANDA"),
        ("registry", "TIDAK_DITEMUKAN"),
        ("list", "COCOK"),
        ("list", "NIK_BERBEDA"),
        ("list", "TIDAK_DITEMUKAN"),
    ]
    ganda = result.statuses[2]
    assert (ganda.rows, ganda.findable, ganda.linked, ganda.correct) == (2, 2, 2, 2)


def test_rows_unknown_to_truth_are_counted_not_scored(tmp_path: Path) -> None:
    listed = [*PERFECT_LIST, (99, S.COCOK, "m1", "")]
    result = _run(tmp_path, listed=listed)
    assert result.worklists[1].unknown == 1
    assert result.link.predicted == 4


def test_json_holds_every_number(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    worklists = [
        _write(tmp_path / "r.csv", "siak.csv", PERFECT_REGISTRY),
        _write(tmp_path / "l.csv", "ckg.csv", PERFECT_LIST),
    ]
    result = evaluate(truth, worklists, json_path=tmp_path / "eval.json")
    data = json.loads((tmp_path / "eval.json").read_text(encoding="utf-8"))
    assert data == result.to_dict()
    assert data["link"] == {
        "predicted": 4, "relevant": 4, "correct": 4, "precision": 1.0, "recall": 1.0, "f1": 1.0
    }  # fmt: skip
    assert {"statuses", "errors", "worklists", "nik_ganda", "list_duplicates"} <= set(data)


def test_input_problems_are_reported(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    registry = _write(tmp_path / "r.csv", "siak.csv", PERFECT_REGISTRY)
    listed = _write(tmp_path / "l.csv", "ckg.csv", PERFECT_LIST)
    with pytest.raises(InputError, match="no list worklist row"):
        evaluate(truth, [registry])
    with pytest.raises(InputError, match="give each worklist once"):
        evaluate(truth, [registry, listed, listed])
    plain = tmp_path / "plain.csv"
    plain.write_text("NAMA\nx\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a padan worklist"):
        evaluate(truth, [plain])
    bad_truth = tmp_path / "bad.csv"
    bad_truth.write_text("dataset,source,row\n", encoding="utf-8")
    with pytest.raises(InputError, match="person_id"):
        evaluate(bad_truth, [registry, listed])
    other_run = tmp_path / "other.csv"
    other_run.write_text("dataset,source,row,person_id,errors\nlist,x.csv,2,Z,\n", "utf-8")
    with pytest.raises(InputError, match="same run"):
        evaluate(other_run, [registry, listed])


def test_cli_prints_tables_writes_json_and_logs_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("truth.csv").write_text(TRUTH, encoding="utf-8")
    _write(tmp_path / "r.csv", "siak.csv", PERFECT_REGISTRY)
    _write(tmp_path / "l.csv", "ckg.csv", _replace(PERFECT_LIST, 5, S.TIDAK_DITEMUKAN))
    args = ["evaluate", "--truth", "truth.csv", "--worklist", "r.csv", "--worklist", "l.csv"]
    result = CliRunner().invoke(app, [*args, "--json", "eval.json"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "links" in result.output and "NIK ganda" in result.output
    assert "0.8571" in result.output  # the link F1 with one miss
    assert json.loads(Path("eval.json").read_text(encoding="utf-8"))["link"]["recall"] == 0.75
    assert verify_audit_log(tmp_path / AUDIT_LOG_NAME) == 1
    entry = json.loads((tmp_path / AUDIT_LOG_NAME).read_text(encoding="utf-8"))
    assert entry["command"] == "evaluate"
    assert [i["name"] for i in entry["inputs"]] == ["truth.csv", "r.csv", "l.csv"]
    assert entry["counts"]["correct_links"] == 3


def test_cli_reports_a_missing_truth_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["evaluate", "--truth", "missing.csv", "--worklist", "w.csv"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "truth file not found" in result.output
    assert not (tmp_path / AUDIT_LOG_NAME).exists()
