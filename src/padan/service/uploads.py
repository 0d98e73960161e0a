"""Resumable package uploads: announced, sent in chunks at offsets, verified on completion.

An owner announces a package (size and SHA-256), then sends it in chunks, each at the
offset the server has durably received (``PATCH`` with ``Upload-Offset``). Chunks are
streamed to ``DIR/rounds/ID/uploads/UPLOAD.part``; the database holds the offset, and a
file longer than it (a write cut off by a crash) is cut back before the next chunk. When
the last byte arrives the package is checked exactly as ``padan link`` checks it
(``padan.link.run.verify_package``: signature, trusted signer, schema, record count; and
``check_same_linkage``: the same secret as the packages already received), then moved to
``DIR/rounds/ID/packages/ORG.padan``.

Why not tus: offsets on a signed ``PATCH`` are all the protocol padan needs (the signature
already names the sender and covers the chunk's digest); a tus server would add a second
protocol, its own storage layer and a dependency, for no capability the owners lack.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import zipfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from padan.core.errors import PadanError
from padan.core.types import Manifest
from padan.formats.package import MANIFEST
from padan.service.auth import Refused
from padan.service.models import Party, Round, Upload, utcnow
from padan.service.rounds import audit, current_uploads, round_dir
from padan.trust.cards import Card

if TYPE_CHECKING:  # the linker (numba) is imported when the first package arrives
    from padan.link.verify import LoadedPackage

MAX_UPLOAD = 4 * 1024**3
"""Default largest package (4 GiB; a city registry of 700 000 rows is ~130 MB)."""
MAX_CHUNK = 64 * 1024**2
"""Largest chunk per request; the client sends 8 MiB chunks."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits of uploads, in bytes."""

    upload: int = MAX_UPLOAD
    chunk: int = MAX_CHUNK


def part_path(data_dir: Path, upload: Upload) -> Path:
    """Where an upload's bytes are gathered."""
    return round_dir(data_dir, upload.round_id) / "uploads" / f"{upload.id}.part"


def package_path(data_dir: Path, round_id: str, org: str) -> Path:
    """Where a party's verified package is kept."""
    return round_dir(data_dir, round_id) / "packages" / f"{org}.padan"


def start_upload(
    session: Session,
    rnd: Round,
    party: Party,
    *,
    size: int,
    sha256: str,
    replace: bool,
    limits: Limits,
) -> Upload:
    """Announce an upload; an unfinished one of the same file is resumed, not restarted.

    Refuses an over-size package (413), and a second package from a party that already
    has one unless ``replace`` is given (409).
    """
    if rnd.state == "purged":
        raise Refused(410, "purged", f"round {rnd.id} was purged (retention)")
    if rnd.state == "running":
        raise Refused(409, "run_in_progress", "the round is being linked; send again later")
    if size > limits.upload:
        raise Refused(
            413, "too_large", f"package of {size:,} bytes exceeds the limit of {limits.upload:,}"
        )
    if size <= 0 or len(sha256) != 64:
        raise Refused(422, "bad_request", "announce the package's size and SHA-256")
    current = current_uploads(session, rnd.id).get(party.fingerprint)
    if current is not None and current.state == "verified" and not replace:
        raise Refused(
            409,
            "already_uploaded",
            f"{party.org} already sent a package to this round; send with --replace to replace it",
        )
    unfinished = session.scalars(
        select(Upload).where(
            Upload.round_id == rnd.id,
            Upload.fingerprint == party.fingerprint,
            Upload.state == "partial",
            Upload.sha256 == sha256,
            Upload.size == size,
        )
    ).first()
    if unfinished is not None:
        return unfinished
    upload = Upload(
        id=secrets.token_hex(16),
        round_id=rnd.id,
        fingerprint=party.fingerprint,
        size=size,
        sha256=sha256,
        offset=0,
        state="partial",
    )
    session.add(upload)
    audit(session, "upload started", party.org, rnd.id, bytes=size, sha256=sha256)
    return upload


def check_chunk(upload: Upload, offset: int, length: int | None, limits: Limits) -> None:
    """Refuse a chunk at the wrong offset (409) or past the announced size (413)."""
    if upload.state != "partial":
        raise Refused(409, "upload_closed", f"upload is {upload.state}, not open for data")
    if offset != upload.offset:
        raise Refused(
            409, "offset_mismatch", f"upload is at byte {upload.offset:,}, not {offset:,}"
        )
    if length is not None and (length > limits.chunk or offset + length > upload.size):
        raise Refused(413, "too_large", "chunk is larger than allowed or than the announced size")


async def receive_chunk(
    path: Path, offset: int, stream: AsyncIterator[bytes], room: int, chunk_limit: int
) -> tuple[int, bytes]:
    """Append a request body to ``path`` at ``offset``; return (bytes written, SHA-256).

    The file is first cut back to ``offset`` (bytes past it are leftovers of a write the
    server did not acknowledge). Stops with 413 as soon as the body exceeds ``room`` or
    ``chunk_limit``; the file is cut back again then, so a refused chunk leaves nothing.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written = 0
    with open(path, "ab") as handle:
        handle.truncate(offset)
        try:
            async for piece in stream:
                written += len(piece)
                if written > min(room, chunk_limit):
                    raise Refused(413, "too_large", "chunk exceeds the announced package size")
                digest.update(piece)
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            handle.truncate(offset)
            raise
    return written, digest.digest()


def _file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, ``None`` if it is gone (lost in a crash: the owner sends again)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _stored_package(path: Path, signer: Card) -> LoadedPackage | None:
    """A package verified when it arrived, with its manifest only (no records).

    Enough for ``check_same_linkage``, which compares manifests; reading every earlier
    package again on each upload would make a round of n owners cost n² verifications.
    ``None`` if the stored file can no longer be read: the run will refuse it then.
    """
    from padan.link.verify import LoadedPackage

    try:
        with zipfile.ZipFile(path) as archive:
            manifest = Manifest(**json.loads(archive.read(MANIFEST)))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TypeError):
        return None
    return LoadedPackage(path, manifest, signer, table=None)  # type: ignore[arg-type]


def finish_upload(
    session: Session,
    data_dir: Path,
    rnd: Round,
    party: Party,
    upload: Upload,
    trusted: Mapping[str, Card],
) -> None:
    """Verify a complete upload as ``padan link`` would and keep it as the party's package.

    On refusal the upload is marked rejected with the reason, its bytes are removed, and
    ``Refused`` (422, ``package_refused``) carries the same message as ``padan link``.
    """
    from padan.link.verify import check_same_linkage, verify_package

    path = part_path(data_dir, upload)
    shown = f"{party.org}.padan"
    try:
        if _file_sha256(path) != upload.sha256:
            raise Refused(422, "package_refused", "upload damaged: SHA-256 differs from announced")
        loaded = verify_package(path, trusted)
        if loaded.signer.fingerprint != party.fingerprint:
            raise Refused(
                422,
                "package_refused",
                f"{shown}: signed by {loaded.signer.org}, not by the sender {party.org}",
            )
        if loaded.manifest.role != party.role:
            raise Refused(
                422,
                "package_refused",
                f"{shown}: a {loaded.manifest.role} package, but {party.org} is this round's "
                f"{party.role}",
            )
        if loaded.manifest.extra.get("schema") != rnd.schema:
            raise Refused(
                422, "package_refused", f"{shown}: not made with the round's schema {rnd.schema}"
            )
        current = current_uploads(session, rnd.id)
        stored = [
            _stored_package(package_path(data_dir, rnd.id, p.org), trusted[p.fingerprint])
            for p in rnd.parties
            if p.fingerprint != party.fingerprint
            and p.fingerprint in current
            and current[p.fingerprint].state == "verified"
        ]
        check_same_linkage([loaded, *(pkg for pkg in stored if pkg is not None)])
    except (PadanError, Refused) as exc:
        message = str(exc) if isinstance(exc, PadanError) else exc.message
        message = message.replace(str(path), shown).replace(path.name, shown)
        upload.state, upload.error, upload.finished = "rejected", message, utcnow()
        path.unlink(missing_ok=True)
        audit(session, "upload refused", party.org, rnd.id, sha256=upload.sha256, reason=message)
        raise Refused(422, "package_refused", message) from None
    for earlier in session.scalars(
        select(Upload).where(
            Upload.round_id == rnd.id,
            Upload.fingerprint == party.fingerprint,
            Upload.state == "verified",
        )
    ):
        earlier.state = "replaced"
        audit(session, "upload replaced", party.org, rnd.id, sha256=earlier.sha256)
    target = package_path(data_dir, rnd.id, party.org)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, target)
    upload.state, upload.finished = "verified", utcnow()
    upload.records = loaded.manifest.record_count
    audit(
        session,
        "upload verified",
        party.org,
        rnd.id,
        sha256=upload.sha256,
        bytes=upload.size,
        records=loaded.manifest.record_count,
    )
