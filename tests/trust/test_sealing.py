"""Sealed envelopes: only the intended recipient opens them, for the intended purpose."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.core.canonical import canonical_json
from padan.core.errors import VerificationError
from padan.trust import sealing
from padan.trust.sealing import (
    open_sealed,
    read_sealed_header,
    seal,
    sign_detached,
    verify_detached,
)

PURPOSE = "linkage-secret"


@pytest.fixture(scope="module")
def blob(dukcapil, dinkes) -> bytes:
    return seal(
        b"rahasia bersama",
        sender=dukcapil,
        recipient=dinkes.card,
        purpose=PURPOSE,
        public={"note": "boleh dibaca"},
    )


def test_roundtrip_returns_payload_and_sender(blob, dukcapil, dinkes):
    payload, sender = open_sealed(blob, recipient=dinkes, purpose=PURPOSE)
    assert payload == b"rahasia bersama"
    assert sender == dukcapil.card
    trusted = {dukcapil.card.fingerprint: dukcapil.card}
    assert open_sealed(blob, recipient=dinkes, purpose=PURPOSE, trusted=trusted)[0] == payload


def test_payload_is_not_in_clear(blob):
    assert b"rahasia bersama" not in blob


def test_other_recipient_cannot_open(blob, coordinator, dukcapil, dinkes):
    for wrong in (coordinator, dukcapil):
        with pytest.raises(
            VerificationError, match=r"this file is sealed to dinkes-serang \("
        ) as err:
            open_sealed(blob, recipient=wrong, purpose=PURPOSE)
        assert wrong.card.org in str(err.value)
        assert dinkes.card.short_fingerprint in str(err.value)


def test_replay_for_another_purpose_fails(blob, dinkes):
    with pytest.raises(VerificationError, match="'linkage-secret' file, expected 'link-result'"):
        open_sealed(blob, recipient=dinkes, purpose="link-result")


def test_untrusted_sender_is_named(blob, dinkes, dukcapil, coordinator):
    with pytest.raises(VerificationError, match="not in the trusted cards") as err:
        open_sealed(
            blob,
            recipient=dinkes,
            purpose=PURPOSE,
            trusted={
                coordinator.card.fingerprint: coordinator.card,
            },
        )
    assert "disdukcapil-serang" in str(err.value)
    assert dukcapil.card.short_fingerprint in str(err.value)


def test_every_single_byte_change_is_detected(blob, dinkes):
    for position in range(len(blob)):
        for mask in (0x01, 0x80):
            damaged = bytearray(blob)
            damaged[position] ^= mask
            with pytest.raises(VerificationError):
                open_sealed(bytes(damaged), recipient=dinkes, purpose=PURPOSE)


@settings(max_examples=50, deadline=None)
@given(cut=st.integers(min_value=0), extra=st.binary(max_size=8))
def test_truncated_or_extended_files_are_rejected(blob, dinkes, cut, extra):
    changed = blob[: cut % len(blob)] + extra
    with pytest.raises(VerificationError):
        open_sealed(changed, recipient=dinkes, purpose=PURPOSE)


def test_resigning_by_someone_else_does_not_open(blob, dinkes, coordinator):
    # The coordinator swaps in its own card and re-signs the envelope it cannot read.
    header, ciphertext, _ = sealing.unframe(blob[len(sealing.MAGIC) :], 3)
    fields = json.loads(header)
    fields["sender"] = coordinator.card.to_dict()
    forged_header = canonical_json(fields)
    outer = coordinator.sign(sealing.signed_data(b"envelope", forged_header, ciphertext))
    forged = sealing.MAGIC + sealing.frame(forged_header, ciphertext, outer)
    assert read_sealed_header(forged, purpose=PURPOSE).sender == coordinator.card
    with pytest.raises(VerificationError, match="cannot decrypt"):
        open_sealed(forged, recipient=dinkes, purpose=PURPOSE)


def test_header_is_readable_and_verified_without_the_key(blob, dukcapil):
    header = read_sealed_header(blob, purpose=PURPOSE)
    assert header.sender == dukcapil.card
    assert header.recipient_org == "dinkes-serang"
    assert header.public == {"note": "boleh dibaca"}


def test_not_a_sealed_file(dinkes):
    with pytest.raises(VerificationError, match="not a padan sealed file"):
        open_sealed(b"PK\x03\x04 something else", recipient=dinkes, purpose=PURPOSE)


def test_detached_signatures(dukcapil, dinkes):
    signature = sign_detached(b"manifest", signer=dukcapil, purpose="package-manifest")
    verify_detached(b"manifest", signature, signer=dukcapil.card, purpose="package-manifest")
    with pytest.raises(VerificationError, match="invalid signature by disdukcapil-serang"):
        verify_detached(b"manifesT", signature, signer=dukcapil.card, purpose="package-manifest")
    with pytest.raises(VerificationError):
        verify_detached(b"manifest", signature, signer=dukcapil.card, purpose="link-report")
    with pytest.raises(VerificationError):
        verify_detached(b"manifest", signature, signer=dinkes.card, purpose="package-manifest")
