"""Requests signed with a party's Ed25519 identity key: HTTP Message Signatures (RFC 9421).

No passwords and no bearer tokens: every API request carries a signature by the key of
the sender's identity card over its method, path, query and ``Content-Digest`` (RFC 9530),
with ``created``, ``expires`` (a short window) and a random nonce. The server keeps used
nonces until they expire, so a captured request cannot be sent again. The same module
signs (client) and verifies (server), so both sides agree on what is covered.

The status page cannot sign requests (a browser holds no identity key), so the CLI makes a
short-lived sign-in link signed with the party's key (``login_link``), which the server
turns into a session cookie (``verify_login``).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureAlgorithm,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)
from http_message_signatures.digests import ContentDigest

from padan.core.errors import VerificationError
from padan.trust.cards import Card
from padan.trust.identity import Identity
from padan.trust.sealing import sign_detached, verify_detached

TAG = "padan"
LABEL = "padan"
COVERED = ("@method", "@path", "@query")
"""Covered with ``content-digest``, which signing adds from the body."""
REQUIRED = (*COVERED, "content-digest")
WINDOW = dt.timedelta(seconds=60)
"""How long a signature is valid (``expires - created``)."""
MAX_WINDOW = dt.timedelta(minutes=5)
"""The longest validity the server accepts: it bounds how long nonces must be kept."""
LOGIN_PURPOSE = "service-login"
LOGIN_WINDOW = dt.timedelta(minutes=10)


class Refused(Exception):
    """A refused request: HTTP status, a stable error code and a one-line message.

    Used for every refusal of the service (authentication, access, uploads), so that the
    API answers each with its own status and code: ``{"error": CODE, "message": …}``.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclasses.dataclass(slots=True)
class _Message:
    """The request as RFC 9421 sees it: method, absolute URL and header fields."""

    method: str
    url: str
    headers: dict[str, str]


class _Ed25519(HTTPSignatureAlgorithm):
    """RFC 9421 ``ed25519`` with padan's own keys: a ``Card`` verifies, an ``Identity`` signs.

    Keeps every use of the cryptography package inside ``padan.trust``.
    """

    algorithm_id = "ed25519"

    def __init__(self, public_key: Card | None = None, private_key: Identity | None = None):
        self.public_key = public_key
        self.private_key = private_key

    def sign(self, message: bytes) -> bytes:
        assert self.private_key is not None
        return self.private_key.sign(message)

    def verify(self, signature: bytes, message: bytes) -> None:
        assert self.public_key is not None
        self.public_key.verify(signature, message)  # VerificationError if it does not match


class _Keys(HTTPSignatureKeyResolver):
    """Resolves a ``keyid`` (card fingerprint) to its card; remembers unknown ids."""

    def __init__(self, cards: Mapping[str, Card], private: Identity | None = None) -> None:
        self.cards = cards
        self.private = private
        self.unknown: str | None = None

    def resolve_public_key(self, key_id: str) -> Card | None:  # type: ignore[override]
        card = self.cards.get(key_id)
        if card is None:
            self.unknown = key_id
        return card

    def resolve_private_key(self, key_id: str) -> Identity:  # type: ignore[override]
        assert self.private is not None and key_id == self.private.card.fingerprint
        return self.private


def sign_request(
    identity: Identity, method: str, url: str, body: bytes, *, now: dt.datetime | None = None
) -> dict[str, str]:
    """The ``Content-Digest``, ``Signature-Input`` and ``Signature`` headers for a request."""
    message = _Message(method.upper(), url, {})
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    HTTPMessageSigner(signature_algorithm=_Ed25519, key_resolver=_Keys({}, identity)).sign(
        message,
        key_id=identity.card.fingerprint,
        created=created,
        expires=created + WINDOW,
        nonce=secrets.token_urlsafe(18),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED,
        body=body,
    )
    return message.headers


class _Verifier(HTTPMessageVerifier):
    """Refuses an expired or over-long signature with its own error (not a bad signature)."""

    def validate_created_and_expires(self, sig_input, max_age=None) -> None:
        params = sig_input.params
        if not isinstance(params.get("created"), int) or not isinstance(params.get("expires"), int):
            raise Refused(401, "bad_signature", "signature lacks created/expires")
        now = dt.datetime.now(dt.UTC).timestamp()
        skew = self.max_clock_skew.total_seconds()
        if params["created"] > now + skew:
            raise Refused(401, "expired", "signature made in the future (check the clock)")
        if params["expires"] < now - skew:
            raise Refused(
                401, "expired", "signature expired (check the clock; requests are valid 60 s)"
            )
        if params["expires"] - params["created"] > MAX_WINDOW.total_seconds():
            raise Refused(401, "expired", "signature valid for too long (at most 5 minutes)")


@dataclasses.dataclass(frozen=True, slots=True)
class Signed:
    """A verified request: who signed it, its nonce and the digest it promises."""

    card: Card
    nonce: str
    expires: dt.datetime
    content_digest: str

    def check_body(self, body: bytes) -> None:
        """Refuse a body that is not the one the signature covers."""
        try:
            ContentDigest.verify(self.content_digest, body)
        except InvalidSignature:
            raise _digest_mismatch() from None

    def check_sha256(self, digest: bytes) -> None:
        """Like ``check_body`` for a streamed body whose SHA-256 was computed on the way."""
        expected = f"sha-256=:{base64.b64encode(digest).decode('ascii')}:"
        if not hmac.compare_digest(self.content_digest.strip(), expected):
            raise _digest_mismatch()


def _digest_mismatch() -> Refused:
    return Refused(400, "digest_mismatch", "body does not match its signed Content-Digest")


def verify_request(
    method: str, url: str, headers: Mapping[str, str], cards: Mapping[str, Card]
) -> Signed:
    """Verify a request's signature against the trusted cards (replay is the caller's check).

    Raises ``Refused``: ``unsigned``, ``unknown_signer``, ``bad_signature`` or
    ``expired``.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if "signature-input" not in lowered or "signature" not in lowered:
        raise Refused(
            401, "unsigned", "request not signed: sign it with your identity key (padan send)"
        )
    fields = {
        name: lowered[name]
        for name in ("signature-input", "signature", "content-digest")
        if name in lowered
    }
    keys = _Keys(cards)
    try:
        (result,) = _Verifier(signature_algorithm=_Ed25519, key_resolver=keys).verify(
            _Message(method.upper(), url, fields),
            max_age=None,
            expect_tag=TAG,
            require_components=REQUIRED,
        )
    except (InvalidSignature, ValueError):
        if keys.unknown is not None:
            raise Refused(
                403,
                "unknown_signer",
                "signed with a key whose card this coordinator does not trust",
            ) from None
        raise Refused(
            401,
            "bad_signature",
            "signature does not verify (wrong key, or the request was altered)",
        ) from None
    nonce = result.nonce
    if not nonce:
        raise Refused(401, "bad_signature", "signature lacks a nonce")
    card = cards[str(result.parameters["keyid"])]
    expires = dt.datetime.fromtimestamp(int(result.parameters["expires"]), dt.UTC)
    return Signed(card, nonce, expires.replace(tzinfo=None), fields["content-digest"])


def _login_bytes(fingerprint: str, expires: int, nonce: str) -> bytes:
    return f"padan-login\n{fingerprint}\n{expires}\n{nonce}".encode()


def login_link(server: str, identity: Identity, *, now: dt.datetime | None = None) -> str:
    """A sign-in link for the status page, signed with ``identity``, valid ten minutes."""
    expires = int(((now or dt.datetime.now(dt.UTC)) + LOGIN_WINDOW).timestamp())
    nonce = secrets.token_urlsafe(18)
    fingerprint = identity.card.fingerprint
    signature = sign_detached(
        _login_bytes(fingerprint, expires, nonce), signer=identity, purpose=LOGIN_PURPOSE
    )
    query = urlencode(
        {
            "fp": fingerprint,
            "exp": expires,
            "nonce": nonce,
            "sig": base64.urlsafe_b64encode(signature).decode("ascii"),
        }
    )
    return f"{server.rstrip('/')}/login?{query}"


def verify_login(
    fingerprint: str, expires: str, nonce: str, signature: str, cards: Mapping[str, Card]
) -> tuple[Card, dt.datetime]:
    """Check a sign-in link; return the card and when the link expires (for its nonce)."""
    card = cards.get(fingerprint)
    if card is None:
        raise Refused(403, "unknown_signer", "sign-in link of an organisation not trusted here")
    try:
        until = int(expires)
        raw = base64.urlsafe_b64decode(signature.encode("ascii"))
        verify_detached(
            _login_bytes(fingerprint, until, nonce), raw, signer=card, purpose=LOGIN_PURPOSE
        )
    except (ValueError, VerificationError):
        raise Refused(401, "bad_signature", "sign-in link is damaged or not signed") from None
    now = dt.datetime.now(dt.UTC).timestamp()
    if until < now or until > now + LOGIN_WINDOW.total_seconds() + 5:
        raise Refused(401, "expired", "sign-in link expired: run padan login again")
    return card, dt.datetime.fromtimestamp(until, dt.UTC).replace(tzinfo=None)


def nonce_key(card: Card, nonce: str) -> str:
    """The replay-table key of a nonce: per signer, hashed to a fixed length."""
    return hashlib.sha256(f"{card.fingerprint}:{nonce}".encode()).hexdigest()
