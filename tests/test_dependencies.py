"""Runtime dependencies install anywhere; the dev-only references (clkhash, anonlink) still
work under this project's overridden pins (cryptography >= 46, bitarray >= 3)."""

from __future__ import annotations

import base64
import subprocess
import sys
import warnings
from importlib.metadata import requires, version

from packaging.version import Version

_SCHEMA = {
    "version": 3,
    "clkConfig": {
        "l": 256,
        "kdf": {
            "type": "HKDF",
            "hash": "SHA256",
            "salt": base64.b64encode(b"padan-dependency-test").decode(),
            "info": base64.b64encode(b"padan").decode(),
            "keySize": 64,
        },
    },
    "features": [
        {
            "identifier": "name",
            "format": {"type": "string", "encoding": "utf-8"},
            "hashing": {
                "comparison": {"type": "ngram", "n": 2},
                "strategy": {"bitsPerToken": 10},
                "hash": {"type": "blakeHash"},
            },
        }
    ],
}


def test_overridden_pins_are_in_force() -> None:
    assert Version(version("cryptography")) >= Version("46")
    assert Version(version("bitarray")) >= Version("3")


def test_clkhash_encodes_and_anonlink_scores_with_current_pins() -> None:
    from clkhash.clk import generate_clks
    from clkhash.schema import from_json_dict

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # anonlink imports pkg_resources
        from anonlink.similarities import dice_coefficient

    schema = from_json_dict(_SCHEMA)
    clks = generate_clks([["sri wahyuni"], ["sri wahyuni"], ["bambang"]], schema, "s3cret")
    assert len(clks) == 3 and all(len(c) == 256 for c in clks)
    assert clks[0] == clks[1] and 0 < clks[0].count() < 256
    other = generate_clks([["sri wahyuni"]], schema, "another secret")[0]
    assert other != clks[0]

    candidates = dice_coefficient([clks[:1], clks[1:]], threshold=0.0)
    sims = sorted(candidates[0])
    assert max(sims) == 1.0 and min(sims) < 0.5


def test_runtime_needs_neither_clkhash_nor_anonlink() -> None:
    runtime = [r for r in requires("padan") or [] if "extra ==" not in r]
    assert not [r for r in runtime if r.split()[0].startswith(("clkhash", "anonlink"))]
    # The whole owner and coordinator paths import without them.
    code = (
        "import sys, padan.cli, padan.owner.encode, padan.owner.reconcile, padan.link.run, "
        "padan.demo; bad = [m for m in sys.modules if m.split('.')[0] in "
        "('clkhash', 'anonlink', 'pkg_resources')]; print(bad); sys.exit(bool(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
