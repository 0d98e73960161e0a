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

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from padan.core.errors import InputError, VerificationError
from padan.core.files import atomic_open
from padan.core.types import OrgRole

CARD_FORMAT = "padan-card/1"
KEY_FORMAT = "padan-key/1"

KEM_SUITE = "MLKEM768-X25519"
"""The only KEM suite so far; the card names it so that a later suite can be added."""

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

ORG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
ORG_ROLES: tuple[OrgRole, ...] = ("owner", "coordinator")

_ED25519_LEN = 32
_MLKEM_SEED_LEN = 64
_MLKEM768_PUBLIC_LEN = 1184
_X25519_LEN = 32
_PRIVATE_LEN = _ED25519_LEN + _MLKEM_SEED_LEN + _X25519_LEN


def validate_org(org: str) -> str:
    """Return ``org`` if it is a valid organisation slug, else raise ``InputError``.

    A slug is 1–64 lowercase letters, digits and hyphens, not starting or ending with a
    hyphen (e.g. ``dinkes-serang``); it becomes a file name on every party's disk.
    """
    if not isinstance(org, str) or not ORG_PATTERN.fullmatch(org):
        raise InputError(
            f"invalid organisation name {org!r}: use 1-64 lowercase letters, digits and "
            "hyphens, e.g. dinkes-serang"
        )
    return org


def validate_role(role: str) -> OrgRole:
    """Return ``role`` if it is ``owner`` or ``coordinator``, else raise ``InputError``."""
    if role not in ORG_ROLES:
        raise InputError(f"invalid role {role!r}: use owner or coordinator")
    return cast(OrgRole, role)


def group_fingerprint(fingerprint: str) -> str:
    """First 128 bits of a fingerprint as 8 groups of 4 hex digits, for reading by phone."""
    head = fingerprint[:32].upper()
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8): the bytes that get hashed/signed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{what} is not valid base64") from exc


def utc_timestamp() -> str:
    """The current UTC time as ISO 8601 with a Z, to the second (used for `created`)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclasses.dataclass(frozen=True, slots=True)
class Card:
    """An organisation's public identity card: what other parties trust.

    ``fingerprint`` is the SHA-256 (hex) of the card's canonical public content (format,
    org, role, created, both public keys and the KEM suite), so any change to a key, the
    name or the role changes it.
    """

    org: str
    role: OrgRole
    signing_public: bytes = dataclasses.field(repr=False)
    kem_public: bytes = dataclasses.field(repr=False)
    kem: str
    fingerprint: str
    created: str

    @property
    def short_fingerprint(self) -> str:
        """The fingerprint as read aloud: ``AB12 CD34 …`` (first 128 bits)."""
        return group_fingerprint(self.fingerprint)

    @property
    def label(self) -> str:
        """``org (AB12 CD34 …)``: how messages name this card."""
        return f"{self.org} ({self.short_fingerprint})"

    def verify(self, signature: bytes, data: bytes) -> None:
        """Check an Ed25519 signature made by this card's owner; ``VerificationError`` if bad."""
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(self.signing_public).verify(signature, data)
        except (InvalidSignature, ValueError) as exc:
            raise VerificationError(f"invalid signature by {self.label}") from exc

    def hpke_public_key(self) -> hpke.MLKEM768X25519PublicKey:
        """The HPKE public key object for sealing files to this organisation."""
        mlkem_public = self.kem_public[:_MLKEM768_PUBLIC_LEN]
        x25519_public = self.kem_public[_MLKEM768_PUBLIC_LEN:]
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(mlkem_public),
            x25519.X25519PublicKey.from_public_bytes(x25519_public),
        )

    def to_dict(self) -> dict[str, Any]:
        """The card as the JSON object stored in ``ORG.card.json``."""
        return {**_card_content(self), "fingerprint": self.fingerprint}

    def to_json(self) -> str:
        """The card file's text (pretty JSON, stable key order)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def _card_content(card: Card) -> dict[str, Any]:
    return {
        "format": CARD_FORMAT,
        "org": card.org,
        "role": card.role,
        "created": card.created,
        "kem": card.kem,
        "kem_public": _b64(card.kem_public),
        "signing_public": _b64(card.signing_public),
    }


def card_fingerprint(card: Card) -> str:
    """SHA-256 (hex) over the card's canonical public content (everything but the fingerprint)."""
    return hashlib.sha256(canonical_json(_card_content(card))).hexdigest()


def make_card(
    org: str,
    role: str,
    signing_public: bytes,
    kem_public: bytes,
    created: str,
    kem: str = KEM_SUITE,
) -> Card:
    """Build a card from its public parts and compute its fingerprint."""
    draft = Card(
        org=validate_org(org),
        role=validate_role(role),
        signing_public=signing_public,
        kem_public=kem_public,
        kem=kem,
        fingerprint="",
        created=created,
    )
    return dataclasses.replace(draft, fingerprint=card_fingerprint(draft))


def card_from_dict(data: object, source: str = "card") -> Card:
    """Parse and validate a card object; ``VerificationError`` if inconsistent or damaged.

    Checks the format, the org and role, the key lengths and that the stated fingerprint
    is the fingerprint of the content (a card cannot be edited without it showing).
    """
    try:
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("format") != CARD_FORMAT:
            raise ValueError(f"unknown format {data.get('format')!r}, expected {CARD_FORMAT}")
        if data.get("kem") != KEM_SUITE:
            raise ValueError(f"unsupported KEM suite {data.get('kem')!r}")
        created = data.get("created")
        if not isinstance(created, str):
            raise ValueError("missing creation time")
        card = make_card(
            org=data.get("org"),  # type: ignore[arg-type]  # validated by make_card
            role=data.get("role"),  # type: ignore[arg-type]
            signing_public=_unb64(data.get("signing_public"), "signing_public"),
            kem_public=_unb64(data.get("kem_public"), "kem_public"),
            created=created,
        )
        # Constructing the public keys validates their encoding and length.
        ed25519.Ed25519PublicKey.from_public_bytes(card.signing_public)
        if len(card.kem_public) != _MLKEM768_PUBLIC_LEN + _X25519_LEN:
            raise ValueError("kem_public has the wrong length")
        card.hpke_public_key()
    except (ValueError, TypeError, InputError) as exc:
        raise VerificationError(f"{source} is not a valid padan identity card: {exc}") from None
    unknown = set(data) - set(card.to_dict())
    if unknown:
        raise VerificationError(f"{source}: unknown card fields {', '.join(sorted(unknown))}")
    if data.get("fingerprint") != card.fingerprint:
        raise VerificationError(
            f"{source}: the card's fingerprint does not match its content (edited or damaged)"
        )
    return card


def load_card(path: str | os.PathLike[str]) -> Card:
    """Read and validate an identity card file (``ORG.card.json``)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"identity card not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VerificationError(f"{path} is not a readable identity card: {exc}") from None
    return card_from_dict(data, source=str(path))


def load_trusted_cards(directory: str | os.PathLike[str]) -> dict[str, Card]:
    """Load every ``*.card.json`` of a trust directory, keyed by fingerprint.

    Raises ``InputError`` when the directory is missing or holds no card, and
    ``VerificationError`` when a card in it is invalid (a damaged trust list must not be
    silently ignored).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"trust directory not found: {directory}")
    cards = [load_card(path) for path in sorted(directory.glob("*.card.json"))]
    if not cards:
        raise InputError(f"no identity cards (*.card.json) in trust directory {directory}")
    return {card.fingerprint: card for card in cards}


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
    if len(material) != _PRIVATE_LEN:
        raise VerificationError("the key file holds private keys of the wrong size (damaged)")
    signing_key = ed25519.Ed25519PrivateKey.from_private_bytes(material[:_ED25519_LEN])
    seed = material[_ED25519_LEN : _ED25519_LEN + _MLKEM_SEED_LEN]
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
    x25519_key = x25519.X25519PrivateKey.from_private_bytes(material[-_X25519_LEN:])
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


def _checksum(body: Mapping[str, Any]) -> str:
    # Tells accidental damage apart from a wrong passphrase (AES-GCM alone cannot).
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
        "kdf": {"name": "scrypt", "n": n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce)},
    }
    aead = AESGCM(_passphrase_key(passphrase, salt, n))
    sealed = aead.encrypt(nonce, identity.private_material(), canonical_json(header))
    body = {**header, "private": _b64(sealed)}
    with atomic_open(key_path, file_mode=0o600) as handle:
        json.dump({**body, "checksum": _checksum(body)}, handle, indent=2, sort_keys=True)
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
    if checksum != _checksum(data):
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
            salt=_unb64(kdf["salt"], "salt"),
            nonce=_unb64(cipher["nonce"], "nonce"),
            sealed=_unb64(data["private"], "private"),
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
