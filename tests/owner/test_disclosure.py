"""The correction round: ``disclose`` (registry) → ``apply`` (list owner), on a demo flow."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from padan.cli import app
from padan.core.errors import InputError, VerificationError
from padan.demo import COORDINATOR, DEMO_PASSPHRASE, DEMO_SCRYPT_N, HEALTH, REGISTRY, run_demo
from padan.owner.disclosure import (
    CHANGED,
    NEEDS_DECISION,
    apply_disclosure,
    disclose,
    open_disclosure,
    select_people,
)
from padan.owner.worklist import read_worklist
from padan.trust.cards import load_card, load_trusted_cards
from padan.trust.identity import create_identity, load_identity

SIXTEEN_DIGITS = re.compile(r"\d{16}")


class Flow:
    """A finished demo flow plus shortcuts to each owner's files."""

    def __init__(self, workdir: Path):
        self.demo = run_demo(workdir, people=300, seed=1)
        self.root = workdir
        self.reg = self.demo.folders[REGISTRY]
        self.list = self.demo.folders[HEALTH]
        self.registry_worklist = self.demo.worklists[REGISTRY].path
        self.list_worklist = self.demo.worklists[HEALTH].path

    def identity(self, org: str):
        return load_identity(self.demo.folders[org] / f"{org}.key", DEMO_PASSPHRASE)

    def trusted(self, org: str):
        return load_trusted_cards(self.demo.folders[org] / "trust")

    def card(self, org: str):
        return load_card(self.reg / "trust" / f"{org}.card.json")

    def disclose_all(self, out: Path, **kwargs):
        return disclose(
            self.registry_worklist,
            identity=self.identity(REGISTRY),
            recipient=self.card(HEALTH),
            trusted=self.trusted(REGISTRY),
            out=out,
            **kwargs,
        )


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    return Flow(tmp_path_factory.mktemp("flow"))


@pytest.fixture(scope="module")
def applied(flow: Flow, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("applied")
    disclosure = out / "koreksi.sealed"
    disclosed = flow.disclose_all(disclosure)
    summary = apply_disclosure(
        disclosure,
        identity=flow.identity(HEALTH),
        trusted=flow.trusted(HEALTH),
        worklist=flow.list_worklist,
        out=out / "ckg-koreksi.csv",
    )
    return disclosure, disclosed, summary


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _truth(flow: Flow) -> dict[tuple[str, str, str], str]:
    """(dataset, source, row) → person id."""
    rows = _csv(flow.root / "synthetic" / "truth.csv")
    return {(r["dataset"], r["source"], r["row"]): r["person_id"] for r in rows}


def _registry_niks(flow: Flow) -> dict[str, set[str]]:
    """Person id → the NIKs the synthetic registry holds for that person."""
    truth = _truth(flow)
    niks: dict[str, set[str]] = {}
    for row_number, row in enumerate(_csv(flow.root / "synthetic" / "siak.csv"), start=2):
        person = truth[("registry", "siak.csv", str(row_number))]
        niks.setdefault(person, set()).add(row["NIK"])
    return niks


def test_apply_writes_registry_nik_on_nik_berbeda_rows(flow: Flow, applied) -> None:
    _, disclosed, summary = applied
    _, worklist = read_worklist(flow.list_worklist)
    corrected = _csv(summary.corrected)
    assert len(corrected) == len(worklist) == summary.rows
    truth, registry_niks = _truth(flow), _registry_niks(flow)
    checked = right = 0
    for before, after in zip(worklist, corrected, strict=True):
        if before["padan_status"] != "NIK_BERBEDA" or before["padan_dup_group"]:
            continue
        checked += 1
        assert after["NIK PASIEN"] != before["NIK PASIEN"]
        person = truth[("list", before["padan_source"], before["padan_row"])]
        right += after["NIK PASIEN"] in registry_niks.get(person, set())
    assert checked == summary.nik_changed > 0
    assert right / checked >= 0.9  # only a wrong link can give another person's NIK
    assert disclosed.match_ids == summary.disclosed > 0
    assert summary.unknown_match_ids == 0


def test_apply_keeps_original_columns_and_leaves_other_statuses(flow: Flow, applied) -> None:
    _, _, summary = applied
    _, worklist = read_worklist(flow.list_worklist)
    with (flow.list / "ckg.csv").open(encoding="utf-8-sig", newline="") as handle:
        original_header = next(csv.reader(handle))
    corrected = _csv(summary.corrected)
    assert list(corrected[0]) == original_header
    untouched = {"COCOK", "NIK_MILIK_ORANG_LAIN", "RAGU", "TIDAK_DITEMUKAN", "DITOLAK"}
    for before, after in zip(worklist, corrected, strict=True):
        if before["padan_status"] in untouched or before["padan_dup_group"]:
            assert after == {h: before[h] for h in original_header}


def test_kk_berbeda_rows_get_the_registry_kk(flow: Flow, applied) -> None:
    _, _, summary = applied
    _, worklist = read_worklist(flow.list_worklist)
    kk_rows = [
        (b, a)
        for b, a in zip(worklist, _csv(summary.corrected), strict=True)
        if b["padan_status"] == "KK_BERBEDA" and not b["padan_dup_group"]
    ]
    assert kk_rows
    for before, after in kk_rows:
        assert after["NIK PASIEN"] == before["NIK PASIEN"]  # the NIK already agreed
        assert after["NO KK"] != before["NO KK"]


def test_change_log_is_masked(flow: Flow, applied) -> None:
    _, _, summary = applied
    text = summary.log.read_text(encoding="utf-8-sig")
    assert not SIXTEEN_DIGITS.search(text)
    raw = {r["NIK"] for r in _csv(flow.reg / "siak.csv")} | {
        r["NIK PASIEN"] for r in _csv(flow.list / "ckg.csv") if len(r["NIK PASIEN"]) > 8
    }
    assert not [nik for nik in raw if nik in text]
    log = _csv(summary.log)
    changed = [r for r in log if r["action"] == CHANGED]
    assert len(changed) == summary.nik_changed + summary.kk_changed
    assert all("*" in r["new"] for r in changed)


def test_ganda_groups_are_listed_not_applied(flow: Flow, applied) -> None:
    _, _, summary = applied
    _, worklist = read_worklist(flow.list_worklist)
    ganda = [
        r
        for r in worklist
        if r["padan_dup_group"] and r["padan_status"] in ("NIK_BERBEDA", "KK_BERBEDA")
    ]
    decisions = [r for r in _csv(summary.log) if r["action"] == NEEDS_DECISION]
    assert len(decisions) == len(ganda) == summary.needs_decision
    assert {(r["source"], r["row"]) for r in decisions} == {
        (r["padan_source"], r["padan_row"]) for r in ganda
    }
    assert all(" / " in r["new"] for r in decisions)  # every NIK of the group, masked


def test_disclosure_carries_only_nik_and_kk(flow: Flow, applied) -> None:
    disclosure, disclosed, _ = applied
    people, sender = open_disclosure(
        disclosure, identity=flow.identity(HEALTH), trusted=flow.trusted(HEALTH)
    )
    assert sender.org == REGISTRY
    assert all(set(r) == {"nik", "kk"} for p in people.values() for r in p.records)
    _, registry_rows = read_worklist(flow.registry_worklist)
    matched = {r["padan_match_id"] for r in registry_rows if r["padan_match_id"]}
    assert set(people) == matched
    assert sum(p.ganda for p in people.values()) == disclosed.ganda > 0


def test_disclose_refuses_foreign_and_unmatched_ids(flow: Flow, tmp_path: Path) -> None:
    out = tmp_path / "x.sealed"
    with pytest.raises(InputError, match="not on your worklist"):
        flow.disclose_all(out, match_ids=["M0000000000"])
    # An unmatched NIK-ganda group has an id (its dup group) but no match id.
    _, registry_rows = read_worklist(flow.registry_worklist)
    matched_groups = {r["padan_dup_group"] for r in registry_rows if r["padan_match_id"]}
    unmatched = sorted(
        r["padan_dup_group"]
        for r in registry_rows
        if r["padan_dup_group"] and r["padan_dup_group"] not in matched_groups
    )
    assert unmatched
    with pytest.raises(InputError, match="unmatched"):
        flow.disclose_all(out, match_ids=[unmatched[0]])
    with pytest.raises(InputError, match="no match id"):
        flow.disclose_all(out, match_ids=[])
    assert not out.exists()


def test_disclose_refuses_coordinator_and_untrusted_cards(flow: Flow, tmp_path: Path) -> None:
    out = tmp_path / "x.sealed"
    with pytest.raises(InputError, match="coordinator"):
        disclose(
            flow.registry_worklist,
            identity=flow.identity(REGISTRY),
            recipient=flow.card(COORDINATOR),
            trusted=flow.trusted(REGISTRY),
            out=out,
        )
    stranger = create_identity(
        "dinkes-lebak", "owner", tmp_path, DEMO_PASSPHRASE, scrypt_n=DEMO_SCRYPT_N
    )
    with pytest.raises(VerificationError, match="not in the trusted cards"):
        disclose(
            flow.registry_worklist,
            identity=flow.identity(REGISTRY),
            recipient=stranger.card,
            trusted=flow.trusted(REGISTRY),
            out=out,
        )
    assert not out.exists()


def test_apply_refuses_a_disclosure_for_another_org(flow: Flow, tmp_path: Path) -> None:
    other = create_identity(
        "dinkes-lebak", "owner", tmp_path, DEMO_PASSPHRASE, scrypt_n=DEMO_SCRYPT_N
    )
    trust = tmp_path / "trust"
    shutil.copytree(flow.reg / "trust", trust)
    shutil.copy(other.card_path, trust)
    disclosure = tmp_path / "lebak.sealed"
    disclose(
        flow.registry_worklist,
        identity=flow.identity(REGISTRY),
        recipient=other.card,
        trusted=load_trusted_cards(trust),
        out=disclosure,
        match_ids=None,
    )
    out = tmp_path / "c.csv"
    with pytest.raises(VerificationError, match="sealed to dinkes-lebak"):
        apply_disclosure(
            disclosure,
            identity=flow.identity(HEALTH),
            trusted=flow.trusted(HEALTH),
            worklist=flow.list_worklist,
            out=out,
        )
    assert not out.exists()


def test_apply_refuses_a_tampered_disclosure(flow: Flow, applied, tmp_path: Path) -> None:
    disclosure, _, _ = applied
    blob = bytearray(disclosure.read_bytes())
    blob[-100] ^= 1
    tampered = tmp_path / "tampered.sealed"
    tampered.write_bytes(bytes(blob))
    with pytest.raises(VerificationError):
        apply_disclosure(
            tampered,
            identity=flow.identity(HEALTH),
            trusted=flow.trusted(HEALTH),
            worklist=flow.list_worklist,
            out=tmp_path / "c.csv",
        )
    assert not (tmp_path / "c.csv").exists()


def test_apply_counts_ids_missing_from_the_worklist(flow: Flow, applied, tmp_path: Path) -> None:
    disclosure, _, _ = applied
    header, rows = read_worklist(flow.list_worklist)
    kept = [r for r in rows if r["padan_status"] != "COCOK"]
    dropped_ids = {r["padan_match_id"] for r in rows if r["padan_match_id"]} - {
        r["padan_match_id"] for r in kept
    }
    shorter = tmp_path / "shorter.csv"
    with shorter.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(kept)
    summary = apply_disclosure(
        disclosure,
        identity=flow.identity(HEALTH),
        trusted=flow.trusted(HEALTH),
        worklist=shorter,
        out=tmp_path / "c.csv",
    )
    assert summary.unknown_match_ids == len(dropped_ids) > 0
    assert summary.rows == len(kept)


def test_cli_needs_exactly_one_row_selection(tmp_path: Path) -> None:
    args = [
        "disclose",
        "--key",
        "k",
        "--worklist",
        "w.csv",
        "--to",
        "c",
        "--trust",
        "t",
        "--out",
        str(tmp_path / "x.sealed"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "--all-matched" in result.output
    both = CliRunner().invoke(app, [*args, "--all-matched", "--match-id", "M1"])
    assert both.exit_code == 1


def test_cli_disclose_and_apply(flow: Flow, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PADAN_PASSPHRASE", DEMO_PASSPHRASE)
    _, rows = read_worklist(flow.registry_worklist)
    ids = tmp_path / "ids.txt"
    ids.write_text(
        "# asked by Dinkes\n"
        + "\n".join(sorted({r["padan_match_id"] for r in rows if r["padan_match_id"]})[:5])
        + "\n",
        encoding="utf-8",
    )
    disclosed = CliRunner().invoke(
        app,
        [
            "disclose",
            "--key",
            str(flow.reg / f"{REGISTRY}.key"),
            "--worklist",
            str(flow.registry_worklist),
            "--to",
            str(flow.reg / "trust" / f"{HEALTH}.card.json"),
            "--trust",
            str(flow.reg / "trust"),
            "--match-ids",
            str(ids),
            "--out",
            "k.sealed",
        ],
    )
    assert disclosed.exit_code == 0, disclosed.output
    assert "5 match id(s)" in disclosed.output
    applied = CliRunner().invoke(
        app,
        [
            "apply",
            "k.sealed",
            "--key",
            str(flow.list / f"{HEALTH}.key"),
            "--trust",
            str(flow.list / "trust"),
            "--worklist",
            str(flow.list_worklist),
            "--out",
            "fixed.csv",
            "--log",
            "changes.csv",
        ],
    )
    assert applied.exit_code == 0, applied.output
    assert (tmp_path / "fixed.csv").is_file() and (tmp_path / "changes.csv").is_file()
    log = (tmp_path / "padan-audit.jsonl").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in log.splitlines()]
    assert [e["command"] for e in entries] == ["disclose", "apply"]
    assert entries[0]["counts"]["match_ids"] == 5
    assert entries[1]["org"] == HEALTH


_ROW = st.fixed_dictionaries(
    {
        "padan_match_id": st.sampled_from(["", "M1", "M2", "M3"]),
        "padan_dup_group": st.sampled_from(["", "G1"]),
        "NIK": st.sampled_from(["3673010101900001", "3673010101900002"]),
        "NO_KK": st.just("3673010101200001"),
    }
)


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(_ROW, max_size=12))
def test_select_people_groups_matched_rows(rows: list[dict[str, str]]) -> None:
    people = select_people(rows, {"nik": "NIK", "kk": "NO_KK"}, None)
    matched = [r for r in rows if r["padan_match_id"]]
    assert [p.match_id for p in people] == list(dict.fromkeys(r["padan_match_id"] for r in matched))
    for person in people:
        mine = [r for r in matched if r["padan_match_id"] == person.match_id]
        niks = {r["NIK"] for r in mine}
        assert {r["nik"] for r in person.records} == niks
        assert person.ganda == (len(niks) > 1 or any(r["padan_dup_group"] for r in mine))
