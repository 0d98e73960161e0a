"""Reconcile: one worklist row per input row, only with the owner's own key and keymap."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from padan.core.errors import InputError, VerificationError
from padan.core.types import Status
from padan.demo import DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.owner.reconcile import reconcile_run
from padan.owner.worklist import read_worklist
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import load_identity


def _input_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def test_every_input_row_appears_once_with_its_columns(demo_flow) -> None:
    for org, source in ((REGISTRY, "siak.csv"), (HEALTH, "ckg.csv")):
        source_path = demo_flow.folders[org] / source
        header, rows = read_worklist(demo_flow.worklists[org].path)
        assert len(rows) == _input_rows(source_path) == demo_flow.worklists[org].rows
        with source_path.open(encoding="utf-8-sig", newline="") as handle:
            original = next(csv.reader(handle))
        assert header[: len(original)] == original  # original columns first, in order
        assert {r["padan_status"] for r in rows} <= {s.value for s in Status}


def test_rejected_rows_are_listed_with_their_reason(demo_flow) -> None:
    summary = demo_flow.encoded[HEALTH]
    _, rows = read_worklist(demo_flow.worklists[HEALTH].path)
    rejected = [r for r in rows if r["padan_status"] == Status.DITOLAK.value]
    assert len(rejected) == summary.rejected
    assert all(r["padan_keterangan"] for r in rejected)


def _run(demo_flow, org: str, keymap_of: str, tmp_path: Path):
    folder = demo_flow.folders[org]
    return reconcile_run(
        folder / f"{org}.result",
        identity=load_identity(folder / f"{org}.key", DEMO_PASSPHRASE),
        keymap=demo_flow.encoded[keymap_of].keymap,
        trusted=load_trusted_cards(folder / "trust"),
        inputs=[folder / ("siak.csv" if org == REGISTRY else "ckg.csv")],
        out=tmp_path / "worklist.csv",
    )


def test_another_owners_keymap_is_refused(demo_flow, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        _run(demo_flow, HEALTH, REGISTRY, tmp_path)
    assert not (tmp_path / "worklist.csv").exists()


def test_another_owners_result_cannot_be_opened(demo_flow, tmp_path: Path) -> None:
    folder = demo_flow.folders[HEALTH]
    with pytest.raises(VerificationError):
        reconcile_run(
            demo_flow.folders[REGISTRY] / f"{REGISTRY}.result",
            identity=load_identity(folder / f"{HEALTH}.key", DEMO_PASSPHRASE),
            keymap=demo_flow.encoded[HEALTH].keymap,
            trusted=load_trusted_cards(folder / "trust"),
            inputs=[folder / "ckg.csv"],
            out=tmp_path / "worklist.csv",
        )
