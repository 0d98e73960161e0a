"""The linkage secret: sealed to owners only, same derived keys at every owner."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from typer.testing import CliRunner

from padan.cli import app
from padan.core.canonical import canonical_json
from padan.core.errors import InputError, VerificationError
from padan.core.schema import schema_fingerprint
from padan.trust.cards import load_card
from padan.trust.identity import save_identity
from padan.trust.sealing import seal
from padan.trust.secret import (
    SECRET_PURPOSE,
    LinkageSecret,
    derive_key,
    describe_secret,
    key_check_value,
    load_secret,
    new_secret,
)

SCHEMA = "ab" * 32
PASSPHRASE = "kata-sandi-uji-1"


@pytest.fixture
def secret_files(tmp_path, dukcapil, dinkes):
    return new_secret(dukcapil, [dukcapil.card, dinkes.card], SCHEMA, tmp_path)


def test_one_private_file_per_recipient(tmp_path, secret_files):
    assert secret_files == [
        tmp_path / "disdukcapil-serang.secret",
        tmp_path / "dinkes-serang.secret",
    ]
    for path in secret_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_both_owners_get_the_same_secret_and_keys(secret_files, dukcapil, dinkes):
    at_dukcapil = load_secret(secret_files[0], dukcapil)
    at_dinkes = load_secret(secret_files[1], dinkes)
    assert at_dukcapil == at_dinkes
    assert at_dinkes.maker == "disdukcapil-serang"
    assert at_dinkes.recipients == ("disdukcapil-serang", "dinkes-serang")
    assert at_dinkes.schema_fingerprint == SCHEMA
    assert len(at_dinkes.secret) == 32
    for label in ("clk/name", "token/nik", "token/kk", "block/dob"):
        assert derive_key(at_dukcapil, label) == derive_key(at_dinkes, label)
    assert key_check_value(at_dukcapil) == key_check_value(at_dinkes)


def test_a_new_secret_gives_different_keys(tmp_path, secret_files, dukcapil):
    first = load_secret(secret_files[0], dukcapil)
    second = load_secret(new_secret(dukcapil, [dukcapil.card], SCHEMA, tmp_path / "2")[0], dukcapil)
    assert first.secret != second.secret
    assert first.secret_id != second.secret_id
    assert derive_key(first, "token/nik") != derive_key(second, "token/nik")
    assert key_check_value(first) != key_check_value(second)


def test_labels_give_independent_keys_of_the_asked_length(secret_files, dukcapil):
    secret = load_secret(secret_files[0], dukcapil)
    labels = ["clk/name", "clk/dob", "token/nik", "token/kk", "block/dob", "block/name"]
    keys = {derive_key(secret, label) for label in labels}
    assert len(keys) == len(labels)
    assert len(derive_key(secret, "clk/name", 64)) == 64
    assert derive_key(secret, "clk/name", 64)[:32] != derive_key(secret, "clk/nam", 64)[:32]
    with pytest.raises(ValueError, match="reserved"):
        derive_key(secret, "key-check")
    with pytest.raises(ValueError, match="invalid key label"):
        derive_key(secret, "")


def test_derivation_is_pinned():
    # Changing the derivation would silently break linkage between padan versions.
    secret = LinkageSecret(
        "0123456789abcdef0123456789abcdef", bytes(range(32)), SCHEMA, "dinkes-serang", ()
    )
    assert derive_key(secret, "token/nik").hex() == (
        "c1ac6aec400b73b6dd517a1dcbc405b0531aba9beda7380519c49d492270d704"
    )
    assert key_check_value(secret) == "cd1e75828cf538b9b9cf57771fe74cd8"


def test_coordinator_is_refused_as_recipient_or_maker(tmp_path, dukcapil, dinkes, coordinator):
    with pytest.raises(InputError, match="coordinator must never hold the linkage secret"):
        new_secret(dukcapil, [dinkes.card, coordinator.card], SCHEMA, tmp_path)
    with pytest.raises(InputError, match="only a data owner may make the secret"):
        new_secret(coordinator, [dinkes.card], SCHEMA, tmp_path)
    assert not list(tmp_path.iterdir())


def test_duplicate_or_missing_recipients_are_refused(tmp_path, dukcapil, dinkes):
    with pytest.raises(InputError, match="more than once: dinkes-serang"):
        new_secret(dukcapil, [dinkes.card, dukcapil.card, dinkes.card], SCHEMA, tmp_path)
    with pytest.raises(InputError, match="no recipients"):
        new_secret(dukcapil, [], SCHEMA, tmp_path)


def test_coordinator_cannot_open_a_secret(secret_files, coordinator):
    for path in secret_files:
        with pytest.raises(VerificationError, match=r"sealed to .*, not to koordinator"):
            load_secret(path, coordinator)


def test_owner_cannot_open_the_other_owners_copy(secret_files, dinkes):
    with pytest.raises(VerificationError, match="this file is sealed to disdukcapil-serang"):
        load_secret(secret_files[0], dinkes)


def test_describe_shows_facts_but_never_the_secret(secret_files, dukcapil, dinkes):
    secret = load_secret(secret_files[1], dinkes)
    described = describe_secret(secret_files[1])
    assert described["secret_id"] == secret.secret_id
    assert described["maker"] == "disdukcapil-serang"
    assert described["maker_fingerprint"] == dukcapil.card.short_fingerprint
    assert described["schema_fingerprint"] == SCHEMA
    assert described["recipients"] == ["disdukcapil-serang", "dinkes-serang"]
    assert described["sealed_to"] == "dinkes-serang"
    text = json.dumps(described)
    assert secret.secret.hex() not in text
    assert base64.b64encode(secret.secret).decode() not in text
    blob = secret_files[1].read_bytes()
    assert secret.secret not in blob
    assert base64.b64encode(secret.secret) not in blob


def test_describe_and_load_detect_tampering(secret_files, dinkes):
    path = secret_files[1]
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(VerificationError, match=r"dinkes-serang\.secret"):
        describe_secret(path)
    with pytest.raises(VerificationError, match="damaged or was modified"):
        load_secret(path, dinkes)


def _payload(secret_id: str, maker: str) -> bytes:
    return canonical_json(
        {
            "format": "padan-secret/1",
            "secret_id": secret_id,
            "schema_fingerprint": SCHEMA,
            "maker": maker,
            "recipients": ["dinkes-serang"],
            "created": "2025-01-01T00:00:00Z",
            "secret": base64.b64encode(bytes(32)).decode(),
        }
    )


def _hand_sealed(tmp_path, sender, recipient, header_id: str, content_id: str):
    """A secret file sealed by hand: its clear header says ``header_id``, its sealed
    content ``content_id`` (both made by ``sender``)."""
    public = json.loads(_payload(header_id, sender.card.org))
    del public["secret"]
    blob = seal(
        _payload(content_id, sender.card.org),
        sender=sender,
        recipient=recipient.card,
        purpose=SECRET_PURPOSE,
        public=public,
    )
    (tmp_path / "x.secret").write_bytes(blob)
    return tmp_path / "x.secret"


def test_header_that_lies_about_the_content_is_refused(tmp_path, dukcapil, dinkes):
    path = _hand_sealed(tmp_path, dukcapil, dinkes, "aa" * 16, "bb" * 16)
    with pytest.raises(VerificationError, match="clear header does not match"):
        load_secret(path, dinkes)


def test_secret_sealed_by_a_coordinator_is_refused(tmp_path, coordinator, dinkes):
    path = _hand_sealed(tmp_path, coordinator, dinkes, "aa" * 16, "aa" * 16)
    with pytest.raises(VerificationError, match="not a data owner"):
        load_secret(path, dinkes)


# --- CLI -------------------------------------------------------------------------------


@pytest.fixture
def keys_dir(tmp_path, monkeypatch, dukcapil, dinkes, coordinator):
    monkeypatch.setenv("PADAN_PASSPHRASE", PASSPHRASE)
    for identity in (dukcapil, dinkes, coordinator):
        save_identity(identity, tmp_path / "keys", PASSPHRASE, scrypt_n=2**10)
    return tmp_path / "keys"


def test_cli_secret_new_and_show(tmp_path, keys_dir, dinkes):
    out = tmp_path / "s"
    result = CliRunner().invoke(
        app,
        [
            "secret", "new", "--key", str(keys_dir / "disdukcapil-serang.key"),
            "--to", str(keys_dir / "disdukcapil-serang.card.json"),
            "--to", str(keys_dir / "dinkes-serang.card.json"),
            "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "dinkes-serang.secret",
        "disdukcapil-serang.secret",
    ]
    secret = load_secret(out / "dinkes-serang.secret", dinkes)
    assert secret.schema_fingerprint == schema_fingerprint()

    shown = CliRunner().invoke(app, ["secret", "show", str(out / "dinkes-serang.secret")])
    assert shown.exit_code == 0, shown.output
    assert secret.secret_id in shown.output
    assert "disdukcapil-serang" in shown.output
    assert secret.secret.hex() not in shown.output
    assert base64.b64encode(secret.secret).decode() not in shown.output


def test_cli_secret_new_refuses_coordinator_and_wrong_passphrase(tmp_path, keys_dir, monkeypatch):
    args = [
        "secret", "new", "--key", str(keys_dir / "dinkes-serang.key"),
        "--to", str(keys_dir / "koordinator.card.json"), "--out", str(tmp_path / "s"),
    ]  # fmt: skip
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1
    assert "coordinator must never hold" in refused.output
    assert load_card(keys_dir / "koordinator.card.json").org in refused.output
    monkeypatch.setenv("PADAN_PASSPHRASE", "salah-sandi-1")
    wrong = CliRunner().invoke(app, args)
    assert wrong.exit_code == 3
    assert "wrong passphrase" in wrong.output
    assert not (tmp_path / "s").exists()
