"""Keyed exact tokens and blocking keys (HMAC-SHA256 under keys derived from the secret).

Tokens let the coordinator test equality (same NIK, same KK, same block) without
learning the value. Each kind has its own key, so tokens of different kinds cannot be
compared with each other. Blocking keys are cut to 64 bits: enough to avoid chance
collisions within a block join, and less to attack than a full digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import numpy as np

TOKEN_BYTES = 16


class Tokenizer:
    """HMAC tokens for one kind of value (e.g. ``nik``) under that kind's key."""

    def __init__(self, key: bytes):
        self._key = key

    def token(self, value: str) -> bytes:
        """A 128-bit keyed token of ``value``."""
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).digest()[:TOKEN_BYTES]

    def tokens(self, values: Iterable[str | None]) -> list[bytes | None]:
        """Tokens for many values; ``None`` stays ``None``."""
        return [None if v is None else self.token(v) for v in values]

    def block_keys(self, values: Iterable[str | None]) -> np.ndarray:
        """64-bit keyed block keys as uint64; 0 marks a missing key."""
        out = []
        for v in values:
            if v is None:
                out.append(0)
            else:
                digest = hmac.new(self._key, v.encode("utf-8"), hashlib.sha256).digest()
                out.append(int.from_bytes(digest[:8], "little") or 1)
        return np.array(out, dtype=np.uint64)
