"""Public identity cards (``ORG.card.json``): what organisations trust of each other.

A card names the organisation and its role and publishes its Ed25519 signing key and its
HPKE (ML-KEM-768 + X25519) key; partners trust it after reading its fingerprint to each
other by phone. The private halves are in :mod:`padan.trust.identity`.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import ed25519, mlkem, x25519

from padan.core.canonical import canonical_json
from padan.core.errors import InputError, VerificationError
from padan.core.types import OrgRole

CARD_FORMAT = "padan-card/1"

KEM_SUITE = "MLKEM768-X25519"
"""The only KEM suite so far; the card names it so that a later suite can be added."""

ORG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
ORG_ROLES: tuple[OrgRole, ...] = ("owner", "coordinator")

# Raw sizes (bytes) of the public keys a card publishes (Ed25519, ML-KEM-768, X25519).
ED25519_KEY_BYTES = 32
MLKEM768_PUBLIC_BYTES = 1184
X25519_KEY_BYTES = 32


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


def to_b64(data: bytes) -> str:
    """Standard base64 text of ``data`` (as cards and key files store keys)."""
    return base64.b64encode(data).decode("ascii")


def from_b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{what} is not valid base64") from exc


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
        mlkem_public = self.kem_public[:MLKEM768_PUBLIC_BYTES]
        x25519_public = self.kem_public[MLKEM768_PUBLIC_BYTES:]
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
        "kem_public": to_b64(card.kem_public),
        "signing_public": to_b64(card.signing_public),
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
            signing_public=from_b64(data.get("signing_public"), "signing_public"),
            kem_public=from_b64(data.get("kem_public"), "kem_public"),
            created=created,
        )
        # Constructing the public keys validates their encoding and length.
        ed25519.Ed25519PublicKey.from_public_bytes(card.signing_public)
        if len(card.kem_public) != MLKEM768_PUBLIC_BYTES + X25519_KEY_BYTES:
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
