"""The encode stage: input rows → a signed package, a local keymap and a local rejects file.

Every input row is either encoded or listed in the rejects file with a reason
(rows read = encoded + rejected). The package holds only random record ids, field-level
Bloom filters, keyed tokens and keyed blocking keys, in shuffled order.
"""

from __future__ import annotations

import csv
import itertools
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from padan.core.errors import InputError, VerificationError
from padan.core.files import atomic_open, atomic_path, worker_pool
from padan.core.schema import (
    load_linkage_schema,
    schema_fingerprint,
    schema_named_by_fingerprint,
)
from padan.core.types import Record, Rejected, Role, SourceRow
from padan.core.version import __version__
from padan.formats.package import write_package
from padan.formats.records import ID_BYTES, RecordsTable, to_parquet
from padan.owner.bloom import FieldEncoder, salt_kinds
from padan.owner.features import BLOCK_SOURCES, FIELD_SOURCES, has_linkage_data, token_values
from padan.owner.profiles import resolve_profile
from padan.owner.records import RecordBuilder, open_records
from padan.owner.tokens import Tokenizer
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

    @property
    def records_per_second(self) -> float:
        """Encoding throughput over the whole run."""
        return self.rows_read / self.seconds if self.seconds else 0.0


def sibling_paths(package: Path) -> tuple[Path, Path]:
    """The local keymap and rejects files that belong to ``package`` (``X.padan``)."""
    stem = package.with_suffix("")
    return stem.with_name(stem.name + ".keymap.parquet"), stem.with_name(stem.name + ".rejects.csv")


UNKNOWN_SALT = "unknown"
SALT_SOURCES: dict[str, Callable[[Record], str]] = {
    # Stable and rarely wrong on either side; a record without a birth date shares one salt.
    "birth_year": lambda r: str(r.birth_date.year) if r.birth_date else UNKNOWN_SALT,
}
"""Salt values of a record, by the ``salt`` names used in a linkage schema's field specs."""


class FieldKeys(dict[str, bytes]):
    """Bloom-filter keys by field name (label ``clk/<field>``), and for salted fields by
    ``<field>/<salt value>`` (label ``clk/<field>/<salt value>``), derived on first use.

    Salt values are only known record by record, so their keys are derived lazily, in
    whichever encoder process meets them first; every process derives the same key.
    """

    def __init__(self, secret: LinkageSecret, schema: Mapping[str, Any]):
        super().__init__()
        self.secret = secret
        for spec in schema["fields"]:
            if not spec.get("salt"):
                self[spec["name"]] = derive_key(secret, f"clk/{spec['name']}")

    def __missing__(self, label: str) -> bytes:
        key = self[label] = derive_key(self.secret, f"clk/{label}")
        return key


def field_rows(records: Sequence[Record], schema: Mapping[str, Any]) -> list[list[str]]:
    """The encoder's input rows: each field's value, then each salt kind's value."""
    sources = [FIELD_SOURCES[f["source"]] for f in schema["fields"]]
    sources += [SALT_SOURCES[kind] for kind in salt_kinds(schema)]
    return [[source(r) for source in sources] for r in records]


class _Keys:
    """All keys an encoder needs, derived from the linkage secret with distinct labels."""

    def __init__(self, secret: LinkageSecret, schema: Mapping[str, Any]):
        self.fields = FieldKeys(secret, schema)
        self.tokens = {k: Tokenizer(derive_key(secret, f"token/{k}")) for k in schema["tokens"]}
        self.blocks = {
            k: Tokenizer(derive_key(secret, f"block/{k}")) for k in schema["blocking"]["keys"]
        }
        self.salts = {k: Tokenizer(derive_key(secret, f"salt/{k}")) for k in salt_kinds(schema)}


def encode_records(
    records: Sequence[Record],
    keys: _Keys,
    schema: Mapping[str, Any],
    encoder: FieldEncoder,
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
    # Keyed salt tokens tell the coordinator which salted filters are comparable.
    salts = {
        kind: tokenizer.block_keys(SALT_SOURCES[kind](r) for r in records)
        for kind, tokenizer in keys.salts.items()
    }
    ids = np.frombuffer(os.urandom(ID_BYTES * len(records)), dtype=np.uint8)
    ids = ids.reshape(len(records), ID_BYTES).copy()
    return RecordsTable(ids, clk, tokens, blocks, salts)


_FileProfile = tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]]
"""A file's headers, profile name and --map overrides: workers rebuild its RecordBuilder."""


@dataclass(slots=True)
class _Chunk:
    """What encoding one chunk of input rows gives back to the main process."""

    table: RecordsTable
    refs: list[tuple[str, int, str]]
    rejects: list[Rejected]
    problems: Counter[str]
    rows: int


class _ChunkEncoder:
    """One process's encoder: keys, caches, and the whole per-row path (validate,
    normalise, filters, tokens, blocking keys), so every core does all of it."""

    def __init__(self, secret: LinkageSecret, schema: Mapping[str, Any]):
        self.schema = schema
        self.keys = _Keys(secret, schema)
        self.encoder = FieldEncoder(schema, self.keys.fields)
        self._builders: dict[_FileProfile, RecordBuilder] = {}

    def encode(self, spec: _FileProfile, rows: Sequence[SourceRow]) -> _Chunk:
        builder = self._builders.get(spec)
        if builder is None:
            headers, profile, overrides = spec
            resolved = resolve_profile(list(headers), profile, dict(overrides))
            builder = self._builders[spec] = RecordBuilder(resolved)
        records = [builder.build(row) for row in rows]
        problems = Counter(p.code for r in records for p in r.problems)
        linkable = [r for r in records if has_linkage_data(r)]
        rejects = [Rejected(r.ref, REASON_NO_DATA) for r in records if not has_linkage_data(r)]
        return _Chunk(
            encode_records(linkable, self.keys, self.schema, self.encoder),
            [(r.ref.source, r.ref.row, r.local_id or "") for r in linkable],
            rejects,
            problems,
            len(records),
        )


_worker: _ChunkEncoder | None = None


def _init_worker(secret: LinkageSecret, schema: Mapping[str, Any]) -> None:
    global _worker
    _worker = _ChunkEncoder(secret, schema)


def _encode_chunk(spec: _FileProfile, rows: Sequence[SourceRow]) -> _Chunk:
    assert _worker is not None
    return _worker.encode(spec, rows)


def _chunked_inputs(
    paths: Sequence[Path],
    profile: str | None,
    overrides: Mapping[str, str] | None,
    sheet: str | None,
) -> Iterator[tuple[_FileProfile, list[SourceRow]]]:
    """Input rows in chunks, each with its file's profile (checked here, before encoding)."""
    for path in paths:
        table, builder = open_records(path, profile, overrides, sheet)
        chosen = profile or builder.resolved.profile.name  # as given (a name or a JSON path)
        spec = (tuple(table.headers), chosen, tuple((overrides or {}).items()))
        rows = table.rows()
        while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
            yield spec, chunk


def _encode_chunks(
    chunks: Iterator[tuple[_FileProfile, list[SourceRow]]],
    secret: LinkageSecret,
    schema: Mapping[str, Any],
    workers: int,
) -> Iterator[_Chunk]:
    """Encoded chunks in input order; at most a few chunks in flight (bounded memory)."""
    if workers == 1:
        encoder = _ChunkEncoder(secret, schema)
        yield from (encoder.encode(spec, rows) for spec, rows in chunks)
        return
    with worker_pool(workers, initializer=_init_worker, initargs=(secret, schema)) as pool:
        in_flight: deque[Future[_Chunk]] = deque()
        for spec, rows in chunks:
            in_flight.append(pool.submit(_encode_chunk, spec, rows))
            if len(in_flight) > 2 * workers:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()


def _concat(parts: list[RecordsTable], schema: Mapping[str, Any], width: int) -> RecordsTable:
    if not parts:
        return RecordsTable(
            np.zeros((0, ID_BYTES), np.uint8),
            np.zeros((0, width), np.uint8),
            {k: np.zeros((0, 16), np.uint8) for k in schema["tokens"]},
            {k: np.zeros(0, np.uint64) for k in schema["blocking"]["keys"]},
            {k: np.zeros(0, np.uint64) for k in salt_kinds(schema)},
        )
    return RecordsTable(
        np.concatenate([p.record_id for p in parts]),
        np.concatenate([p.clk for p in parts]),
        {k: np.concatenate([p.tokens[k] for p in parts]) for k in parts[0].tokens},
        {k: np.concatenate([p.blocks[k] for p in parts]) for k in parts[0].blocks},
        {k: np.concatenate([p.salts[k] for p in parts]) for k in parts[0].salts},
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


def _write_keymap(path: Path, ids: np.ndarray, refs: list[tuple[str, int, str]]) -> None:
    table = pa.table(
        {
            "record_id": pa.array([bytes(r) for r in ids], type=pa.binary(ID_BYTES)),
            "source": pa.array([r[0] for r in refs], type=pa.string()),
            "row": pa.array([r[1] for r in refs], type=pa.int64()),
            "local_id": pa.array([r[2] for r in refs], type=pa.string()),
        }
    )
    with atomic_path(path, 0o600) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def _write_rejects(path: Path, rejects: list[Rejected]) -> None:
    with atomic_open(path, "w", newline="", encoding="utf-8-sig", file_mode=0o600) as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "row", "reason"])
        writer.writerows([r.ref.source, r.ref.row, r.reason] for r in rejects)


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
    seed: int | None = None,
) -> EncodeSummary:
    """Encode input files into ``out`` (package) plus its local keymap and rejects file.

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
    if secret.schema_fingerprint != schema_fingerprint(schema_name):
        raise VerificationError(
            f"the linkage secret was made for another linkage schema than '{schema_name}'"
        )
    started = time.perf_counter()
    parts: list[RecordsTable] = []
    refs: list[tuple[str, int, str]] = []
    rejects: list[Rejected] = []
    problems: Counter[str] = Counter()
    rows_read = 0
    chunks = _chunked_inputs(paths, profile, overrides, sheet)
    for chunk in _encode_chunks(chunks, secret, schema, workers or os.cpu_count() or 1):
        parts.append(chunk.table)
        refs.extend(chunk.refs)
        rejects.extend(chunk.rejects)
        problems.update(chunk.problems)
        rows_read += chunk.rows
        if progress:
            progress(chunk.rows)

    width = sum(f["clkhash"]["clkConfig"]["l"] // 8 for f in schema["fields"])
    table = _concat(parts, schema, width)
    # Shuffle so the package order reveals nothing about the source order.
    if seed is None:
        order = np.argsort(np.frombuffer(os.urandom(8 * len(table)), dtype=np.uint64))
    else:  # a reproducible demo: ids and order from the seed
        rng = np.random.default_rng(seed)
        table.record_id = rng.integers(0, 256, table.record_id.shape, dtype=np.uint8)
        order = rng.permutation(len(table))
    table = table.take(order)
    refs = [refs[i] for i in order]

    keymap, rejects_path = sibling_paths(out)
    write_package(
        out,
        {
            "org": identity.card.org,
            "role": role,
            "dataset": out.stem,
            "record_count": len(table),
            "schema": schema_name,
            "schema_fingerprint": schema_fingerprint(schema_name),
            "secret_id": secret.secret_id,
            "key_check": key_check_value(secret),
            "clk_bytes": width,
            "tool_version": __version__,
        },
        {"records.parquet": to_parquet(table)},
        identity,
    )
    _write_keymap(keymap, table.record_id, refs)
    _write_rejects(rejects_path, rejects)
    bits = table.clk.shape[1] * 8 or 1
    fill = (
        float(np.unpackbits(table.clk[:10_000], axis=1).sum(1).mean() / bits) if len(table) else 0.0
    )
    return EncodeSummary(
        package=out,
        keymap=keymap,
        rejects=rejects_path,
        rows_read=rows_read,
        encoded=len(table),
        rejected=len(rejects),
        mean_fill=fill,
        dice_histogram=_random_pair_dice(table.clk),
        seconds=time.perf_counter() - started,
        problems=dict(sorted(problems.items())),
    )
