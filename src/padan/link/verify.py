"""Verify the packages of one linkage run: signature, trusted signer, schema, secret.

Every refusal names the package and the reason; a run starts only from packages that
belong together (one registry, same linkage schema, same linkage secret).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from padan.core.errors import InputError, VerificationError
from padan.core.schema import field_layouts, load_linkage_schema, schema_fingerprint
from padan.core.types import Manifest
from padan.formats.package import read_package
from padan.formats.records import RecordsTable, from_parquet
from padan.trust.cards import Card


@dataclass(slots=True)
class LoadedPackage:
    """A verified package: where it came from, its manifest, signer and records."""

    path: Path
    manifest: Manifest
    signer: Card
    table: RecordsTable


def manifest_value(manifest: Manifest, key: str) -> Any:
    if key not in manifest.extra:
        raise VerificationError(f"package of {manifest.org} lacks '{key}' in its manifest")
    return manifest.extra[key]


def verify_package(path: Path, trusted: Mapping[str, Card]) -> LoadedPackage:
    """Verify and read one package: signature, trusted signer, schema and record count."""
    manifest, members, signer = read_package(path, trusted)
    schema_name = manifest_value(manifest, "schema")
    if manifest.schema_fingerprint != schema_fingerprint(schema_name):
        raise VerificationError(
            f"{path.name}: made with a different linkage schema than this coordinator's "
            f"'{schema_name}' (schema fingerprints differ)"
        )
    width = sum(f.n_bytes for f in field_layouts(load_linkage_schema(schema_name)))
    table = from_parquet(members["records.parquet"], width)
    if len(table) != manifest.record_count:
        raise VerificationError(f"{path.name}: record count differs from its manifest")
    if not len(table):
        raise InputError(
            f"{path.name} holds no records (made from an empty or header-only file): "
            "encode a file with data rows"
        )
    return LoadedPackage(path, manifest, signer, table)


def check_same_linkage(loaded: Sequence[LoadedPackage]) -> None:
    """Refuse packages made with different linkage schemas or secrets (key-check values)."""
    first = loaded[0]
    for pkg in loaded[1:]:
        if pkg.manifest.schema_fingerprint != first.manifest.schema_fingerprint:
            raise VerificationError(
                f"{pkg.path.name} and {first.path.name} use different linkage schemas"
            )
        if pkg.manifest.key_check != first.manifest.key_check:
            raise VerificationError(
                f"{pkg.path.name} was made with a different linkage secret than "
                f"{first.path.name} (key-check values differ)"
            )


def load_packages(paths: Sequence[Path], trusted: Mapping[str, Card]) -> list[LoadedPackage]:
    """Verify and read packages; refuse any that do not belong to one linkage run."""
    if not paths:
        raise InputError("no packages given")
    loaded = [verify_package(path, trusted) for path in paths]
    check_same_linkage(loaded)
    registries = [p for p in loaded if p.manifest.role == "registry"]
    if len(registries) != 1:
        raise InputError(
            f"exactly one registry package is needed, got {len(registries)} "
            "(encode the registry with --role registry)"
        )
    return loaded
