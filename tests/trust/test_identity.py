"""Identities: key files, identity cards, fingerprints, trust directories, `padan keys`."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import stat

import pytest
from typer.testing import CliRunner

from padan.cli import app
from padan.core.errors import InputError, VerificationError
from padan.trust import identity as identity_module
from padan.trust.cards import card_fingerprint, card_from_dict, load_card, load_trusted_cards
from padan.trust.identity import SCRYPT_N, Identity, load_identity, new_identity, save_identity

FAST_N = 2**10  # scrypt cost for tests; real key files use SCRYPT_N
PASSPHRASE = "kata-sandi-uji-1"


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_card_survives_json_and_fingerprint_is_stable(dinkes):
    card = dinkes.card
    again = card_from_dict(json.loads(card.to_json()))
    assert again == card
    assert card_fingerprint(again) == card.fingerprint
    assert re.fullmatch(r"[0-9a-f]{64}", card.fingerprint)
    assert re.fullmatch(r"([0-9A-F]{4} ){7}[0-9A-F]{4}", card.short_fingerprint)
    assert card.short_fingerprint.replace(" ", "").lower() == card.fingerprint[:32]


def _flip_first_byte(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


@pytest.mark.parametrize(
    "change",
    [
        {"org": "dinkes-lebak"},
        {"role": "coordinator"},
        {"created": "2020-01-01T00:00:00Z"},
        "signing_public",
        "kem_public",
    ],
)
def test_fingerprint_changes_with_any_public_content(dinkes, change):
    card = dinkes.card
    if isinstance(change, str):
        change = {change: _flip_first_byte(getattr(card, change))}
    assert card_fingerprint(dataclasses.replace(card, **change)) != card.fingerprint


def test_different_keys_give_different_fingerprints(dinkes):
    assert new_identity("dinkes-serang", "owner").card.fingerprint != dinkes.card.fingerprint


def test_edited_card_is_rejected(dinkes):
    data = dinkes.card.to_dict()
    data["org"] = "dinkes-lebak"  # keep the old fingerprint
    with pytest.raises(VerificationError, match="fingerprint does not match"):
        card_from_dict(data)
    data = dinkes.card.to_dict()
    data["comment"] = "tidak ditandatangani"
    with pytest.raises(VerificationError, match="unknown card fields comment"):
        card_from_dict(data)
    data = dinkes.card.to_dict()
    data["signing_public"] = base64.b64encode(b"short").decode()
    with pytest.raises(VerificationError, match="not a valid padan identity card"):
        card_from_dict(data)


def test_save_and_load_roundtrip(tmp_path, dinkes):
    key_path, card_path = save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    assert key_path == tmp_path / "dinkes-serang.key"
    assert card_path == tmp_path / "dinkes-serang.card.json"
    assert mode(key_path) == 0o600
    assert mode(card_path) == 0o644
    assert load_card(card_path) == dinkes.card

    loaded = load_identity(key_path, PASSPHRASE)
    assert loaded.card == dinkes.card
    assert loaded.private_material() == dinkes.private_material()
    # The private keys are not stored in clear.
    text = key_path.read_text()
    assert base64.b64encode(dinkes.private_material()).decode() not in text
    assert dinkes.signing_key.private_bytes_raw().hex() not in text
    # The loaded key signs as the card says.
    dinkes.card.verify(loaded.sign(b"halo"), b"halo")


def test_wrong_passphrase_is_a_clear_verification_error(tmp_path, dinkes):
    key_path, _ = save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    with pytest.raises(VerificationError, match=r"wrong passphrase for .*dinkes-serang\.key"):
        load_identity(key_path, PASSPHRASE + "x")


def test_damaged_key_file_is_reported_as_damaged(tmp_path, dinkes):
    key_path, _ = save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    data = json.loads(key_path.read_text())
    private = data["private"]
    data["private"] = ("A" if private[0] != "A" else "B") + private[1:]
    key_path.write_text(json.dumps(data))
    with pytest.raises(VerificationError, match="damaged"):
        load_identity(key_path, PASSPHRASE)
    key_path.write_text(key_path.read_text()[:100])
    with pytest.raises(VerificationError, match="damaged"):
        load_identity(key_path, PASSPHRASE)
    with pytest.raises(InputError, match="not found"):
        load_identity(tmp_path / "nope.key", PASSPHRASE)


def test_key_file_with_swapped_card_is_refused(tmp_path, dinkes, dukcapil):
    # An attacker replaces the card (and recomputes the checksum): AES-GCM binds the card.
    key_path, _ = save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    data = json.loads(key_path.read_text())
    data.pop("checksum")
    data["card"] = dukcapil.card.to_dict()
    data["checksum"] = identity_module.key_file_checksum(data)
    key_path.write_text(json.dumps(data))
    with pytest.raises(VerificationError):
        load_identity(key_path, PASSPHRASE)


def test_private_keys_must_belong_to_the_card(tmp_path, dinkes, dukcapil):
    mixed = Identity(dukcapil.card, dinkes.signing_key, dinkes.mlkem_key, dinkes.x25519_key)
    key_path, _ = save_identity(mixed, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    with pytest.raises(VerificationError, match="do not belong to the card"):
        load_identity(key_path, PASSPHRASE)


def test_refuses_to_overwrite_a_key_or_use_a_short_passphrase(tmp_path, dinkes):
    save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    with pytest.raises(InputError, match="refusing to overwrite"):
        save_identity(dinkes, tmp_path, PASSPHRASE, scrypt_n=FAST_N)
    with pytest.raises(InputError, match="too short"):
        save_identity(dinkes, tmp_path / "other", "pendek", scrypt_n=FAST_N)


def test_default_scrypt_cost_is_strong_and_recorded(tmp_path, dinkes):
    assert SCRYPT_N >= 2**15
    key_path, _ = save_identity(dinkes, tmp_path, PASSPHRASE)
    assert json.loads(key_path.read_text())["kdf"]["n"] == SCRYPT_N
    assert load_identity(key_path, PASSPHRASE).card == dinkes.card


@pytest.mark.parametrize(
    "org", ["", "Dinkes", "dinkes_serang", "-dinkes", "dinkes-", "dinkes serang", "a" * 65, "../x"]
)
def test_invalid_org_names_are_refused(org):
    with pytest.raises(InputError, match="invalid organisation name"):
        new_identity(org, "owner")


def test_invalid_role_is_refused():
    with pytest.raises(InputError, match="invalid role"):
        new_identity("dinkes-serang", "admin")


def test_trusted_cards_directory(tmp_path, dinkes, dukcapil):
    with pytest.raises(InputError, match="not found"):
        load_trusted_cards(tmp_path / "missing")
    trust = tmp_path / "trust"
    trust.mkdir()
    with pytest.raises(InputError, match="no identity cards"):
        load_trusted_cards(trust)
    for card in (dinkes.card, dukcapil.card):
        (trust / f"{card.org}.card.json").write_text(card.to_json())
    trusted = load_trusted_cards(trust)
    assert trusted == {
        dinkes.card.fingerprint: dinkes.card,
        dukcapil.card.fingerprint: dukcapil.card,
    }
    data = dinkes.card.to_dict()
    data["role"] = "coordinator"
    (trust / "dinkes-serang.card.json").write_text(json.dumps(data))
    with pytest.raises(VerificationError, match=r"dinkes-serang\.card\.json"):
        load_trusted_cards(trust)


# --- CLI -------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch) -> CliRunner:
    monkeypatch.setenv("PADAN_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr(identity_module, "SCRYPT_N", FAST_N)
    return CliRunner()


def test_cli_keys_new_and_show(tmp_path, runner):
    result = runner.invoke(
        app, ["keys", "new", "--org", "dinkes-serang", "--role", "owner", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    card = load_card(tmp_path / "dinkes-serang.card.json")
    assert card.short_fingerprint in result.output
    assert mode(tmp_path / "dinkes-serang.key") == 0o600
    assert load_identity(tmp_path / "dinkes-serang.key", PASSPHRASE).card == card

    shown = runner.invoke(app, ["keys", "show", str(tmp_path / "dinkes-serang.card.json")])
    assert shown.exit_code == 0, shown.output
    assert "dinkes-serang" in shown.output
    assert "owner" in shown.output
    assert card.short_fingerprint in shown.output


def test_cli_keys_new_errors_are_one_line(tmp_path, runner):
    args = ["keys", "new", "--org", "koordinator", "--role", "coordinator", "--out", str(tmp_path)]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.output
    bad = runner.invoke(app, ["keys", "new", "--org", "Bad_Org", "--role", "owner", "--out", "x"])
    assert bad.exit_code == 1
    assert "invalid organisation name" in bad.output
    assert "Traceback" not in bad.output


def test_cli_keys_show_rejects_an_edited_card(tmp_path, runner, dinkes):
    data = dinkes.card.to_dict()
    data["org"] = "dinkes-lebak"
    path = tmp_path / "edited.card.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(app, ["keys", "show", str(path)])
    assert result.exit_code == 3
    assert "fingerprint does not match" in result.output
