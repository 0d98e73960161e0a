"""Signed packages: any changed byte, untrusted signer or odd member is refused."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from padan import __version__
from padan.cli import app
from padan.core.canonical import canonical_json
from padan.core.errors import InputError, VerificationError
from padan.formats.package import (
    MANIFEST,
    PACKAGE_FORMAT,
    SIGNATURE,
    SIGNATURE_PURPOSE,
    SIGNER_CARD,
    _canonical_zip,
    inspect_package,
    read_package,
    write_package,
)
from padan.trust.identity import new_identity
from padan.trust.sealing import sign_detached

FIELDS = {
    "role": "list",
    "dataset": "ckg-serang",
    "record_count": 3,
    "schema_fingerprint": "ab" * 32,
    "key_check": "cd" * 16,
    "created": "2025-01-01T00:00:00Z",
    "secret_id": "ef" * 16,  # not a manifest field: kept in extra
}
MEMBERS = {"records.parquet": bytes(range(256)) * 4, "notes.txt": b"tanpa data pribadi"}


@pytest.fixture(scope="module")
def trusted(dinkes, dukcapil):
    return {card.fingerprint: card for card in (dinkes.card, dukcapil.card)}


@pytest.fixture
def package(tmp_path, dinkes):
    path = tmp_path / "ckg.padan"
    write_package(path, FIELDS, MEMBERS, dinkes)
    return path


def test_roundtrip(package, dinkes, trusted):
    manifest, members, signer = read_package(package, trusted)
    assert members == MEMBERS
    assert signer == dinkes.card
    assert manifest.format == PACKAGE_FORMAT
    assert manifest.org == "dinkes-serang"
    assert manifest.role == "list"
    assert manifest.record_count == 3
    assert manifest.tool_version == __version__
    assert manifest.created == "2025-01-01T00:00:00Z"
    assert manifest.extra == {"secret_id": "ef" * 16}
    assert set(manifest.members) == set(MEMBERS)


def test_layout_is_stored_and_deterministic(tmp_path, package, dinkes):
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == [MANIFEST, SIGNATURE, SIGNER_CARD, "notes.txt", "records.parquet"]
    assert {info.compress_type for info in infos} == {zipfile.ZIP_STORED}
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    again = tmp_path / "again.padan"
    write_package(again, FIELDS, dict(reversed(MEMBERS.items())), dinkes)
    assert again.read_bytes() == package.read_bytes()


def test_every_single_byte_change_is_detected(tmp_path, package, trusted):
    data = package.read_bytes()
    assert 2_000 < len(data) < 5_000
    damaged_path = tmp_path / "damaged.padan"
    for position in range(len(data)):
        for mask in (0x01, 0xFF):
            damaged = bytearray(data)
            damaged[position] ^= mask
            damaged_path.write_bytes(damaged)
            with pytest.raises(VerificationError):
                read_package(damaged_path, trusted)


@settings(max_examples=30, deadline=None)
@given(cut=st.integers(min_value=0), extra=st.binary(max_size=8))
def test_truncated_or_extended_packages_are_rejected(tmp_path_factory, cut, extra):
    signer = new_identity("dinkes-serang", "owner")
    path = tmp_path_factory.mktemp("pkg") / "p.padan"
    write_package(path, FIELDS, MEMBERS, signer)
    data = path.read_bytes()
    path.write_bytes(data[: cut % len(data)] + extra)
    with pytest.raises(VerificationError):
        read_package(path, {signer.card.fingerprint: signer.card})


def test_untrusted_signer_is_named(package, dinkes, dukcapil):
    impostor = new_identity("dinkes-serang", "owner")  # same name, other key
    for trusted in (
        {dukcapil.card.fingerprint: dukcapil.card},
        {impostor.card.fingerprint: impostor.card},
    ):
        with pytest.raises(VerificationError, match="not in the trusted cards") as err:
            read_package(package, trusted)
        assert "dinkes-serang" in str(err.value)
        assert dinkes.card.short_fingerprint in str(err.value)


def _entries(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path, entries: dict[str, bytes]) -> None:
    path.write_bytes(_canonical_zip(entries))


def test_extra_or_missing_members_are_refused(package, trusted):
    entries = _entries(package)
    _rewrite(package, {**entries, "zz-extra.bin": b"tambahan"})
    with pytest.raises(VerificationError, match="members differ from the manifest"):
        read_package(package, trusted)
    _rewrite(package, {k: v for k, v in entries.items() if k != "notes.txt"})
    with pytest.raises(VerificationError, match="members differ from the manifest"):
        read_package(package, trusted)
    _rewrite(package, {k: v for k, v in entries.items() if k != SIGNATURE})
    with pytest.raises(VerificationError, match=r"missing signature\.sig"):
        read_package(package, trusted)


def test_changed_member_with_updated_hash_fails_the_signature(package, trusted):
    entries = _entries(package)
    manifest = json.loads(entries[MANIFEST])
    entries["notes.txt"] = b"diubah"
    manifest["members"]["notes.txt"] = "00" * 32
    entries[MANIFEST] = canonical_json(manifest)
    _rewrite(package, entries)
    with pytest.raises(VerificationError, match=r"signature by dinkes-serang .* does not match"):
        read_package(package, trusted)


def test_package_signed_by_another_owner_for_this_org_is_refused(package, dukcapil, trusted):
    entries = _entries(package)
    entries[SIGNATURE] = sign_detached(
        entries[MANIFEST], signer=dukcapil, purpose=SIGNATURE_PURPOSE
    )
    entries[SIGNER_CARD] = canonical_json(dukcapil.card.to_dict())
    _rewrite(package, entries)
    with pytest.raises(VerificationError, match="manifest of dinkes-serang signed by disdukcapil"):
        read_package(package, trusted)


def test_unknown_format_version_is_refused(package, dinkes, trusted):
    entries = _entries(package)
    manifest = json.loads(entries[MANIFEST])
    manifest["format"] = "padan-package/2"
    entries[MANIFEST] = canonical_json(manifest)
    entries[SIGNATURE] = sign_detached(entries[MANIFEST], signer=dinkes, purpose=SIGNATURE_PURPOSE)
    _rewrite(package, entries)
    with pytest.raises(VerificationError, match="unknown package format 'padan-package/2'"):
        read_package(package, trusted)


def test_not_a_package(tmp_path, trusted):
    with pytest.raises(InputError, match="not found"):
        read_package(tmp_path / "missing.padan", trusted)
    (tmp_path / "x.padan").write_text("NIK,NAMA\n")
    with pytest.raises(VerificationError, match="not a readable padan package"):
        read_package(tmp_path / "x.padan", trusted)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("records.parquet", b"x")
    (tmp_path / "y.padan").write_bytes(buffer.getvalue())
    with pytest.raises(VerificationError, match="not a padan package"):
        read_package(tmp_path / "y.padan", trusted)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "registri"}, "role must be registry or list"),
        ({"record_count": -1}, "record_count"),
        ({"key_check": "xyz"}, "key_check"),
        ({"schema_fingerprint": "ab"}, "schema_fingerprint"),
        ({"org": "dinkes-lebak"}, "not the signer"),
        ({"tool_version": "0.0.1"}, "tool_version"),
    ],
)
def test_write_refuses_bad_manifest_fields(tmp_path, dinkes, change, message):
    with pytest.raises(ValueError, match=message):
        write_package(tmp_path / "p.padan", {**FIELDS, **change}, MEMBERS, dinkes)
    assert not (tmp_path / "p.padan").exists()


def test_write_refuses_bad_members_and_coordinator(tmp_path, dinkes):
    for name in (MANIFEST, "../x", "a/b", ""):
        with pytest.raises(ValueError, match="invalid member name"):
            write_package(tmp_path / "p.padan", FIELDS, {name: b"x"}, dinkes)
    fields = {k: v for k, v in FIELDS.items() if k != "dataset"}
    with pytest.raises(ValueError, match="missing: dataset"):
        write_package(tmp_path / "p.padan", fields, MEMBERS, dinkes)
    coordinator = new_identity("koordinator", "coordinator")
    with pytest.raises(InputError, match="only owners make packages"):
        write_package(tmp_path / "p.padan", FIELDS, MEMBERS, coordinator)


@settings(max_examples=25, deadline=None)
@given(
    members=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True).filter(
            lambda n: n not in (MANIFEST, SIGNATURE, SIGNER_CARD)
        ),
        st.binary(max_size=300),
        max_size=4,
    ),
    count=st.integers(min_value=0, max_value=10**7),
)
def test_any_members_roundtrip(tmp_path_factory, dinkes, trusted, members, count):
    path = tmp_path_factory.mktemp("pkg") / "p.padan"
    manifest = write_package(path, {**FIELDS, "record_count": count}, members, dinkes)
    assert read_package(path, trusted) == (manifest, members, dinkes.card)


def test_inspect_with_and_without_trust(package, dinkes, trusted):
    unchecked = inspect_package(package)
    assert unchecked["trust"].startswith("NOT checked")
    assert unchecked["signer"] == "dinkes-serang"
    assert unchecked["signer_fingerprint"] == dinkes.card.short_fingerprint
    assert unchecked["members"]["notes.txt"]["bytes"] == len(MEMBERS["notes.txt"])
    assert inspect_package(package, trusted)["trust"] == "signer is in the trust list"
    with pytest.raises(VerificationError, match="not in the trusted cards"):
        inspect_package(package, {})


def test_cli_inspect(tmp_path, package, dinkes, dukcapil):
    runner = CliRunner()
    result = runner.invoke(app, ["inspect", str(package)])
    assert result.exit_code == 0, result.output
    assert "ckg-serang" in result.output
    assert "NOT checked against a trust list" in result.output
    assert dinkes.card.short_fingerprint in result.output

    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "disdukcapil-serang.card.json").write_text(dukcapil.card.to_json())
    refused = runner.invoke(app, ["inspect", str(package), "--trust", str(trust)])
    assert refused.exit_code == 3
    assert "dinkes-serang" in refused.output
    assert "not in the trusted cards" in refused.output

    (trust / "dinkes-serang.card.json").write_text(dinkes.card.to_json())
    as_json = runner.invoke(app, ["inspect", str(package), "--trust", str(trust), "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.output)
    assert report["trust"] == "signer is in the trust list"
    assert report["record_count"] == 3

    data = bytearray(package.read_bytes())
    data[-30] ^= 0x01
    package.write_bytes(bytes(data))
    damaged = runner.invoke(app, ["inspect", str(package)])
    assert damaged.exit_code == 3
    assert "Traceback" not in damaged.output
