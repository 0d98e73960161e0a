"""Keyed exact tokens and blocking keys (HMAC-SHA256 under keys derived from the secret).

Tokens let the coordinator test equality (same NIK, same KK, same block) without
learning the value. Each kind has its own key, so tokens of different kinds cannot be
compared with each other. Blocking keys are cut to 64 bits: enough to avoid chance
collisions within a block join, and less to attack than a full digest.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from padan.trust.prf import bind_to_scope

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


class LevelTokenizer:
    """Comparison-level tokens of every level kind, bound to the blocks they travel with.

    Each kind (``date_dm``, ``nik_rs``, …) is first keyed on its own (a 64-bit HMAC under
    the kind's key), then bound to each blocking key's value with the scope key
    (:func:`padan.trust.prf.bind_to_scope`): inside one block equal values give equal
    tokens, across blocks nothing can be joined.
    """

    def __init__(
        self, kind_keys: Mapping[str, bytes], scope_key: bytes, sample_key: bytes, n_bytes: int
    ):
        self.kinds = list(kind_keys)
        self._tokenizers = [Tokenizer(kind_keys[k]) for k in self.kinds]
        self._scope_key = scope_key
        self._sample_key = sample_key
        self._n_bytes = n_bytes

    def _base(self, values: Sequence[Mapping[str, str | None]]) -> np.ndarray:
        base = np.zeros((len(values), len(self.kinds)), dtype=np.uint64)
        for k, (kind, tokenizer) in enumerate(zip(self.kinds, self._tokenizers, strict=True)):
            base[:, k] = tokenizer.block_keys(v[kind] for v in values)
        return base

    def scoped(
        self,
        values: Sequence[Mapping[str, str | None]],
        blocks: Mapping[str, np.ndarray],
        buckets: np.ndarray,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Per blocking key, and for the records' u-sample ``buckets``: ``(n, kinds *
        n_bytes)`` uint8 level tokens (all-zero bytes: none)."""
        base = self._base(values)
        per_block = {
            block: bind_to_scope(self._scope_key, scope, base, self._n_bytes)
            for block, scope in blocks.items()
        }
        return per_block, bind_to_scope(self._sample_key, buckets, base, self._n_bytes)
