"""Keyed exact tokens and blocking keys (HMAC-SHA256 under keys derived from the secret).

Tokens let the coordinator test equality (same NIK, same KK, same block) without
learning the value. Each kind has its own key, so tokens of different kinds cannot be
compared with each other. Blocking keys are cut to 64 bits: enough to avoid chance
collisions within a block join, and less to attack than a full digest.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import numpy as np

TOKEN_BYTES = 16
CACHE_LIMIT = 200_000  # distinct block values kept per kind


class Tokenizer:
    """HMAC tokens for one kind of value (e.g. ``nik``) under that kind's key."""

    def __init__(self, key: bytes):
        self._key = key
        # Block values repeat (dates, name parts): each distinct value is keyed once.
        self._block_cache: dict[str, int] = {}

    def _digest(self, value: str) -> bytes:
        return hmac.digest(self._key, value.encode("utf-8"), "sha256")

    def token(self, value: str) -> bytes:
        """A 128-bit keyed token of ``value``."""
        return self._digest(value)[:TOKEN_BYTES]

    def tokens(self, values: Iterable[str | None]) -> list[bytes | None]:
        """Tokens for many values; ``None`` stays ``None``."""
        return [None if v is None else self.token(v) for v in values]

    def block_key(self, value: str | None) -> int:
        """A 64-bit keyed block key; 0 marks a missing key."""
        if value is None:
            return 0
        found = self._block_cache.get(value)
        if found is None:
            if len(self._block_cache) >= CACHE_LIMIT:
                self._block_cache.clear()
            found = int.from_bytes(self._digest(value)[:8], "little") or 1
            self._block_cache[value] = found
        return found

    def block_keys(self, values: Iterable[str | None]) -> np.ndarray:
        """64-bit keyed block keys as uint64; 0 marks a missing key."""
        return np.fromiter(map(self.block_key, values), dtype=np.uint64)
