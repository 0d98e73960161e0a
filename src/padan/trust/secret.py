"""The linkage secret: 32 random bytes shared by the data owners, never by the coordinator.

A data owner makes the secret and seals one copy to each data owner's card
(``DIR/<org>.secret``). Every keyed token of a package (CLK keys, NIK/KK tokens, block
keys) is derived from it with HKDF under a distinct label, so the coordinator, who never
holds the secret, cannot compute or invert them. A *key-check value* in each package lets
the coordinator see that two packages share a secret without learning it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from padan.core.canonical import canonical_json, utc_timestamp
from padan.core.errors import InputError, VerificationError
from padan.core.files import write_bytes_atomic
from padan.core.schema import DEFAULT_SCHEMA, schema_fingerprint
from padan.trust.cards import Card, load_card
from padan.trust.identity import Identity, load_identity
from padan.trust.sealing import open_sealed, read_sealed_header, seal

SECRET_FORMAT = "padan-secret/1"
SECRET_PURPOSE = "linkage-secret"
SECRET_LEN = 32
KEY_CHECK_LABEL = "key-check"
# Labels are ASCII words; the secret id (fixed length, 32 hex digits) follows them in the
# HKDF info, so no two (label, id) pairs give the same info.
_LABEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
_KEY_CHECK_CONSTANT = b"padan key check value/1"


@dataclasses.dataclass(frozen=True, slots=True)
class LinkageSecret:
    """A decrypted linkage secret and what it is for.

    ``secret_id`` (32 hex digits) names the secret without revealing it; ``maker`` and
    ``recipients`` are organisation slugs.
    """

    secret_id: str
    secret: bytes = dataclasses.field(repr=False)
    schema_fingerprint: str
    maker: str
    recipients: tuple[str, ...]
    created: str = ""
    source: Path | None = dataclasses.field(default=None, compare=False)  # the sealed file


def _public_fields(secret: LinkageSecret) -> dict[str, Any]:
    """What may be read without decrypting: everything except the secret itself."""
    return {
        "format": SECRET_FORMAT,
        "secret_id": secret.secret_id,
        "schema_fingerprint": secret.schema_fingerprint,
        "maker": secret.maker,
        "recipients": list(secret.recipients),
        "created": secret.created,
    }


def new_secret(
    maker: Identity,
    recipients: Sequence[Card],
    schema_fingerprint: str,
    out_dir: str | os.PathLike[str],
    *,
    fixed_secret: bytes | None = None,
) -> list[Path]:
    """Make a fresh linkage secret and write one sealed copy per recipient.

    Writes ``out_dir/<recipient org>.secret`` (atomic, mode 0600) and returns the paths
    in the order of ``recipients``. Refuses a coordinator (as maker or recipient: the
    coordinator must never hold the secret) and duplicate recipients. ``fixed_secret``
    replaces the random bytes, only so that ``padan demo --seed`` is reproducible:
    a guessable secret protects nothing.
    """
    if fixed_secret is not None and len(fixed_secret) != SECRET_LEN:
        raise InputError(f"a linkage secret has {SECRET_LEN} bytes, not {len(fixed_secret)}")
    if maker.card.role != "owner":
        raise InputError(
            f"{maker.card.org} is a {maker.card.role}; only a data owner may make the secret"
        )
    if not recipients:
        raise InputError("no recipients: seal the secret to at least one data owner's card")
    for card in recipients:
        if card.role != "owner":
            raise InputError(
                f"{card.label} is a {card.role}, not a data owner: the coordinator must "
                "never hold the linkage secret"
            )
    orgs = [card.org for card in recipients]
    duplicates = sorted({org for org in orgs if orgs.count(org) > 1})
    if duplicates:
        raise InputError(f"recipient given more than once: {', '.join(duplicates)}")

    secret = LinkageSecret(
        # The id enters every key derivation: a fixed (demo) secret gets a fixed id too.
        secret_id=secrets.token_hex(16)
        if fixed_secret is None
        else hashlib.sha256(b"padan demo secret id/" + fixed_secret).hexdigest()[:32],
        secret=fixed_secret if fixed_secret is not None else secrets.token_bytes(SECRET_LEN),
        schema_fingerprint=schema_fingerprint,
        maker=maker.card.org,
        recipients=tuple(orgs),
        created=utc_timestamp(),
    )
    payload = canonical_json(
        {**_public_fields(secret), "secret": base64.b64encode(secret.secret).decode("ascii")}
    )
    paths = []
    for card in recipients:
        blob = seal(
            payload,
            sender=maker,
            recipient=card,
            purpose=SECRET_PURPOSE,
            public=_public_fields(secret),
        )
        path = Path(out_dir) / f"{card.org}.secret"
        write_bytes_atomic(path, blob, file_mode=0o600)
        paths.append(path)
    return paths


def _read_blob(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"secret file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read secret file {path}: {exc}") from None


def load_secret(path: str | os.PathLike[str], identity: Identity) -> LinkageSecret:
    """Open the sealed secret ``path`` with the recipient's identity.

    Raises ``VerificationError`` if the file is damaged, sealed to another organisation,
    made by a non-owner, or its clear header disagrees with its sealed content.
    """
    path = Path(path)
    blob = _read_blob(path)
    try:
        payload, maker = open_sealed(blob, recipient=identity, purpose=SECRET_PURPOSE)
        header = read_sealed_header(blob, purpose=SECRET_PURPOSE)
    except VerificationError as exc:
        raise VerificationError(f"{path}: {exc}") from None
    try:
        data = json.loads(payload.decode("utf-8"))
        if data["format"] != SECRET_FORMAT:
            raise ValueError("unknown format")
        secret = LinkageSecret(
            secret_id=data["secret_id"],
            secret=base64.b64decode(data["secret"], validate=True),
            schema_fingerprint=data["schema_fingerprint"],
            maker=data["maker"],
            recipients=tuple(data["recipients"]),
            created=data["created"],
            source=path,
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, binascii.Error):
        raise VerificationError(f"{path}: the sealed content is not a padan secret") from None
    # The signatures bind maker and content; these checks catch a faulty or dishonest
    # maker whose clear header says something other than the sealed secret.
    if (
        header.public != _public_fields(secret)
        or maker.org != secret.maker
        or len(secret.secret) != SECRET_LEN
    ):
        raise VerificationError(f"{path}: the clear header does not match the sealed secret")
    if maker.role != "owner":
        raise VerificationError(f"{path}: made by {maker.label}, who is not a data owner")
    return secret


def describe_secret(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What ``padan secret show`` prints, read from the signed clear header (no key needed).

    Verifies the file's signature against the maker card it carries. Never returns the
    secret.
    """
    path = Path(path)
    try:
        header = read_sealed_header(_read_blob(path), purpose=SECRET_PURPOSE)
    except VerificationError as exc:
        raise VerificationError(f"{path}: {exc}") from None
    public = header.public
    return {
        "file": str(path),
        "secret_id": public.get("secret_id"),
        "maker": header.sender.org,
        "maker_fingerprint": header.sender.short_fingerprint,
        "schema_fingerprint": public.get("schema_fingerprint"),
        "recipients": list(public.get("recipients", [])),
        "sealed_to": header.recipient_org,
        "created": public.get("created"),
        "signature": "valid (checked against the maker card inside the file)",
    }


def _hkdf(secret: LinkageSecret, label: str, length: int) -> bytes:
    info = b"padan/" + label.encode("ascii") + b"/" + secret.secret_id.encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(
        secret.secret
    )


def derive_key(secret: LinkageSecret, label: str, length: int = 32) -> bytes:
    """A key for one use, derived from the secret with HKDF-SHA256.

    ``info`` is ``b"padan/" + label + b"/" + secret_id``: distinct labels (e.g.
    ``clk/name``, ``token/nik``, ``token/kk``, ``block/…``) give independent keys, and the
    same secret gives the same keys at every owner.
    """
    if not _LABEL_PATTERN.fullmatch(label):
        raise ValueError(f"invalid key label {label!r}")
    if label == KEY_CHECK_LABEL:
        raise ValueError(f"the label {KEY_CHECK_LABEL!r} is reserved for the key-check value")
    return _hkdf(secret, label, length)


def key_check_value(secret: LinkageSecret) -> str:
    """HMAC-SHA256 of a constant under a derived key (first 16 bytes, hex).

    Equal for packages made with the same secret, unrelated otherwise; it reveals nothing
    about the secret or the keys derived under other labels.
    """
    mac = hmac.HMAC(_hkdf(secret, KEY_CHECK_LABEL, 32), hashes.SHA256())
    mac.update(_KEY_CHECK_CONSTANT)
    return mac.finalize()[:16].hex()


def create_secret(
    key_path: str | os.PathLike[str],
    passphrase: str,
    recipient_cards: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    schema: str = DEFAULT_SCHEMA,
    *,
    fixed_secret: bytes | None = None,
) -> list[Path]:
    """``padan secret new``: unlock the maker's key, load the cards, seal a new secret
    (``fixed_secret``: for a reproducible demo only, see :func:`new_secret`)."""
    maker = load_identity(key_path, passphrase)
    cards = [load_card(path) for path in recipient_cards]
    return new_secret(maker, cards, schema_fingerprint(schema), out_dir, fixed_secret=fixed_secret)
