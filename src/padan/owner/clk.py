"""Bloom filters (CLKs) as clkhash builds them from a v3 linkage schema, without clkhash.

clkhash (data61) defines the filter format padan's linkage schemas use, but its releases
pin old ``cryptography`` and ``bitarray`` versions, which keeps padan from installing as a
tool. This module rebuilds the same filters, bit for bit, from standard primitives:

* keys: HKDF (``cryptography``) over the field key, ``kdf`` salt/info/hash/keySize of the
  schema, two keys per feature (clkhash's ``generate_key_lists``); blakeHash uses the first;
* tokens: n-grams padded with ``n-1`` spaces (positional ones prefixed ``"<i> "``, 1-based),
  or the whole value for ``exact``; a ``missingValue`` sentinel is replaced first;
* hashing (``blakeHash``): for token ``t`` and ``k`` bits, keyed BLAKE2b digests of ``t``
  with salt ``"0"``, ``"1"``, … read as little-endian unsigned 16-bit words; bit ``w % l``
  for the first ``k`` words (``hashlib.blake2b``);
* ``bitsPerToken`` / ``bitsPerFeature`` insertion strategies, then ``xor_folds`` folds.

Bit ``i`` of a filter is bit ``i`` of a big-endian bit string (``bitarray``'s default), so
``bytes`` here equal clkhash's ``bitarray.tobytes()``. clkhash reads the BLAKE2b words in
the machine's byte order; they are pinned little-endian here (every platform padan runs
on), so filters do not depend on the machine. ``tests/owner/test_clk.py`` compares the
filters with clkhash's on random and Indonesian inputs.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from padan.trust.kdf import hkdf_expand_keys

SCHEMA_VERSION = 3
KEYS_PER_FEATURE = 2  # clkhash derives keys for its two hashing methods; blakeHash uses one
DEFAULT_KEY_SIZE = 64
_WORDS_PER_DIGEST = 32  # a 64-byte BLAKE2b digest read as 32 unsigned 16-bit words
_WORDS = struct.Struct(f"<{_WORDS_PER_DIGEST}H")


class ClkSchemaError(ValueError):
    """A linkage schema this encoder cannot build filters for (named in the message)."""


@dataclass(frozen=True, slots=True)
class Tokenization:
    """How a feature's value becomes tokens: ``ngram`` (``n``, ``positional``) or ``exact``."""

    kind: Literal["ngram", "exact"]
    n: int = 0
    positional: bool = False

    def tokens(self, value: str) -> list[str]:
        """The tokens of ``value`` (none for an empty value), as clkhash's comparators."""
        if not value:
            return []
        if self.kind == "exact":
            return [value]
        n = self.n
        if n > 1:
            value = f"{' ' * (n - 1)}{value}{' ' * (n - 1)}"
        grams = (value[i : i + n] for i in range(len(value) - n + 1))
        if self.positional:
            return [f"{i} {gram}" for i, gram in enumerate(grams, start=1)]
        return list(grams)


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of a clkhash v3 schema: tokenisation, insertion strategy, encoding.

    ``bits`` is ``bitsPerToken`` (``per_feature`` False) or ``bitsPerFeature`` (True).
    ``hashed`` is False for an ignored feature, which adds nothing to the filter.
    """

    identifier: str
    tokenization: Tokenization
    bits: int
    per_feature: bool = False
    encoding: str = "utf-8"
    missing: tuple[str, str] | None = None
    """``(sentinel, replacement)`` of a ``missingValue`` spec."""
    hashed: bool = True

    def prepare(self, value: str) -> str:
        """The value as hashed: a missing-value sentinel becomes its replacement."""
        if self.missing is not None and value == self.missing[0]:
            return self.missing[1]
        return value

    def bits_per_token(self, tokens: int) -> list[int]:
        """How many bits each of ``tokens`` tokens sets (clkhash's insertion strategies)."""
        if not self.per_feature:
            return [self.bits] * tokens
        if tokens == 0:
            return []
        k, residue = divmod(self.bits, tokens)
        return [k + 1] * residue + [k] * (tokens - residue)


@dataclass(frozen=True, slots=True)
class ClkSchema:
    """A parsed clkhash v3 schema: filter length, folding, key derivation, features."""

    l: int  # noqa: E741 - the filter length is called l in clkhash's schema and papers
    xor_folds: int
    features: tuple[Feature, ...]
    kdf_hash: str = "SHA256"
    kdf_salt: bytes | None = None
    kdf_info: bytes | None = None
    kdf_key_size: int = DEFAULT_KEY_SIZE

    @property
    def hash_bits(self) -> int:
        """Bits hashed into before folding (``l * 2**xor_folds``)."""
        return self.l << self.xor_folds

    @property
    def token_cacheable(self) -> bool:
        """Whether a value's filter is the OR of per-token filters that do not depend on the
        value (``bitsPerToken``, no folding): the condition for caching token filters."""
        return self.xor_folds == 0 and not any(f.per_feature for f in self.features)


def _b64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value)


def _feature(spec: Mapping[str, Any]) -> Feature:
    identifier = str(spec.get("identifier", ""))
    if spec.get("ignored"):
        return Feature(identifier, Tokenization("exact"), 0, hashed=False)
    fmt, hashing = spec.get("format", {}), spec.get("hashing", {})
    if fmt.get("type", "string") != "string":
        raise ClkSchemaError(f"feature {identifier}: only string features are supported")
    if hashing.get("hash", {}).get("type", "blakeHash") != "blakeHash":
        raise ClkSchemaError(f"feature {identifier}: only blakeHash hashing is supported")
    comparison = hashing.get("comparison", {})
    if comparison.get("type") == "ngram":
        n = int(comparison.get("n", -1))
        if n < 0:
            raise ClkSchemaError(f"feature {identifier}: n-gram n must be non-negative")
        tokenization = Tokenization("ngram", n, bool(comparison.get("positional", False)))
    elif comparison.get("type") == "exact":
        tokenization = Tokenization("exact")
    else:
        raise ClkSchemaError(
            f"feature {identifier}: comparison {comparison.get('type')!r} is not supported"
        )
    strategy = hashing.get("strategy", {})
    if "bitsPerToken" in strategy:
        bits, per_feature = int(strategy["bitsPerToken"]), False
    elif "bitsPerFeature" in strategy:
        bits, per_feature = int(strategy["bitsPerFeature"]), True
    else:
        raise ClkSchemaError(f"feature {identifier}: unknown insertion strategy")
    missing = hashing.get("missingValue")
    return Feature(
        identifier,
        tokenization,
        bits,
        per_feature,
        str(fmt.get("encoding", "utf-8")),
        (str(missing["sentinel"]), str(missing.get("replaceWith", ""))) if missing else None,
    )


def parse_clk_schema(schema: Mapping[str, Any]) -> ClkSchema:
    """Parse a clkhash v3 schema (a dict, as in a linkage schema's ``"clkhash"`` entry).

    Raises :class:`ClkSchemaError` for a version, hash, comparison or KDF this encoder
    does not build (it builds what padan's schemas use, and clkhash's common options).
    """
    if schema.get("version") != SCHEMA_VERSION:
        raise ClkSchemaError(f"clkhash schema version {schema.get('version')} is not 3")
    config = schema["clkConfig"]
    kdf = config["kdf"]
    if kdf.get("type") != "HKDF" or kdf.get("hash", "SHA256") not in ("SHA256", "SHA512"):
        raise ClkSchemaError("only HKDF with SHA256 or SHA512 key derivation is supported")
    parsed = ClkSchema(
        l=int(config["l"]),
        xor_folds=int(config.get("xor_folds", 0)),
        features=tuple(_feature(f) for f in schema["features"]),
        kdf_hash=kdf.get("hash", "SHA256"),
        kdf_salt=_b64(kdf.get("salt")),
        kdf_info=_b64(kdf.get("info")),
        kdf_key_size=int(kdf.get("keySize", DEFAULT_KEY_SIZE)),
    )
    bits = parsed.hash_bits
    if bits <= 0 or bits & (bits - 1):
        raise ClkSchemaError(f"l * 2**xor_folds must be a power of two for blakeHash, not {bits}")
    if not 0 < parsed.kdf_key_size <= hashlib.blake2b.MAX_KEY_SIZE:
        raise ClkSchemaError(f"keySize must be 1 to {hashlib.blake2b.MAX_KEY_SIZE} bytes")
    return parsed


def feature_keys(secret: bytes, schema: ClkSchema) -> tuple[bytes, ...]:
    """The BLAKE2b key of each feature, derived from ``secret`` as clkhash derives it."""
    keys = hkdf_expand_keys(
        secret,
        KEYS_PER_FEATURE * len(schema.features),
        key_size=schema.kdf_key_size,
        hash_name=schema.kdf_hash,
        salt=schema.kdf_salt,
        info=schema.kdf_info,
    )
    return keys[::KEYS_PER_FEATURE]


def token_bits(token: str, key: bytes, k: int, length: int, encoding: str = "utf-8") -> int:
    """The filter of one token, as a ``length``-bit integer (bit ``i`` of the filter is
    integer bit ``length - 1 - i``): ``k`` keyed BLAKE2b words, each modulo ``length``."""
    data = token.encode(encoding)
    words: tuple[int, ...] = ()
    for salt in range((k + _WORDS_PER_DIGEST - 1) // _WORDS_PER_DIGEST):
        digest = hashlib.blake2b(data, key=key, salt=str(salt).encode()).digest()
        words += _WORDS.unpack(digest)
    top = length - 1
    bits = 0
    for word in words[:k]:
        bits |= 1 << (top - word % length)
    return bits


def fold(bits: int, length: int, folds: int) -> int:
    """XOR-fold a ``length``-bit filter ``folds`` times (first half XOR second half)."""
    for _ in range(folds):
        length //= 2
        bits = (bits >> length) ^ (bits & ((1 << length) - 1))
    return bits


def filter_bits(record: Sequence[str], keys: Sequence[bytes], schema: ClkSchema) -> int:
    """The filter of one record (one value per feature) as an ``l``-bit integer.

    This is the slow, obviously-correct path (clkhash's ``crypto_bloom_filter``); the
    encoder caches token filters instead (see ``padan.owner.bloom``).
    """
    bits = 0
    for value, feature, key in zip(record, schema.features, keys, strict=True):
        if not feature.hashed:
            continue
        tokens = feature.tokenization.tokens(feature.prepare(value))
        for token, k in zip(tokens, feature.bits_per_token(len(tokens)), strict=True):
            bits |= token_bits(token, key, k, schema.hash_bits, feature.encoding)
    return fold(bits, schema.hash_bits, schema.xor_folds)


def to_bytes(bits: int, length: int) -> bytes:
    """A ``length``-bit filter integer as the bytes of clkhash's ``bitarray.tobytes()`` (a
    length that is not a multiple of 8 is padded with zero bits at the end, as bitarray's)."""
    pad = -length % 8
    return (bits << pad).to_bytes((length + pad) // 8, "big")


def bloom_filters(
    records: Iterable[Sequence[str]], secret: bytes, schema: ClkSchema
) -> Iterator[bytes]:
    """Filters of ``records`` under a field key ``secret``, as clkhash's ``generate_clks``
    (without its base64 step) would give them, one ``bytes`` per record."""
    keys = feature_keys(secret, schema)
    for record in records:
        yield to_bytes(filter_bits(record, keys, schema), schema.l)
