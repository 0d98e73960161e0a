"""padan's own filter builder (padan.owner.clk) is bit-identical to clkhash, the reference.

clkhash is a dev dependency only (its pins would block installing padan as a tool).
"""

from __future__ import annotations

import base64
import copy
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from padan.core.schema import load_linkage_schema
from padan.owner.clk import ClkSchemaError, bloom_filters, parse_clk_schema

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from clkhash.bloomfilter import stream_bloom_filters
    from clkhash.key_derivation import generate_key_lists
    from clkhash.schema import from_json_dict

INDONESIAN_NAMES = [
    "siti aminah",
    "hj. nurul hidayah s.pd",
    "moch. ridwan",
    "muhammad rizky",
    "dewi sartika",
    "i gusti ayu putu",
    "soeharto",
    "djoko susilo",
    "ni luh putu",
    "wayan",
    "3673015708900003",
    "17081975",
    "ṣaleh",
    "",
    "a",
]
TEXT = st.one_of(
    st.sampled_from(INDONESIAN_NAMES),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz .'-éö0123456789", max_size=30),
    st.text(max_size=12),  # any unicode, including surrogates-free astral characters
)


def _feature(draw: st.DrawFn) -> dict:
    comparison = draw(
        st.one_of(
            st.builds(
                lambda n, p: {"type": "ngram", "n": n, "positional": p},
                st.integers(1, 4),
                st.booleans(),
            ),
            st.just({"type": "exact"}),
        )
    )
    strategy = draw(
        st.one_of(
            st.builds(lambda k: {"bitsPerToken": k}, st.integers(1, 70)),
            st.builds(lambda k: {"bitsPerFeature": k}, st.integers(1, 300)),
        )
    )
    hashing = {"comparison": comparison, "strategy": strategy, "hash": {"type": "blakeHash"}}
    if draw(st.booleans()):
        hashing["missingValue"] = {"sentinel": "N/A", "replaceWith": draw(TEXT)}
    return {
        "identifier": "f",
        "format": {"type": "string", "encoding": "utf-8"},
        "hashing": hashing,
    }


@st.composite
def schemas(draw: st.DrawFn) -> dict:
    features = [_feature(draw) for _ in range(draw(st.integers(1, 3)))]
    for i, feature in enumerate(features):
        feature["identifier"] = f"f{i}"
    kdf = {"type": "HKDF", "hash": draw(st.sampled_from(["SHA256", "SHA512"]))}
    if draw(st.booleans()):
        kdf["salt"] = base64.b64encode(draw(st.binary(max_size=16))).decode()
        kdf["info"] = base64.b64encode(draw(st.binary(max_size=16))).decode()
    kdf["keySize"] = draw(st.sampled_from([16, 32, 64]))
    return {
        "version": 3,
        "clkConfig": {
            "l": draw(st.sampled_from([64, 128, 256, 1024])),
            "xor_folds": draw(st.integers(0, 2)),
            "kdf": kdf,
        },
        "features": features,
    }


def _clkhash(records: list[list[str]], secret: bytes, schema: dict) -> list[bytes]:
    parsed = from_json_dict(copy.deepcopy(schema))
    keys = generate_key_lists(
        secret,
        len(parsed.fields),
        key_size=parsed.kdf_key_size,
        salt=parsed.kdf_salt,
        info=parsed.kdf_info,
        kdf=parsed.kdf_type,
        hash_algo=parsed.kdf_hash,
    )
    return [f[0].tobytes() for f in stream_bloom_filters(records, keys, parsed)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas(), st.data(), st.binary(min_size=1, max_size=40))
def test_filters_equal_clkhash_on_random_schemas_and_values(
    schema: dict, data: st.DataObject, secret: bytes
) -> None:
    width = len(schema["features"])
    records = data.draw(st.lists(st.lists(TEXT, min_size=width, max_size=width), max_size=8))
    ours = list(bloom_filters(records, secret, parse_clk_schema(schema)))
    assert ours == _clkhash(records, secret, schema)


@pytest.mark.parametrize("field", [f.name for f in load_linkage_schema().filters])
def test_filters_equal_clkhash_for_every_shipped_field(field: str) -> None:
    spec = next(f for f in load_linkage_schema().filters if f.name == field).clkhash()
    records = [[name] for name in INDONESIAN_NAMES] + [["P"], ["L"], ["serang"]]
    secret = b"padan field key " + field.encode()
    assert list(bloom_filters(records, secret, parse_clk_schema(spec))) == _clkhash(
        records, secret, spec
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(version=2), "version"),
        (lambda s: s["clkConfig"].update(l=96), "power of two"),
        (lambda s: s["features"][0]["hashing"].update(hash={"type": "doubleHash"}), "blakeHash"),
        (lambda s: s["features"][0]["hashing"].update(comparison={"type": "numeric"}), "numeric"),
        (lambda s: s["clkConfig"]["kdf"].update(type="legacy"), "HKDF"),
    ],
)
def test_unsupported_schemas_are_refused_by_name(change, message: str) -> None:
    spec = load_linkage_schema().filters[0].clkhash()
    change(spec)
    with pytest.raises(ClkSchemaError, match=message):
        parse_clk_schema(spec)
