"""The signed package container (``*.padan``): the only file that leaves a data owner.

A package is a ZIP archive, stored (no compression), written in a canonical form: fixed
member order (``manifest.json``, ``signature.sig``, ``signer.card.json``, then the data
members by name), fixed timestamps and attributes. It holds

* ``manifest.json``: canonical JSON (format ``padan-package/1``, org, dataset role and
  label, record count, linkage-schema fingerprint, key-check value, tool version, creation
  time, SHA-256 of every data member, and extra facts from the encoder);
* ``signature.sig``: Ed25519 over the manifest bytes, bound to the signer's fingerprint;
* ``signer.card.json``: the signer's identity card, checked against the reader's trust list;
* the data members (e.g. ``records.parquet``).

Reading verifies the signature, the signer's trust, every member hash, that no member
is missing or extra, and that the file is byte-for-byte the canonical ZIP of its
content; so changing any byte of the file is detected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from padan.core.canonical import canonical_json, utc_timestamp
from padan.core.errors import InputError, VerificationError
from padan.core.files import atomic_open
from padan.core.types import Manifest, Role
from padan.core.version import __version__
from padan.trust.cards import Card, card_from_dict
from padan.trust.identity import Identity
from padan.trust.sealing import check_trusted, sign_detached, verify_detached

PACKAGE_FORMAT = "padan-package/1"
MANIFEST = "manifest.json"
SIGNATURE = "signature.sig"
SIGNER_CARD = "signer.card.json"
RESERVED = (MANIFEST, SIGNATURE, SIGNER_CARD)
SIGNATURE_PURPOSE = "package-manifest"

_MEMBER_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Manifest fields the caller may give; any other key goes to ``Manifest.extra``.
_CALLER_FIELDS = ("org", "role", "dataset", "record_count", "schema_fingerprint", "key_check")
# Exceptions zipfile may raise on a damaged archive (it reads untrusted offsets/sizes).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
    OverflowError,
)


def _canonical_zip(entries: Mapping[str, bytes]) -> bytes:
    """The ZIP bytes for ``entries`` (in the given order): same entries, same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, whatever the platform writing it
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _ordered_entries(
    manifest: bytes, signature: bytes, card: bytes, members: Mapping[str, bytes]
) -> dict[str, bytes]:
    entries = {MANIFEST: manifest, SIGNATURE: signature, SIGNER_CARD: card}
    entries.update((name, members[name]) for name in sorted(members))
    return entries


def _manifest_to_dict(manifest: Manifest) -> dict[str, Any]:
    return dataclasses.asdict(manifest)


def _check_manifest(manifest: Manifest) -> None:
    """Raise ``ValueError`` describing the first field with an impossible value."""
    if manifest.role not in get_args(Role):
        raise ValueError(f"role must be registry or list, not {manifest.role!r}")
    if not isinstance(manifest.dataset, str) or not manifest.dataset:
        raise ValueError("dataset label must be a non-empty string")
    if not isinstance(manifest.record_count, int) or manifest.record_count < 0:
        raise ValueError("record_count must be a non-negative integer")
    if not isinstance(manifest.schema_fingerprint, str) or not _HEX64.fullmatch(
        manifest.schema_fingerprint
    ):
        raise ValueError("schema_fingerprint must be 64 hex digits")
    if not isinstance(manifest.key_check, str) or not _HEX32.fullmatch(manifest.key_check):
        raise ValueError("key_check must be 32 hex digits")
    for name in manifest.members:
        if not _MEMBER_PATTERN.fullmatch(name) or name in RESERVED:
            raise ValueError(f"invalid member name {name!r}")


def _manifest_from_dict(data: object) -> Manifest:
    if not isinstance(data, dict):
        raise ValueError("manifest is not a JSON object")
    if data.get("format") != PACKAGE_FORMAT:
        raise ValueError(f"unknown package format {data.get('format')!r}")
    if set(data) != {field.name for field in dataclasses.fields(Manifest)}:
        raise ValueError("manifest fields are not those of " + PACKAGE_FORMAT)
    if not isinstance(data["members"], dict) or not isinstance(data["extra"], dict):
        raise ValueError("manifest members/extra must be objects")
    manifest = Manifest(**data)
    _check_manifest(manifest)
    return manifest


def write_package(
    path: str | os.PathLike[str],
    manifest_fields: Mapping[str, Any],
    members: Mapping[str, bytes],
    signer: Identity,
) -> Manifest:
    """Write a signed package atomically and return its manifest.

    ``manifest_fields`` holds ``role`` (registry|list), ``dataset``, ``record_count``,
    ``schema_fingerprint`` and ``key_check``; ``org`` (if given) must be the signer's and
    ``tool_version`` (if given) this padan's; ``created`` is optional (default: now);
    any other key is kept in ``Manifest.extra``. ``members`` maps member names (letters,
    digits, ``._-``) to their bytes.
    """
    if signer.card.role != "owner":
        raise InputError(f"{signer.card.label} is a {signer.card.role}; only owners make packages")
    fields = dict(manifest_fields)
    if fields.setdefault("org", signer.card.org) != signer.card.org:
        raise ValueError(f"manifest org {fields['org']!r} is not the signer {signer.card.org!r}")
    if fields.pop("tool_version", __version__) != __version__:
        raise ValueError("tool_version is set by padan itself")
    missing = [name for name in _CALLER_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"manifest fields missing: {', '.join(missing)}")
    given = {name: fields.pop(name) for name in _CALLER_FIELDS}
    created = fields.pop("created", None) or utc_timestamp()
    manifest = Manifest(
        format=PACKAGE_FORMAT,
        tool_version=__version__,
        created=created,
        members={name: hashlib.sha256(data).hexdigest() for name, data in sorted(members.items())},
        extra=fields,  # whatever is left
        **given,
    )
    _check_manifest(manifest)
    manifest_bytes = canonical_json(_manifest_to_dict(manifest))
    signature = sign_detached(manifest_bytes, signer=signer, purpose=SIGNATURE_PURPOSE)
    card_bytes = canonical_json(signer.card.to_dict())
    archive = _canonical_zip(_ordered_entries(manifest_bytes, signature, card_bytes, members))
    with atomic_open(path, "wb") as handle:
        handle.write(archive)
    return manifest


def _read_entries(path: Path, data: bytes) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(set(names)) != len(names):
                raise VerificationError(f"{path}: package has duplicate members (modified)")
            return {name: archive.read(name) for name in names}
    except _ZIP_ERRORS as exc:
        raise VerificationError(
            f"{path}: not a readable padan package (damaged or modified: {exc})"
        ) from None


def _verify(
    path: str | os.PathLike[str], trusted: Mapping[str, Card] | None
) -> tuple[Manifest, dict[str, bytes], Card]:
    """Every check of ``read_package``; with ``trusted=None`` the embedded card is used."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"package not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read package {path}: {exc}") from None
    entries = _read_entries(path, data)
    missing = [name for name in RESERVED if name not in entries]
    if missing:
        raise VerificationError(f"{path}: not a padan package (missing {', '.join(missing)})")
    try:
        card = card_from_dict(json.loads(entries[SIGNER_CARD]), source="the signer's card")
    except (ValueError, UnicodeDecodeError, VerificationError) as exc:
        raise VerificationError(f"{path}: damaged or modified: {exc}") from None
    if trusted is not None:
        check_trusted(card, trusted, f"package {path.name}")
    try:
        verify_detached(
            entries[MANIFEST], entries[SIGNATURE], signer=card, purpose=SIGNATURE_PURPOSE
        )
    except VerificationError:
        raise VerificationError(
            f"{path}: the signature by {card.label} does not match the manifest "
            "(package damaged or modified)"
        ) from None
    try:
        manifest = _manifest_from_dict(json.loads(entries[MANIFEST]))
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        raise VerificationError(f"{path}: invalid manifest: {exc}") from None
    if manifest.org != card.org or card.role != "owner":
        raise VerificationError(f"{path}: manifest of {manifest.org} signed by {card.label}")
    members = {name: entries[name] for name in entries if name not in RESERVED}
    if set(members) != set(manifest.members):
        raise VerificationError(f"{path}: members differ from the manifest (modified)")
    for name, content in members.items():
        if hashlib.sha256(content).hexdigest() != manifest.members[name]:
            raise VerificationError(f"{path}: member {name} does not match its hash (modified)")
    canonical = _canonical_zip(
        _ordered_entries(entries[MANIFEST], entries[SIGNATURE], entries[SIGNER_CARD], members)
    )
    if canonical != data:
        # Content verified, but the ZIP structure around it was altered.
        raise VerificationError(f"{path}: the package's ZIP structure was modified")
    return manifest, members, card


def read_package(
    path: str | os.PathLike[str], trusted: Mapping[str, Card]
) -> tuple[Manifest, dict[str, bytes], Card]:
    """Verify a package and return ``(manifest, data members, signer card)``.

    Raises ``VerificationError`` (naming the problem) if the file is not a readable ZIP,
    the signer is not in ``trusted``, the signature or a member hash fails, a member is
    missing or extra, the format is unknown, or any byte differs from the canonical form.
    """
    return _verify(path, trusted)


def inspect_package(
    path: str | os.PathLike[str], trusted: Mapping[str, Card] | None = None
) -> dict[str, Any]:
    """What ``padan inspect`` prints: the verified manifest, members and signer.

    Without ``trusted`` the signature is checked against the card inside the package,
    which proves integrity but not who signed; the result says so under ``trust``.
    """
    manifest, members, card = _verify(path, trusted)
    return {
        "file": str(path),
        **_manifest_to_dict(manifest),
        "members": {
            name: {"bytes": len(content), "sha256": manifest.members[name]}
            for name, content in members.items()
        },
        "signer": card.org,
        "signer_fingerprint": card.short_fingerprint,
        "signature": "valid",
        "trust": (
            "signer is in the trust list"
            if trusted is not None
            else "NOT checked against a trust list (use --trust DIR)"
        ),
    }
