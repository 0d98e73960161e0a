"""HKDF key lists (RFC 5869) for Bloom-filter features, as clkhash derives them."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"SHA256": hashes.SHA256, "SHA512": hashes.SHA512}


def hkdf_expand_keys(
    secret: bytes,
    count: int,
    *,
    key_size: int,
    hash_name: str = "SHA256",
    salt: bytes | None = None,
    info: bytes | None = None,
) -> tuple[bytes, ...]:
    """``count`` keys of ``key_size`` bytes: one HKDF output of ``count * key_size`` bytes,
    cut in order (clkhash's ``key_derivation.hkdf``)."""
    if hash_name not in _HASHES:
        raise ValueError(f"unsupported HKDF hash {hash_name!r}")
    block = HKDF(
        algorithm=_HASHES[hash_name](), length=count * key_size, salt=salt, info=info
    ).derive(secret)
    return tuple(block[i * key_size : (i + 1) * key_size] for i in range(count))
