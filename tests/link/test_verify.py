"""Package verification: packages of an older linkage schema are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from padan.core.errors import VerificationError
from padan.formats.package import write_package
from padan.link.verify import load_packages
from padan.trust.secret import key_check_value


def _old_package(path: Path, parties, **manifest) -> Path:
    fields = {
        "org": parties.registry.card.org,
        "role": "registry",
        "dataset": path.stem,
        "record_count": 0,
        "schema": "padan-v1",
        "schema_fingerprint": "ab" * 32,
        "key_check": key_check_value(parties.secret),
        "clk_bytes": 344,
        **manifest,
    }
    write_package(path, fields, {"records.parquet": b"PAR1"}, parties.registry)
    return path


def test_v1_package_is_refused_naming_its_version(tmp_path: Path, parties) -> None:
    # A v1 package names its schema but no version (the field came with v2).
    old = _old_package(tmp_path / "siak-v1.padan", parties)
    with pytest.raises(VerificationError) as refused:
        load_packages([old], parties.trusted)
    message = str(refused.value)
    assert "siak-v1.padan" in message
    assert "padan-v1 (version 1)" in message
    assert "needs version 2" in message and "re-encode" in message


def test_a_package_claiming_v2_with_another_schema_is_refused(tmp_path: Path, parties) -> None:
    forged = _old_package(tmp_path / "x.padan", parties, schema="padan-v2", schema_version=2)
    with pytest.raises(VerificationError, match="fingerprints differ"):
        load_packages([forged], parties.trusted)
