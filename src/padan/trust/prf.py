"""Scoped comparison-level tokens: a keyed pseudorandom function over 16-byte blocks.

A level token (e.g. "same day and month") must compare equal only inside the block it
travels with, never across the whole package. The owner binds each 8-byte level token
to the 8-byte blocking-key value of a block with AES-256 (a pseudorandom permutation,
here used as a PRF on distinct 16-byte inputs) and keeps the first bytes: equal inside a
block exactly when the level tokens are equal (up to truncation collisions), unrelated
across blocks. One AES-ECB call encrypts every (record, block, token) block at once,
so binding millions of tokens costs a fraction of a second.
"""

from __future__ import annotations

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def bind_to_scope(key: bytes, scope: np.ndarray, tokens: np.ndarray, n_bytes: int) -> np.ndarray:
    """Level tokens bound to their scope: ``(n, kinds * n_bytes)`` uint8.

    ``scope`` is ``(n,)`` uint64 (0: the record is in no block of this key), ``tokens``
    ``(n, kinds)`` uint64 keyed level tokens (0: missing). A missing scope or token
    gives all-zero bytes; a present one never does.
    """
    n, kinds = tokens.shape
    blocks = np.empty((n, kinds, 2), dtype="<u8")
    blocks[:, :, 0] = scope[:, None]
    blocks[:, :, 1] = tokens
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    out = np.frombuffer(encryptor.update(blocks.tobytes()) + encryptor.finalize(), np.uint8)
    out = out.reshape(n, kinds, 16)[:, :, :n_bytes].copy()
    out[:, :, 0] |= 1  # never all zero: zero marks a missing token
    out[(scope == 0)[:, None] | (tokens == 0)] = 0
    return out.reshape(n, kinds * n_bytes)
