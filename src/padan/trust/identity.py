"""Organisation identities: key pairs, passphrase-protected key files and public identity cards.

Each organisation holds two key pairs:

* an Ed25519 *signing* key (packages, sealed files and results are signed with it);
* an HPKE (RFC 9180) *KEM* key, ML-KEM-768 + X25519 hybrid, so that files sealed to the
  organisation stay confidential even against a future quantum computer (population data
  must stay secret for decades).

The public halves form the *identity card* (``ORG.card.json``) that other organisations
trust after checking its fingerprint by phone. The private halves live in ``ORG.key``,
encrypted with AES-256-GCM under a key derived from a passphrase by scrypt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from padan.core.canonical import canonical_json, utc_timestamp
from padan.core.errors import InputError, VerificationError
from padan.core.files import atomic_open
from padan.trust.cards import (
    ED25519_KEY_BYTES,
    X25519_KEY_BYTES,
    Card,
    card_from_dict,
    from_b64,
    make_card,
    to_b64,
)

KEY_FORMAT = "padan-key/1"
MLKEM_SEED_BYTES = 64  # ML-KEM-768 private key, stored as its seed
PRIVATE_KEY_BYTES = ED25519_KEY_BYTES + MLKEM_SEED_BYTES + X25519_KEY_BYTES

HPKE_SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
"""HPKE suite for sealing: ML-KEM-768+X25519 hybrid KEM, HKDF-SHA256, AES-256-GCM."""

SCRYPT_N = 2**17
"""scrypt cost for new key files: 128 MiB and ~0.4 s per unlock (OWASP's recommendation).

Tests pass a cheaper ``scrypt_n``; the cost is stored in the key file, so loading always
uses the cost the file was made with.
"""
SCRYPT_R = 8
SCRYPT_P = 1
# Bounds for the cost read from a key file: below is too weak to accept, above would let a
# crafted key file exhaust memory before the passphrase is even checked.
SCRYPT_N_MIN = 2**10
SCRYPT_N_MAX = 2**20
MIN_PASSPHRASE_LENGTH = 8


@dataclasses.dataclass(frozen=True)
class Identity:
    """An organisation's card together with its private keys (never leaves the owner)."""

    card: Card
    signing_key: ed25519.Ed25519PrivateKey
    mlkem_key: mlkem.MLKEM768PrivateKey
    x25519_key: x25519.X25519PrivateKey

    def sign(self, data: bytes) -> bytes:
        """Ed25519 signature over ``data``."""
        return self.signing_key.sign(data)

    def open(self, ciphertext: bytes, info: bytes) -> bytes:
        """HPKE-open ``ciphertext`` sealed to this identity; ``VerificationError`` if it fails."""
        kem_key = hpke.MLKEM768X25519PrivateKey(self.mlkem_key, self.x25519_key)
        try:
            return HPKE_SUITE.decrypt(ciphertext, kem_key, info=info)
        except (InvalidTag, ValueError) as exc:
            raise VerificationError(
                f"cannot decrypt for {self.card.label}: damaged or not sealed to this key"
            ) from exc

    def local_key(self, label: str) -> bytes:
        """A 32-byte key for the owner's own files (e.g. ``row-fingerprint``), derived from
        the private keys with HKDF-SHA256 under ``label``: only this organisation can
        compute it, and it stays the same as long as the key file does."""
        info = b"padan/local/" + label.encode("ascii")
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            self.private_material()
        )

    def private_material(self) -> bytes:
        """The raw private keys (Ed25519 ‖ ML-KEM seed ‖ X25519), only for the key file."""
        return (
            self.signing_key.private_bytes_raw()
            + self.mlkem_key.private_bytes_raw()
            + self.x25519_key.private_bytes_raw()
        )


def _identity_from_material(card: Card, material: bytes) -> Identity:
    """Rebuild the private keys and check that they are the ones the card publishes."""
    if len(material) != PRIVATE_KEY_BYTES:
        raise VerificationError("the key file holds private keys of the wrong size (damaged)")
    signing_key = ed25519.Ed25519PrivateKey.from_private_bytes(material[:ED25519_KEY_BYTES])
    seed = material[ED25519_KEY_BYTES : ED25519_KEY_BYTES + MLKEM_SEED_BYTES]
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
    x25519_key = x25519.X25519PrivateKey.from_private_bytes(material[-X25519_KEY_BYTES:])
    if _public_parts(signing_key, mlkem_key, x25519_key) != (card.signing_public, card.kem_public):
        raise VerificationError(f"the private keys do not belong to the card of {card.label}")
    return Identity(card, signing_key, mlkem_key, x25519_key)


def _public_parts(
    signing_key: ed25519.Ed25519PrivateKey,
    mlkem_key: mlkem.MLKEM768PrivateKey,
    x25519_key: x25519.X25519PrivateKey,
) -> tuple[bytes, bytes]:
    """(signing public key, KEM public key) as published on a card."""
    kem_public = (
        mlkem_key.public_key().public_bytes_raw() + x25519_key.public_key().public_bytes_raw()
    )
    return signing_key.public_key().public_bytes_raw(), kem_public


def new_identity(org: str, role: str) -> Identity:
    """Generate fresh signing and KEM key pairs for ``org`` acting as ``role``."""
    signing_key = ed25519.Ed25519PrivateKey.generate()
    mlkem_key = mlkem.MLKEM768PrivateKey.generate()
    x25519_key = x25519.X25519PrivateKey.generate()
    signing_public, kem_public = _public_parts(signing_key, mlkem_key, x25519_key)
    card = make_card(org, role, signing_public, kem_public, created=utc_timestamp())
    return Identity(card, signing_key, mlkem_key, x25519_key)


def _check_scrypt_n(n: int) -> None:
    if not (SCRYPT_N_MIN <= n <= SCRYPT_N_MAX) or n & (n - 1):
        raise ValueError(
            f"scrypt cost n={n} must be a power of two in [{SCRYPT_N_MIN}, {SCRYPT_N_MAX}]"
        )


def _passphrase_key(passphrase: str, salt: bytes, n: int) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=n, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(passphrase.encode("utf-8"))


def key_file_checksum(body: Mapping[str, Any]) -> str:
    """SHA-256 of a key file's body: tells accidental damage apart from a wrong
    passphrase (AES-GCM alone cannot)."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def save_identity(
    identity: Identity,
    out_dir: str | os.PathLike[str],
    passphrase: str,
    *,
    scrypt_n: int | None = None,
) -> tuple[Path, Path]:
    """Write ``DIR/ORG.key`` (private, encrypted, mode 0600) and ``DIR/ORG.card.json``.

    Returns ``(key_path, card_path)``. The private keys are encrypted with AES-256-GCM
    under ``scrypt(passphrase)``; the card and the scrypt parameters are authenticated as
    associated data, so they cannot be swapped. ``scrypt_n`` defaults to ``SCRYPT_N``
    (strong); tests pass a cheaper power of two. An existing key file is never
    overwritten: losing a private key loses the organisation's identity.
    """
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise InputError(f"passphrase too short: use at least {MIN_PASSPHRASE_LENGTH} characters")
    n = SCRYPT_N if scrypt_n is None else scrypt_n
    _check_scrypt_n(n)
    out_dir = Path(out_dir)
    card = identity.card
    key_path = out_dir / f"{card.org}.key"
    card_path = out_dir / f"{card.org}.card.json"
    if key_path.exists():
        raise InputError(f"{key_path} already exists; refusing to overwrite a private key")

    salt, nonce = os.urandom(16), os.urandom(12)
    header = {
        "format": KEY_FORMAT,
        "card": card.to_dict(),
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": to_b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": to_b64(nonce)},
    }
    aead = AESGCM(_passphrase_key(passphrase, salt, n))
    sealed = aead.encrypt(nonce, identity.private_material(), canonical_json(header))
    body = {**header, "private": to_b64(sealed)}
    with atomic_open(key_path, file_mode=0o600) as handle:
        json.dump({**body, "checksum": key_file_checksum(body)}, handle, indent=2, sort_keys=True)
        handle.write("\n")
    with atomic_open(card_path, file_mode=0o644) as handle:  # public: meant to be shared
        handle.write(card.to_json())
    return key_path, card_path


@dataclasses.dataclass(frozen=True, slots=True)
class _KeyFile:
    """A parsed, not yet unlocked key file."""

    header: dict[str, Any]  # authenticated as AES-GCM associated data
    card: Card
    scrypt_n: int
    salt: bytes
    nonce: bytes
    sealed: bytes


def _read_key_file(path: Path) -> _KeyFile:
    damaged = f"key file {path} is damaged or not a padan key file"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"key file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        raise VerificationError(damaged) from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise VerificationError(damaged)
    checksum = data.pop("checksum", None)
    if checksum != key_file_checksum(data):
        raise VerificationError(f"{damaged} (checksum mismatch)")
    try:
        header = {name: data[name] for name in ("format", "card", "kdf", "cipher")}
        kdf, cipher = header["kdf"], header["cipher"]
        if kdf["name"] != "scrypt" or (kdf["r"], kdf["p"]) != (SCRYPT_R, SCRYPT_P):
            raise ValueError("unsupported key derivation")
        if cipher["name"] != "AES-256-GCM":
            raise ValueError("unsupported cipher")
        if not isinstance(kdf["n"], int):
            raise ValueError("bad scrypt cost")
        _check_scrypt_n(kdf["n"])
        key_file = _KeyFile(
            header=header,
            card=card_from_dict(header["card"], source=f"card inside {path}"),
            scrypt_n=kdf["n"],
            salt=from_b64(kdf["salt"], "salt"),
            nonce=from_b64(cipher["nonce"], "nonce"),
            sealed=from_b64(data["private"], "private"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationError(f"{damaged}: {exc}") from None
    return key_file


def load_identity(key_path: str | os.PathLike[str], passphrase: str) -> Identity:
    """Unlock ``ORG.key`` with its passphrase.

    Raises ``VerificationError("wrong passphrase for …")`` on a wrong passphrase and a
    ``VerificationError`` naming the damage when the file is corrupted.
    """
    path = Path(key_path)
    key_file = _read_key_file(path)
    aead = AESGCM(_passphrase_key(passphrase, key_file.salt, key_file.scrypt_n))
    try:
        material = aead.decrypt(key_file.nonce, key_file.sealed, canonical_json(key_file.header))
    except (InvalidTag, ValueError):
        raise VerificationError(f"wrong passphrase for {path}") from None
    return _identity_from_material(key_file.card, material)


@dataclasses.dataclass(frozen=True, slots=True)
class NewIdentity:
    """What ``padan keys new`` made: the card and where the files went."""

    card: Card
    key_path: Path
    card_path: Path


def create_identity(
    org: str,
    role: str,
    out_dir: str | os.PathLike[str],
    passphrase: str,
    *,
    scrypt_n: int | None = None,
) -> NewIdentity:
    """Generate an identity and save it: ``new_identity`` then ``save_identity``."""
    identity = new_identity(org, role)
    key_path, card_path = save_identity(identity, out_dir, passphrase, scrypt_n=scrypt_n)
    return NewIdentity(identity.card, key_path, card_path)
