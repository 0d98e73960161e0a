"""The encode stage: input rows → a signed package, a local keymap and a local rejects file.

Every input row is either encoded or listed in the rejects file with a reason
(rows read = encoded + rejected). The package holds only random record ids, field-level
Bloom filters of free text, keyed exact tokens, keyed blocking keys and the
comparison-level tokens bound to them, in shuffled order.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from padan.core.errors import InputError, VerificationError
from padan.core.files import worker_pool
from padan.core.schema import (
    Labels,
    LinkageSchema,
    load_linkage_schema,
    schema_named_by_fingerprint,
)
from padan.core.types import Record, Role, SourceRow
from padan.core.version import __version__
from padan.formats.keymap import Keymap, KeymapRow, keymap_paths, write_keymap, write_rejects
from padan.formats.package import write_package
from padan.formats.records import ID_BYTES, RecordsTable, USample, to_parquet
from padan.owner.bloom import FieldEncoder
from padan.owner.features import (
    BLOCK_SOURCES,
    FIELD_SOURCES,
    has_linkage_data,
    level_values,
    token_values,
)
from padan.owner.fingerprint import FINGERPRINT_LABEL, RowFingerprinter, fingerprint_key_check
from padan.owner.profiles import resolve_profile
from padan.owner.records import (
    RecordBuilder,
    identifier_damage,
    missing_warnings,
    open_records,
)
from padan.owner.tokens import LevelTokenizer, Tokenizer
from padan.trust.identity import Identity
from padan.trust.secret import LinkageSecret, derive_key, key_check_value

CHUNK_ROWS = 4096  # rows per task: small enough to keep every core busy
REASON_NO_DATA = (
    "Tidak ada nama, NIK, atau tanggal lahir yang dapat dipakai untuk pemadanan "
    "(no usable name, NIK or birth date)"
)


@dataclass(slots=True)
class EncodeSummary:
    """What an encode run did, for the CLI to print and the audit log to keep."""

    package: Path
    keymap: Path
    rejects: Path
    rows_read: int
    encoded: int
    rejected: int
    mean_fill: float
    dice_histogram: list[int]  # counts over 10 equal bins of [0, 1], random pairs
    seconds: float
    problems: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the package lacks by choice (``allow_missing``), and what that costs."""

    @property
    def records_per_second(self) -> float:
        """Encoding throughput over the whole run."""
        return self.rows_read / self.seconds if self.seconds else 0.0


def field_keys(secret: LinkageSecret, schema: LinkageSchema) -> dict[str, bytes]:
    """Bloom-filter keys by field name (label ``clk/<field>``)."""
    return {f.name: derive_key(secret, Labels.filter(f.name)) for f in schema.filters}


def field_rows(records: Sequence[Record], schema: LinkageSchema) -> list[list[str]]:
    """The filter encoder's input rows: each filter field's value, in schema order."""
    sources = [FIELD_SOURCES[f.source] for f in schema.filters]
    return [[source(r) for source in sources] for r in records]


class _Keys:
    """All keys an encoder needs, derived from the linkage secret with distinct labels."""

    def __init__(self, secret: LinkageSecret, schema: LinkageSchema):
        self.fields = field_keys(secret, schema)
        self.tokens = {
            k: Tokenizer(derive_key(secret, Labels.token(k))) for k in schema.exact_tokens
        }
        self.blocks = {
            k: Tokenizer(derive_key(secret, Labels.block(k))) for k in schema.blocking.keys
        }
        self.levels = LevelTokenizer(
            {k: derive_key(secret, Labels.level_token(k)) for k in schema.scoped_tokens},
            derive_key(secret, Labels.scope()),
            derive_key(secret, Labels.u_sample()),
            schema.scoped_token_bytes,
        )


def encode_records(
    records: Sequence[Record],
    keys: _Keys,
    schema: LinkageSchema,
    encoder: FieldEncoder,
    bucket_seed: tuple[int, int] | None = None,
) -> RecordsTable:
    """Encode records (all with linkage data) into a table with fresh random record ids."""
    clk = encoder.encode(field_rows(records, schema))
    values = [token_values(r) for r in records]
    tokens = {}
    for kind, tokenizer in keys.tokens.items():
        arr = np.zeros((len(records), 16), dtype=np.uint8)
        for i, tok in enumerate(tokenizer.tokens(v[kind] for v in values)):
            if tok is not None:
                arr[i] = np.frombuffer(tok, dtype=np.uint8)
        tokens[kind] = arr
    blocks = {
        kind: tokenizer.block_keys(BLOCK_SOURCES[kind](r) for r in records)
        for kind, tokenizer in keys.blocks.items()
    }
    # A random bucket per record, from the OS (a seeded demo: from its seed and the chunk's
    # number): nothing about the record decides it.
    if bucket_seed is None:
        draws = np.frombuffer(os.urandom(8 * len(records)), dtype=np.uint64)
    else:
        draws = np.random.default_rng(bucket_seed).integers(0, 2**63, len(records), dtype=np.uint64)
    buckets = draws % np.uint64(schema.decision.u_sample_buckets) + np.uint64(1)
    scoped, sample = keys.levels.scoped([level_values(r) for r in records], blocks, buckets)
    ids = np.frombuffer(os.urandom(ID_BYTES * len(records)), dtype=np.uint8)
    ids = ids.reshape(len(records), ID_BYTES).copy()
    return RecordsTable(ids, clk, tokens, blocks, scoped, USample(buckets, sample))


_FileProfile = tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]]
"""A file's headers, profile name and --map overrides: workers rebuild its RecordBuilder."""


@dataclass(slots=True)
class _Chunk:
    """What encoding one chunk of input rows gives back to the main process."""

    table: RecordsTable
    keymap: list[KeymapRow]
    """Every row of the chunk, in input order (record ids of the encoded ones set)."""
    problems: Counter[str]


class _ChunkEncoder:
    """One process's encoder: keys, caches, and the whole per-row path (validate,
    normalise, fingerprint, filters, tokens, blocking keys), so every core does all of it."""

    def __init__(self, secret: LinkageSecret, schema: LinkageSchema, fingerprint_key: bytes):
        self.schema = schema
        self.keys = _Keys(secret, schema)
        self.encoder = FieldEncoder(schema, self.keys.fields)
        self._fingerprint_key = fingerprint_key
        self._builders: dict[_FileProfile, tuple[RecordBuilder, RowFingerprinter]] = {}

    def encode(
        self,
        spec: _FileProfile,
        rows: Sequence[SourceRow],
        bucket_seed: tuple[int, int] | None = None,
    ) -> _Chunk:
        found = self._builders.get(spec)
        if found is None:
            headers, profile, overrides = spec
            resolved = resolve_profile(list(headers), profile, dict(overrides))
            found = RecordBuilder(resolved), RowFingerprinter(self._fingerprint_key, headers)
            self._builders[spec] = found
        builder, fingerprinter = found
        records = [builder.build(row) for row in rows]
        problems = Counter(p.code for r in records for p in r.problems)
        linkable = [r for r in records if has_linkage_data(r)]
        table = encode_records(linkable, self.keys, self.schema, self.encoder, bucket_seed)
        ids = iter(bytes(i) for i in table.record_id)
        keymap = []
        for row, record in zip(rows, records, strict=True):
            encoded = has_linkage_data(record)
            keymap.append(
                KeymapRow(
                    fingerprinter.fingerprint(row.cells),
                    row.ref.source,
                    row.ref.row,
                    record.local_id or "",
                    next(ids) if encoded else None,
                    "" if encoded else REASON_NO_DATA,
                    identifier_damage(record),
                )
            )
        return _Chunk(table, keymap, problems)


_worker: _ChunkEncoder | None = None


def _init_worker(secret: LinkageSecret, schema: LinkageSchema, fingerprint_key: bytes) -> None:
    global _worker
    _worker = _ChunkEncoder(secret, schema, fingerprint_key)


def _encode_chunk(
    spec: _FileProfile, rows: Sequence[SourceRow], bucket_seed: tuple[int, int] | None
) -> _Chunk:
    assert _worker is not None
    return _worker.encode(spec, rows, bucket_seed)


def _chunked_inputs(
    paths: Sequence[Path],
    profile: str | None,
    overrides: Mapping[str, str] | None,
    sheet: str | None,
    allow_missing: Collection[str],
    columns: list[str],
    warnings: list[str],
) -> Iterator[tuple[_FileProfile, list[SourceRow]]]:
    """Input rows in chunks, each with its file's profile (checked here, before encoding).

    Adds each file's columns to ``columns`` (the columns the row fingerprints cover) and
    what an allowed missing column costs to ``warnings``.
    """
    for path in paths:
        table, builder = open_records(path, profile, overrides, sheet, allow_missing)
        warnings.extend(missing_warnings(table, builder))
        chosen = profile or builder.resolved.profile.name  # as given (a name or a JSON path)
        spec = (tuple(table.headers), chosen, tuple((overrides or {}).items()))
        columns.extend(h for h in table.headers if h not in columns)
        rows = table.rows()
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            yield spec, chunk


def _encode_chunks(
    chunks: Iterator[tuple[_FileProfile, list[SourceRow]]],
    secret: LinkageSecret,
    schema: LinkageSchema,
    fingerprint_key: bytes,
    workers: int,
    seed: int | None = None,
) -> Iterator[_Chunk]:
    """Encoded chunks in input order; at most a few chunks in flight (bounded memory)."""
    numbered = (
        (spec, rows, None if seed is None else (seed, k)) for k, (spec, rows) in enumerate(chunks)
    )
    if workers == 1:
        encoder = _ChunkEncoder(secret, schema, fingerprint_key)
        yield from (encoder.encode(*chunk) for chunk in numbered)
        return
    initargs = (secret, schema, fingerprint_key)
    with worker_pool(workers, initializer=_init_worker, initargs=initargs) as pool:
        in_flight: deque[Future[_Chunk]] = deque()
        for chunk in numbered:
            in_flight.append(pool.submit(_encode_chunk, *chunk))
            if len(in_flight) > 2 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _concat(parts: list[RecordsTable], schema: LinkageSchema) -> RecordsTable:
    if not parts:
        scoped_width = len(schema.scoped_tokens) * schema.scoped_token_bytes
        return RecordsTable(
            np.zeros((0, ID_BYTES), np.uint8),
            np.zeros((0, schema.clk_bytes), np.uint8),
            {k: np.zeros((0, 16), np.uint8) for k in schema.exact_tokens},
            {k: np.zeros(0, np.uint64) for k in schema.blocking.keys},
            {k: np.zeros((0, scoped_width), np.uint8) for k in schema.blocking.keys},
            USample(np.zeros(0, np.uint64), np.zeros((0, scoped_width), np.uint8)),
        )
    return RecordsTable(
        np.concatenate([p.record_id for p in parts]),
        np.concatenate([p.clk for p in parts]),
        {k: np.concatenate([p.tokens[k] for p in parts]) for k in parts[0].tokens},
        {k: np.concatenate([p.blocks[k] for p in parts]) for k in parts[0].blocks},
        {k: np.concatenate([p.scoped[k] for p in parts]) for k in parts[0].scoped},
        USample(
            np.concatenate([p.u_sample.bucket for p in parts]),
            np.concatenate([p.u_sample.levels for p in parts]),
        ),
    )


def _random_pair_dice(clk: np.ndarray, pairs: int = 2000) -> list[int]:
    """Histogram (10 bins) of Dice over random record pairs: shows the separation margin."""
    if len(clk) < 2:
        return [0] * 10
    rng = np.random.default_rng()
    i, j = rng.integers(0, len(clk), pairs), rng.integers(0, len(clk), pairs)
    keep = i != j
    a, b = np.unpackbits(clk[i[keep]], axis=1), np.unpackbits(clk[j[keep]], axis=1)
    total = a.sum(1) + b.sum(1)
    dice = np.where(total > 0, 2 * (a & b).sum(1) / np.maximum(total, 1), 0.0)
    return np.histogram(dice, bins=10, range=(0.0, 1.0))[0].tolist()


def _refuse_empty(paths: Sequence[Path], rows: Sequence[KeymapRow], out: Path) -> None:
    """No package from input without data, or whose every row was rejected."""
    names = ", ".join(Path(p).name for p in paths)
    if not rows:
        raise InputError(
            f"{names} has no data rows (only a header?): nothing to encode, no package written"
        )
    if all(r.record_id is None for r in rows):
        _, rejects = keymap_paths(out)
        write_rejects(rejects, rows)
        raise InputError(
            f"none of the {len(rows)} row(s) of {names} can be encoded (no name, NIK or birth "
            f"date): reasons in {rejects}; no package written"
        )


def encode_files(
    paths: Sequence[Path],
    *,
    identity: Identity,
    secret: LinkageSecret,
    out: Path,
    role: Role = "list",
    profile: str | None = None,
    overrides: Mapping[str, str] | None = None,
    sheet: str | None = None,
    workers: int | None = None,
    schema_name: str | None = None,
    progress: Callable[[int], None] | None = None,
    allow_missing: Collection[str] = (),
    seed: int | None = None,
) -> EncodeSummary:
    """Encode input files into ``out`` (package) plus its local keymap and rejects file.

    A file without a NIK or birth-date column is refused unless the field is in
    ``allow_missing``. Input without data rows, or whose every row is rejected, is
    refused too: no package is written (the rejects file says why rows were rejected).
    ``seed`` fixes the record ids and the shuffled order, only for a reproducible
    ``padan demo --seed``; real packages take both from the operating system's randomness.
    """
    if role not in ("registry", "list"):
        raise InputError(f"role must be 'registry' or 'list', not '{role}'")
    if out.suffix != ".padan":
        raise InputError(f"the package name must end in .padan: {out}")
    # By default the schema is the one the secret was made for.
    schema_name = schema_name or schema_named_by_fingerprint(secret.schema_fingerprint)
    schema = load_linkage_schema(schema_name)
    if secret.schema_fingerprint != schema.fingerprint:
        raise VerificationError(
            f"the linkage secret was made for another linkage schema than '{schema_name}'"
        )
    started = time.perf_counter()
    fingerprint_key = identity.local_key(FINGERPRINT_LABEL)
    parts: list[RecordsTable] = []
    keymap_rows: list[KeymapRow] = []
    problems: Counter[str] = Counter()
    columns: list[str] = []
    warnings: list[str] = []
    chunks = _chunked_inputs(paths, profile, overrides, sheet, allow_missing, columns, warnings)
    workers = workers or os.cpu_count() or 1
    for chunk in _encode_chunks(chunks, secret, schema, fingerprint_key, workers, seed):
        parts.append(chunk.table)
        keymap_rows.extend(chunk.keymap)
        problems.update(chunk.problems)
        if progress:
            progress(len(chunk.keymap))

    _refuse_empty(paths, keymap_rows, out)
    table = _concat(parts, schema)
    # Shuffle so the package order reveals nothing about the source order.
    if seed is None:
        order = np.argsort(np.frombuffer(os.urandom(8 * len(table)), dtype=np.uint64))
    else:  # a reproducible demo: ids (in the keymap too) and order from the seed
        # The organisation and dataset join the seed: two owners' ids must never meet.
        stream = hashlib.sha256(f"{identity.card.org}/{out.stem}".encode()).digest()
        rng = np.random.default_rng([seed, *np.frombuffer(stream, dtype=np.uint32)])
        seeded = rng.integers(0, 256, table.record_id.shape, dtype=np.uint8)
        renamed = {bytes(a): bytes(b) for a, b in zip(table.record_id, seeded, strict=True)}
        keymap_rows = [
            row if row.record_id is None else replace(row, record_id=renamed[row.record_id])
            for row in keymap_rows
        ]
        table.record_id = seeded
        order = rng.permutation(len(table))
    table = table.take(order)

    keymap, rejects_path = keymap_paths(out)
    write_package(
        out,
        {
            "org": identity.card.org,
            "role": role,
            "dataset": out.stem,
            "record_count": len(table),
            "schema": schema_name,
            "schema_version": schema.version,
            "schema_fingerprint": schema.fingerprint,
            "secret_id": secret.secret_id,
            "key_check": key_check_value(secret),
            "clk_bytes": schema.clk_bytes,
            "tool_version": __version__,
        },
        {"records.parquet": to_parquet(table)},
        identity,
    )
    write_keymap(
        keymap, Keymap(keymap_rows, tuple(columns), fingerprint_key_check(fingerprint_key))
    )
    write_rejects(rejects_path, keymap_rows)
    bits = table.clk.shape[1] * 8 or 1
    fill = (
        float(np.unpackbits(table.clk[:10_000], axis=1).sum(1).mean() / bits) if len(table) else 0.0
    )
    return EncodeSummary(
        package=out,
        keymap=keymap,
        rejects=rejects_path,
        rows_read=len(keymap_rows),
        encoded=len(table),
        rejected=len(keymap_rows) - len(table),
        mean_fill=fill,
        dice_histogram=_random_pair_dice(table.clk),
        seconds=time.perf_counter() - started,
        problems=dict(sorted(problems.items())),
        warnings=warnings,
    )
