"""The coordinator's stage: accuracy against synthetic truth, refusals, determinism."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from padan.core.errors import VerificationError
from padan.core.types import Status
from padan.demo import COORDINATOR, DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.formats.package import read_package, write_package
from padan.formats.result import read_result
from padan.link.run import link_run
from padan.owner.encode import encode_files
from padan.owner.worklist import read_worklist
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import load_identity


def test_link_and_nik_ganda_accuracy(demo_flow) -> None:
    evaluation = demo_flow.evaluation
    assert evaluation.link.f1 >= 0.98
    assert evaluation.nik_ganda.recall >= 0.90
    assert evaluation.nik_ganda.precision >= 0.95
    assert evaluation.nik_ganda.relevant > 0  # the data set really has NIK-ganda people


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_child_under_mothers_nik_is_flagged_as_someone_elses_nik(demo_flow) -> None:
    truth = {
        (r["source"], r["row"]): r for r in _rows(demo_flow.workdir / "synthetic" / "truth.csv")
    }
    _, worklist = read_worklist(demo_flow.worklists[HEALTH].path)
    babies = [
        w
        for w in worklist
        if "bayi_mother_nik" in truth[(w["padan_source"], w["padan_row"])]["errors"]
    ]
    assert babies, "the synthetic list should contain babies under the mother's NIK"
    assert {w["padan_status"] for w in babies} == {Status.NIK_MILIK_ORANG_LAIN.value}


def _coordinator_inputs(demo_flow):
    folder = demo_flow.folders[COORDINATOR]
    identity = load_identity(folder / f"{COORDINATOR}.key", DEMO_PASSPHRASE)
    return folder, identity, load_trusted_cards(folder / "trust")


def _decrypted(out_dir: Path, demo_flow) -> dict[str, list]:
    rows = {}
    for org in (REGISTRY, HEALTH):
        owner = load_identity(demo_flow.folders[org] / f"{org}.key", DEMO_PASSPHRASE)
        trusted = load_trusted_cards(demo_flow.folders[org] / "trust")
        result, _ = read_result(out_dir / f"{org}.result", owner=owner, trusted=trusted)
        rows[org] = sorted(result.rows, key=lambda r: r.record_id)
    return rows


def test_same_inputs_and_seed_give_identical_results(demo_flow, tmp_path: Path) -> None:
    folder, identity, trusted = _coordinator_inputs(demo_flow)
    packages = [folder / "siak.padan", folder / "ckg.padan"]
    for run in ("a", "b"):
        link_run(packages, coordinator=identity, trusted=trusted, out_dir=tmp_path / run, seed=5)
    assert _decrypted(tmp_path / "a", demo_flow) == _decrypted(tmp_path / "b", demo_flow)
    other_seed = link_run(
        packages, coordinator=identity, trusted=trusted, out_dir=tmp_path / "c", seed=6
    )
    assert other_seed.results
    ids = {r.match_id for r in _decrypted(tmp_path / "c", demo_flow)[HEALTH] if r.match_id}
    assert ids.isdisjoint(
        {r.match_id for r in _decrypted(tmp_path / "a", demo_flow)[HEALTH] if r.match_id}
    )


def test_results_hold_no_scores_and_only_own_records(demo_flow) -> None:
    rows = _decrypted(demo_flow.link.results[0].parent, demo_flow)
    registry_ids = {r.record_id for r in rows[REGISTRY]}
    assert registry_ids.isdisjoint({r.record_id for r in rows[HEALTH]})
    assert all(
        r.confidence is None or r.confidence.value in {"TINGGI", "SEDANG", "RENDAH"}
        for r in rows[HEALTH]
    )


def _link(demo_flow, tmp_path: Path, packages: list[Path], trusted=None):
    _, identity, default_trust = _coordinator_inputs(demo_flow)
    return link_run(
        packages,
        coordinator=identity,
        trusted=trusted or default_trust,
        out_dir=tmp_path / "run",
        seed=1,
    )


def test_refuses_a_tampered_package(demo_flow, tmp_path: Path) -> None:
    folder = demo_flow.folders[COORDINATOR]
    tampered = tmp_path / "ckg.padan"
    data = bytearray((folder / "ckg.padan").read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    with pytest.raises(VerificationError):
        _link(demo_flow, tmp_path, [folder / "siak.padan", tampered])
    assert not (tmp_path / "run").exists() or not list((tmp_path / "run").iterdir())


def test_refuses_an_untrusted_signer(demo_flow, tmp_path: Path) -> None:
    folder, _, trusted = _coordinator_inputs(demo_flow)
    without_health = {fp: c for fp, c in trusted.items() if c.org != HEALTH}
    with pytest.raises(VerificationError, match=HEALTH):
        _link(demo_flow, tmp_path, [folder / "siak.padan", folder / "ckg.padan"], without_health)


def test_refuses_packages_made_with_different_secrets(
    demo_flow, tmp_path: Path, parties, new_parties
) -> None:
    other = new_parties(tmp_path / "other")
    source = demo_flow.folders[HEALTH] / "ckg.csv"
    registry = encode_files(
        [demo_flow.folders[REGISTRY] / "siak.csv"],
        identity=parties.registry,
        secret=parties.secret,
        out=tmp_path / "siak.padan",
        role="registry",
    )
    listed = encode_files(
        [source], identity=parties.health, secret=other.secret, out=tmp_path / "ckg.padan"
    )
    with pytest.raises(VerificationError, match="different linkage secret"):
        link_run(
            [registry.package, listed.package],
            coordinator=parties.coordinator,
            trusted=parties.trusted,
            out_dir=tmp_path / "run",
        )


def test_refuses_a_package_of_another_schema(demo_flow, tmp_path: Path) -> None:
    folder, _, trusted = _coordinator_inputs(demo_flow)
    health = load_identity(demo_flow.folders[HEALTH] / f"{HEALTH}.key", DEMO_PASSPHRASE)
    manifest, members, _ = read_package(folder / "ckg.padan", trusted)
    forged = tmp_path / "ckg.padan"
    write_package(
        forged,
        {
            "role": manifest.role,
            "dataset": manifest.dataset,
            "record_count": manifest.record_count,
            "schema_fingerprint": "0" * 64,
            "key_check": manifest.key_check,
            **manifest.extra,
        },
        members,
        health,
    )
    with pytest.raises(VerificationError, match="different linkage schema"):
        _link(demo_flow, tmp_path, [folder / "siak.padan", forged])


def test_report_is_aggregate_only(demo_flow) -> None:
    report_dir = demo_flow.link.report_json.parent
    text = demo_flow.link.report_json.read_text() + (report_dir / "report.html").read_text()
    registry_csv = (demo_flow.folders[REGISTRY] / "siak.csv").read_text(encoding="utf-8")
    niks = [line.split(",")[0] for line in registry_csv.splitlines()[1:]]
    assert not any(nik in text for nik in niks)
    assert demo_flow.link.report["threshold"]["match_probability"] == pytest.approx(0.5)
