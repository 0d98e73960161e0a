"""The red team's material: two packages of one synthetic city, their truth, a leaked list.

``padan synth`` makes a registry (``siak.csv``) and a CKG list (``ckg.csv``); both are
encoded through the real ``encode_files`` path under the chosen linkage schema, with
in-memory identities and a fixed linkage secret (so runs repeat; it never leaves this
process). The attacker gets the packages' columns (``padan.owner.risk``) and the
*leaked list*: the registry's plaintext rows without NIK, No. KK, mother's name and
birth place (so: name, sex, birth date, address, kecamatan), shuffled. The truth (each
package row's plaintext record and person id) is only for scoring.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from benchmarks.privacy.v1 import V1, schema_data
from padan.core.schema import schema_fingerprint
from padan.core.types import Record

# padan internals used by the benchmark (kept in one place for the layout refactor).
from padan.formats.keymap import read_keymap
from padan.formats.package import read_package
from padan.owner.encode import encode_files
from padan.owner.records import read_records
from padan.owner.risk import PackageColumns, read_package_columns
from padan.synth import SynthOptions, generate
from padan.trust.identity import new_identity
from padan.trust.secret import LinkageSecret

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "privacy"


@dataclass(slots=True)
class Side:
    """One owner's package as the attacker sees it, and its truth (for scoring only)."""

    columns: PackageColumns
    records: list[Record]  # plaintext record of each package row
    person: np.ndarray  # person id of each package row


@dataclass(slots=True)
class Leaked:
    """The leaked plaintext population list (no NIK, No. KK, mother's name or birth
    place), in its own order: one stripped record per registry row."""

    records: list[Record]
    kecamatan: list[str]  # 6-digit region code of the home kecamatan
    person: np.ndarray  # truth: the person of each row


def leak(record: Record) -> Record:
    """What a leaked population list holds of a record."""
    return replace(record, nik=None, nik_prefix=None, kk=None, mother_name=None, birth_place=None)


@dataclass(slots=True)
class Corpus:
    """Everything one red-team run works on."""

    people: int
    schema: str
    folder: Path  # the synthetic data and both packages
    registry: Side
    list: Side
    leaked: Leaked


def _fixed_secret(fingerprint: str) -> LinkageSecret:
    secret = hashlib.sha256(b"padan red-team benchmark").digest()
    return LinkageSecret("00" * 16, secret, fingerprint, "redteam-owner", ("redteam-owner",))


def _persons(folder: Path) -> dict[tuple[str, int], str]:
    with (folder / "truth.csv").open(encoding="utf-8") as handle:
        return {(r["source"], int(r["row"])): r["person_id"] for r in csv.DictReader(handle)}


def _encoded(folder: Path, csv_name: str, role: str, schema: str) -> Side:
    """Encode one CSV (once; cached beside it) and return its package rows with truth."""
    stem = schema if schema == V1 else schema_fingerprint(schema)[:12]
    package = folder / f"{stem}-{role}.padan"
    keymap = package.with_name(package.stem + ".keymap.parquet")
    if not package.exists() or not keymap.exists():
        if schema == V1:
            raise FileNotFoundError(f"{package}: v1 packages are fixtures (padan encodes v2 only)")
        encode_files(
            [folder / csv_name],
            identity=new_identity("redteam-owner", "owner"),
            secret=_fixed_secret(schema_fingerprint(schema)),
            out=package,
            role=role,  # type: ignore[arg-type]
            schema_name=schema,
        )
    columns = read_package_columns(package, schema_data(schema))
    # The keymap lists rows in source order (rejected rows too): map by record id.
    row_of = {r.record_id: r.row for r in read_keymap(keymap).rows if r.record_id is not None}
    _, members, _ = read_package(package, None)
    ids = pq.read_table(io.BytesIO(members["records.parquet"]), columns=["record_id"])
    rows = [row_of[record_id] for record_id in ids.column("record_id").to_pylist()]
    by_row = {r.ref.row: r for r in read_records([folder / csv_name])}
    persons = _persons(folder)
    return Side(
        columns,
        [by_row[row] for row in rows],
        np.array([persons[csv_name, row] for row in rows]),
    )


def _leaked(folder: Path, registry: Side, seed: int) -> Leaked:
    with (folder / "siak.csv").open(encoding="utf-8") as handle:
        kecamatan = {
            i + 2: r["NO_PROP"] + r["NO_KAB"] + r["NO_KEC"]
            for i, r in enumerate(csv.DictReader(handle))
        }
    order = np.random.default_rng(seed).permutation(len(registry.records))
    return Leaked(
        [leak(registry.records[i]) for i in order],
        [kecamatan[registry.records[i].ref.row] for i in order],
        registry.person[order],
    )


def corpus(people: int, schema: str, *, seed: int = 1, cache: Path = CACHE) -> Corpus:
    """Synthesise ``people`` (cached), encode both owners under ``schema``, leak the list."""
    folder = cache / f"serang-{people}-seed{seed}"
    if not (folder / "truth.csv").exists():
        generate(folder, SynthOptions(people=people, seed=seed))
    registry = _encoded(folder, "siak.csv", "registry", schema)
    return Corpus(
        people,
        schema,
        folder,
        registry,
        _encoded(folder, "ckg.csv", "list", schema),
        _leaked(folder, registry, seed),
    )
