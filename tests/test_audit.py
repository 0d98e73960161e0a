"""The audit log: one hash-chained JSON line per run, file hashes and counts, no raw data."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path

import pytest

from padan import __version__
from padan.audit import AUDIT_LOG_NAME, GENESIS, log_run, verify_audit_log
from padan.core.errors import InputError, VerificationError

# Synthetic person: the NIK has a valid shape but belongs to no one.
NIK = "3673015708900001"
KK = "3673010101100002"
NAME = "Siti Contohwati"


def _input(tmp_path: Path) -> Path:
    path = tmp_path / "ckg.csv"
    path.write_text(f"NIK,NO_KK,NAMA\n{NIK},{KK},{NAME}\n", encoding="utf-8")
    return path


def _lines(directory: Path) -> list[dict]:
    text = (directory / AUDIT_LOG_NAME).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_each_run_appends_one_line_with_hashes_and_counts(tmp_path: Path) -> None:
    source = _input(tmp_path)
    output = tmp_path / "out.json"
    output.write_text("{}", encoding="utf-8")

    log_run(
        "check",
        org="dinkes-serang",
        inputs=[source],
        outputs=[output, tmp_path / "never-written.csv"],
        counts={"rows": 1, "rejected": 0},
        directory=tmp_path,
    )
    log_run("evaluate", org=None, inputs=[], outputs=[], counts={}, directory=tmp_path)

    first, second = _lines(tmp_path)
    assert first["command"] == "check" and second["command"] == "evaluate"
    assert first["org"] == "dinkes-serang" and second["org"] is None
    assert first["version"] == __version__
    assert first["time"].endswith("Z")
    assert first["user"] and first["host"]
    assert first["inputs"] == [
        {
            "name": str(source),
            "bytes": source.stat().st_size,
            "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        }
    ]
    assert first["outputs"][1] == {
        "name": str(tmp_path / "never-written.csv"),
        "bytes": None,
        "sha256": None,
    }
    assert first["counts"] == {"rows": 1, "rejected": 0}
    assert first["prev"] == GENESIS


def test_default_directory_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    log_run("synth", org=None, inputs=[], outputs=[], counts={"people": 3})
    assert _lines(tmp_path)[0]["counts"] == {"people": 3}


def test_chain_verifies(tmp_path: Path) -> None:
    for index in range(5):
        log_run(
            "link",
            org="koordinator",
            inputs=[],
            outputs=[],
            counts={"n": index},
            directory=tmp_path,
        )
    assert verify_audit_log(tmp_path / AUDIT_LOG_NAME) == 5
    lines = (tmp_path / AUDIT_LOG_NAME).read_bytes().splitlines()
    assert json.loads(lines[3])["prev"] == hashlib.sha256(lines[2]).hexdigest()


@pytest.mark.parametrize(
    ("tamper", "broken_line"),
    [
        (lambda lines: [lines[0], lines[1].replace(b'"n":1', b'"n":7'), *lines[2:]], 3),
        (lambda lines: [lines[0], *lines[2:]], 2),  # a line deleted
        (lambda lines: lines[1:], 1),  # the first line deleted
        (lambda lines: [*lines[:2], b"not json", *lines[2:]], 3),
    ],
)
def test_edited_or_deleted_line_is_detected(tmp_path: Path, tamper, broken_line: int) -> None:
    for index in range(4):
        log_run("encode", org="x", inputs=[], outputs=[], counts={"n": index}, directory=tmp_path)
    path = tmp_path / AUDIT_LOG_NAME
    path.write_bytes(b"\n".join(tamper(path.read_bytes().splitlines())) + b"\n")
    with pytest.raises(VerificationError, match=f"line {broken_line} "):
        verify_audit_log(path)


def test_empty_and_missing_logs(tmp_path: Path) -> None:
    (tmp_path / AUDIT_LOG_NAME).touch()
    assert verify_audit_log(tmp_path / AUDIT_LOG_NAME) == 0
    with pytest.raises(InputError):
        verify_audit_log(tmp_path / "nope.jsonl")


def test_no_input_value_appears_in_the_log(tmp_path: Path) -> None:
    source = _input(tmp_path)
    log_run(
        "encode",
        org="dinkes-serang",
        inputs=[source],
        outputs=[],
        counts={"rows": 1},
        directory=tmp_path,
    )
    log_text = (tmp_path / AUDIT_LOG_NAME).read_text(encoding="utf-8")
    for value in (NIK, KK, NAME, NIK[:6] + NIK[6:12], "Contohwati"):
        assert value not in log_text


def test_long_lines_chain_across_the_tail_read(tmp_path: Path) -> None:
    # Lines longer than the 64 KiB tail chunk are still found whole.
    many = [tmp_path / f"file-{index:05d}-{'x' * 40}.csv" for index in range(2000)]
    for _ in range(3):
        log_run("check", org=None, inputs=many, outputs=[], counts={}, directory=tmp_path)
    assert verify_audit_log(tmp_path / AUDIT_LOG_NAME) == 3


def _append_many(directory: str) -> None:
    for index in range(20):
        log_run(
            "link", org="p", inputs=[], outputs=[], counts={"n": index}, directory=Path(directory)
        )


def test_concurrent_runs_keep_one_unbroken_chain(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append_many, args=(str(tmp_path),)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert verify_audit_log(tmp_path / AUDIT_LOG_NAME) == 80
