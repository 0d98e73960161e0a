"""Sealed envelopes: signed, then encrypted to one recipient's identity card.

Used for the linkage secret, the coordinator's per-owner results and disclosure files.
An envelope is::

    MAGIC ‖ frame(header) ‖ frame(ciphertext) ‖ frame(outer signature)

* ``header``: canonical JSON in clear — format, purpose, the sender's full card, the
  recipient's org and fingerprint, the suite, and optional public metadata chosen by the
  caller (e.g. a secret's id and recipients, so ``padan secret show`` needs no key).
* ``ciphertext``: HPKE (RFC 9180; ML-KEM-768+X25519, HKDF-SHA256, AES-256-GCM) of
  ``inner signature ‖ payload``, with ``info`` = a hash of the header. The inner signature
  covers header and payload (sign-then-encrypt): the sender vouches for the plaintext
  *and* for whom and what it was meant, so it cannot be re-encrypted to someone else.
* ``outer signature``: covers header and ciphertext, so the header and the file's
  integrity can be checked by anyone holding the sender's card, without decrypting.

Because the header (with sender, recipient and purpose) is the HPKE ``info`` and is
signed twice, a sealed file cannot be replayed to another recipient or purpose, and any
changed byte fails with a ``VerificationError``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import struct
from collections.abc import Mapping
from typing import Any

from padan.core.canonical import canonical_json
from padan.core.errors import VerificationError
from padan.trust.cards import KEM_SUITE, Card, card_from_dict, group_fingerprint
from padan.trust.identity import HPKE_SUITE, Identity

SEALED_FORMAT = "padan-sealed/1"
MAGIC = b"PADAN-SEALED/1\n"
SUITE_NAME = f"{KEM_SUITE}/HKDF-SHA256/AES-256-GCM"
_SIGNATURE_LEN = 64
_PURPOSE_PATTERN = re.compile(r"[a-z0-9][a-z0-9./-]{0,63}")
_DAMAGED = "the sealed file is damaged or was modified"


@dataclasses.dataclass(frozen=True, slots=True)
class SealedHeader:
    """The clear, signed part of a sealed file: who sealed it, for whom, for what."""

    purpose: str
    sender: Card
    recipient_org: str
    recipient_fingerprint: str
    public: dict[str, Any]


def frame(*parts: bytes) -> bytes:
    """Length-prefix each part so that concatenations are unambiguous."""
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def unframe(data: bytes, count: int) -> list[bytes]:
    """Inverse of ``frame`` for exactly ``count`` parts filling ``data``."""
    parts, offset = [], 0
    for _ in range(count):
        if offset + 4 > len(data):
            raise VerificationError(f"{_DAMAGED} (truncated)")
        (length,) = struct.unpack_from(">I", data, offset)
        offset += 4
        if offset + length > len(data):
            raise VerificationError(f"{_DAMAGED} (truncated)")
        parts.append(data[offset : offset + length])
        offset += length
    if offset != len(data):
        raise VerificationError(f"{_DAMAGED} (trailing bytes)")
    return parts


def _check_purpose(purpose: str) -> None:
    if not _PURPOSE_PATTERN.fullmatch(purpose):
        raise ValueError(f"invalid purpose {purpose!r}")


def signed_data(tag: bytes, header: bytes, body: bytes) -> bytes:
    """The bytes a sealed envelope's signature covers: format, tag, header and body."""
    return frame(SEALED_FORMAT.encode(), tag, header, body)


def _hpke_info(header: bytes) -> bytes:
    return SEALED_FORMAT.encode() + b"\0" + hashlib.sha256(header).digest()


def seal(
    payload: bytes,
    *,
    sender: Identity,
    recipient: Card,
    purpose: str,
    public: Mapping[str, Any] | None = None,
) -> bytes:
    """Sign ``payload`` as ``sender`` and encrypt it so that only ``recipient`` can read it.

    ``purpose`` (e.g. ``linkage-secret``) must match when opening. ``public`` is optional
    JSON-serialisable metadata stored in clear but signed; never put secrets in it.
    """
    _check_purpose(purpose)
    header = canonical_json(
        {
            "format": SEALED_FORMAT,
            "purpose": purpose,
            "sender": sender.card.to_dict(),
            "recipient": {"org": recipient.org, "fingerprint": recipient.fingerprint},
            "suite": SUITE_NAME,
            "public": dict(public or {}),
        }
    )
    inner = sender.sign(signed_data(b"payload", header, payload))
    ciphertext = HPKE_SUITE.encrypt(
        inner + payload, recipient.hpke_public_key(), info=_hpke_info(header)
    )
    outer = sender.sign(signed_data(b"envelope", header, ciphertext))
    return MAGIC + frame(header, ciphertext, outer)


def _parse_header(header: bytes) -> SealedHeader:
    try:
        data = json.loads(header.decode("utf-8"))
        if data["format"] != SEALED_FORMAT or data["suite"] != SUITE_NAME:
            raise ValueError("unknown format")
        parsed = SealedHeader(
            purpose=str(data["purpose"]),
            sender=card_from_dict(data["sender"], source="the sender's card"),
            recipient_org=str(data["recipient"]["org"]),
            recipient_fingerprint=str(data["recipient"]["fingerprint"]),
            public=dict(data["public"]),
        )
    except VerificationError as exc:
        raise VerificationError(f"{_DAMAGED}: {exc}") from None
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise VerificationError(f"{_DAMAGED} (unreadable header)") from None
    if header != canonical_json(data):
        raise VerificationError(f"{_DAMAGED} (header not in canonical form)")
    return parsed


def check_trusted(card: Card, trusted: Mapping[str, Card], what: str) -> None:
    """Raise ``VerificationError`` naming ``card`` unless it is in the trust list."""
    if trusted.get(card.fingerprint) != card:
        raise VerificationError(
            f"{what} is signed by {card.org} (fingerprint {card.short_fingerprint}), "
            "which is not in the trusted cards; verify the fingerprint by phone and add "
            "its card to the trust directory"
        )


def _verify_envelope(
    blob: bytes, purpose: str, trusted: Mapping[str, Card] | None
) -> tuple[SealedHeader, bytes, bytes]:
    """Check signature, trust and purpose; return (header, header bytes, ciphertext)."""
    if not blob.startswith(MAGIC):
        raise VerificationError("not a padan sealed file (or its first bytes are damaged)")
    header_bytes, ciphertext, outer = unframe(blob[len(MAGIC) :], 3)
    header = _parse_header(header_bytes)
    try:
        header.sender.verify(outer, signed_data(b"envelope", header_bytes, ciphertext))
    except VerificationError:
        raise VerificationError(f"{_DAMAGED} (signature check failed)") from None
    if trusted is not None:
        check_trusted(header.sender, trusted, "this sealed file")
    if header.purpose != purpose:
        raise VerificationError(
            f"this sealed file is a {header.purpose!r} file, expected {purpose!r}"
        )
    return header, header_bytes, ciphertext


def read_sealed_header(
    blob: bytes, *, purpose: str, trusted: Mapping[str, Card] | None = None
) -> SealedHeader:
    """Verify a sealed file's signature and return its clear header, without decrypting.

    With ``trusted``, the sender must be one of those cards; without, the sender card
    embedded in the file is used (it proves integrity, not who the sender really is).
    """
    return _verify_envelope(blob, purpose, trusted)[0]


def open_sealed(
    blob: bytes,
    *,
    recipient: Identity,
    purpose: str,
    trusted: Mapping[str, Card] | None = None,
) -> tuple[bytes, Card]:
    """Verify and decrypt a sealed file; return ``(payload, sender card)``.

    Raises ``VerificationError`` when the file is damaged or modified, sealed to someone
    else or for another purpose, or (with ``trusted``) signed by an untrusted sender.
    """
    header, header_bytes, ciphertext = _verify_envelope(blob, purpose, trusted)
    if header.recipient_fingerprint != recipient.card.fingerprint:
        raise VerificationError(
            f"this file is sealed to {header.recipient_org} "
            f"({group_fingerprint(header.recipient_fingerprint)}), "
            f"not to {recipient.card.label}"
        )
    plaintext = recipient.open(ciphertext, _hpke_info(header_bytes))
    inner, payload = plaintext[:_SIGNATURE_LEN], plaintext[_SIGNATURE_LEN:]
    header.sender.verify(inner, signed_data(b"payload", header_bytes, payload))
    return payload, header.sender


def _detached_data(data: bytes, signer_fingerprint: str, purpose: str) -> bytes:
    return frame(b"padan-detached/1", purpose.encode(), signer_fingerprint.encode(), data)


def sign_detached(data: bytes, *, signer: Identity, purpose: str) -> bytes:
    """Ed25519 signature over ``data`` bound to ``purpose`` and the signer's fingerprint."""
    _check_purpose(purpose)
    return signer.sign(_detached_data(data, signer.card.fingerprint, purpose))


def verify_detached(data: bytes, signature: bytes, *, signer: Card, purpose: str) -> None:
    """Check a ``sign_detached`` signature; ``VerificationError`` if it does not hold."""
    signer.verify(signature, _detached_data(data, signer.fingerprint, purpose))
