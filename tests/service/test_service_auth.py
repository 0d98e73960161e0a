"""RFC 9421 request signatures and sign-in links, without a server."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from padan.service.auth import Refused, login_link, sign_request, verify_login, verify_request
from padan.trust.identity import new_identity

URL = "http://127.0.0.1:8765/api/rounds/abc/uploads?x=1"


@pytest.fixture(scope="module")
def owner():
    return new_identity("puskesmas-uji", "owner")


def _refusal(call) -> tuple[int, str]:
    with pytest.raises(Refused) as refused:
        call()
    return refused.value.status, refused.value.code


def test_signature_covers_method_path_query_and_body(owner) -> None:
    cards = {owner.card.fingerprint: owner.card}
    headers = sign_request(owner, "POST", URL, b"{}")
    assert "content-digest" in headers["Signature-Input"] and "nonce=" in headers["Signature-Input"]
    signed = verify_request("POST", URL, headers, cards)
    assert signed.card == owner.card
    signed.check_body(b"{}")
    signed.check_sha256(hashlib.sha256(b"{}").digest())
    assert _refusal(lambda: signed.check_body(b"{ }")) == (400, "digest_mismatch")
    for method, url in (("PUT", URL), ("POST", URL.replace("abc", "abd")), ("POST", URL[:-1])):
        assert _refusal(lambda m=method, u=url: verify_request(m, u, headers, cards)) == (
            401,
            "bad_signature",
        )


def test_unsigned_unknown_and_expired(owner) -> None:
    cards = {owner.card.fingerprint: owner.card}
    assert _refusal(lambda: verify_request("GET", URL, {}, cards)) == (401, "unsigned")
    headers = sign_request(owner, "GET", URL, b"")
    assert _refusal(lambda: verify_request("GET", URL, headers, {})) == (403, "unknown_signer")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=90)
    stale = sign_request(owner, "GET", URL, b"", now=old)
    assert _refusal(lambda: verify_request("GET", URL, stale, cards)) == (401, "expired")
    future = sign_request(owner, "GET", URL, b"", now=dt.datetime.now(dt.UTC) + dt.timedelta(1))
    assert _refusal(lambda: verify_request("GET", URL, future, cards)) == (401, "expired")


def test_sign_in_link_is_bound_to_the_key_and_expires(owner) -> None:
    cards = {owner.card.fingerprint: owner.card}
    link = login_link("http://127.0.0.1:8765", owner)
    query = dict(part.split("=", 1) for part in link.split("?", 1)[1].split("&"))
    from urllib.parse import unquote

    fp, exp, nonce, sig = (unquote(query[k]) for k in ("fp", "exp", "nonce", "sig"))
    card, _until = verify_login(fp, exp, nonce, sig, cards)
    assert card == owner.card
    assert _refusal(lambda: verify_login(fp, str(int(exp) + 1), nonce, sig, cards)) == (
        401,
        "bad_signature",
    )
    assert _refusal(lambda: verify_login(fp, exp, nonce, sig, {}))[1] == "unknown_signer"
    old = login_link("http://h", owner, now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    q = {k: unquote(v) for k, v in (p.split("=", 1) for p in old.split("?", 1)[1].split("&"))}
    assert _refusal(lambda: verify_login(q["fp"], q["exp"], q["nonce"], q["sig"], cards)) == (
        401,
        "expired",
    )
