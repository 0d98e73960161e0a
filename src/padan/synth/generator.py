"""``generate``: write the registry, the health lists and the ground truth to a directory.

Large populations are cut into shards of at most ``SHARD_PEOPLE`` people, generated in
parallel processes and merged in shard order. The shard plan depends only on the
options, never on the machine, so the output is the same on any number of cores.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from padan.core.files import atomic_open, ensure_directory, worker_pool
from padan.synth import truth
from padan.synth.corruption import LIST_COLUMNS, ListBuilder, ListRow
from padan.synth.names import build_name_pools
from padan.synth.options import SynthOptions
from padan.synth.population import REGISTRY_COLUMNS, Population, Shard
from padan.synth.regions import Puskesmas, load_region
from padan.synth.rng import stream
from padan.synth.writer import RowWriter, csv_writer, parse_csv_line, write_xlsx

REGISTRY_FILE = "siak.csv"
LIST_FILE = "ckg.csv"
TRUTH_FILE = "truth.csv"
SHARD_PEOPLE = 250_000


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What ``generate`` wrote: data rows per file and rows per error type."""

    out_dir: Path
    people: int
    files: tuple[tuple[str, int], ...]
    """(file name, data rows), in the order of ``truth.csv``."""
    registry_errors: dict[str, int]
    list_errors: dict[str, int]

    @property
    def registry_rows(self) -> int:
        """Rows of the registry file."""
        return self.files[0][1]

    @property
    def list_rows(self) -> int:
        """Rows of all list files together."""
        return sum(rows for _, rows in self.files[1:])


@dataclass(slots=True)
class _ShardResult:
    registry_chunk: Path
    """Registry rows without header; beside it ``<chunk>.truth``: ``person_id,errors``."""
    registry_rows: int
    registry_errors: Counter[str]
    list_rows: list[ListRow]
    list_only_people: int


def plan_shards(people: int) -> list[Shard]:
    """Cut ``people`` into equal shards of at most ``SHARD_PEOPLE``."""
    count = max(1, math.ceil(people / SHARD_PEOPLE))
    sizes = [people // count + (i < people % count) for i in range(count)]
    starts = [1 + sum(sizes[:i]) for i in range(count)]
    return [
        Shard(index=i, count=count, first_number=start, people=size)
        for i, (start, size) in enumerate(zip(starts, sizes, strict=True))
    ]


def list_file_names(puskesmas: tuple[Puskesmas, ...], options: SynthOptions) -> list[str]:
    """File name per puskesmas: the first ``options.lists`` get their own, the rest ckg.csv."""
    suffix = "xlsx" if options.xlsx else "csv"
    return [
        f"ckg_{centre.slug}.{suffix}" if index < options.lists else LIST_FILE
        for index, centre in enumerate(puskesmas)
    ]


def generate(out_dir: str | Path, options: SynthOptions) -> SynthSummary:
    """Write ``siak.csv``, the CKG list file(s) and ``truth.csv`` into ``out_dir``.

    The registry is streamed family by family to disk; list rows are kept as compact
    CSV lines until they are shuffled and written. Same options (incl. seed) → same bytes.
    """
    puskesmas = load_region(options.region).puskesmas(options.lists + 1)  # checks the code
    out_dir = ensure_directory(out_dir)
    shards = plan_shards(options.people)
    with tempfile.TemporaryDirectory(prefix=".synth-", dir=out_dir) as work:
        jobs = [(options, shard, Path(work)) for shard in shards]
        workers = min(len(shards), os.cpu_count() or 1)
        if workers == 1:
            results = [_run_shard(*job) for job in jobs]
        else:
            with worker_pool(workers) as pool:
                results = list(pool.map(_run_shard, *zip(*jobs, strict=True)))

        with atomic_open(out_dir / TRUTH_FILE, newline="") as truth_handle:
            truth_out = csv_writer(truth_handle)
            truth_out.writerow(truth.TRUTH_COLUMNS)
            registry_rows = _merge_registry(out_dir / REGISTRY_FILE, results, truth_handle)
            files = [(REGISTRY_FILE, registry_rows)]
            rows = list(_list_rows(results, options))
            stream(options.seed, "shuffle").shuffle(rows)  # order must not reveal anything
            list_errors = _write_lists(out_dir, rows, puskesmas, options, truth_out, files)

    registry_errors = sum((r.registry_errors for r in results), Counter[str]())
    return SynthSummary(
        out_dir=out_dir,
        people=options.people,
        files=tuple(files),
        registry_errors=dict(sorted(registry_errors.items())),
        list_errors=dict(sorted(list_errors.items())),
    )


def _run_shard(options: SynthOptions, shard: Shard, work: Path) -> _ShardResult:
    """Generate one shard: registry rows to a chunk file, list rows kept in memory."""
    region = load_region(options.region)
    pools = build_name_pools(options.seed)
    population = Population(options, region, pools, shard)
    lists = ListBuilder(options, region, pools, region.puskesmas(options.lists + 1), shard)
    chunk = work / f"registry.{shard.index}.csv"
    errors: Counter[str] = Counter()
    rows = 0
    with (
        open(chunk, "w", encoding="utf-8", newline="") as registry_handle,
        open(f"{chunk}.truth", "w", encoding="utf-8", newline="") as truth_handle,
    ):
        registry_out, truth_out = csv_writer(registry_handle), csv_writer(truth_handle)
        for family in population.families():
            for record in family.records:
                registry_out.writerow(record.registry_row())
                truth_out.writerow((record.person_id, record.tags))
                if record.tags:
                    errors.update(record.tags.split(";"))
            rows += len(family.records)
            lists.observe(family)
    return _ShardResult(chunk, rows, errors, lists.rows, lists.list_only_people)


def _merge_registry(path: Path, results: list[_ShardResult], truth_handle: IO[str]) -> int:
    """Concatenate the registry chunks into ``path``; number their truth rows."""
    row = 1
    with atomic_open(path, newline="") as registry_handle:
        registry_handle.write(",".join(REGISTRY_COLUMNS) + "\n")
        for result in results:
            with open(result.registry_chunk, encoding="utf-8", newline="") as chunk:
                shutil.copyfileobj(chunk, registry_handle)
            with open(f"{result.registry_chunk}.truth", encoding="utf-8", newline="") as chunk:
                for line in chunk:
                    row += 1
                    truth_handle.write(f"registry,{REGISTRY_FILE},{row},{line}")
    return row - 1


def _list_rows(results: list[_ShardResult], options: SynthOptions) -> Iterator[ListRow]:
    """All shards' list rows; list-only people renumbered after the registry, in order."""
    offset = 0
    for result in results:
        for row in result.list_rows:
            if row.person_number > options.people:
                yield row._replace(person_number=row.person_number + offset)
            else:
                yield row
        offset += result.list_only_people


def _write_lists(
    out_dir: Path,
    rows: list[ListRow],
    puskesmas: tuple[Puskesmas, ...],
    options: SynthOptions,
    truth_out: RowWriter,
    files: list[tuple[str, int]],
) -> Counter[str]:
    """Write each list file (ckg.csv first) and its truth rows; count error types."""
    names = list_file_names(puskesmas, options)
    buckets: dict[str, list[ListRow]] = {name: [] for name in dict.fromkeys([LIST_FILE, *names])}
    for list_row in rows:
        buckets[names[list_row.puskesmas]].append(list_row)
    errors: Counter[str] = Counter()
    for name, bucket in buckets.items():
        reg_nos = _registration_numbers(bucket)
        path = out_dir / name
        if name.endswith(".xlsx"):
            cells = (_xlsx_cells(no, r) for no, r in zip(reg_nos, bucket, strict=True))
            write_xlsx(path, LIST_COLUMNS, cells, options.reference_date)
        else:
            with atomic_open(path, newline="") as handle:
                handle.write(",".join(LIST_COLUMNS) + "\n")
                handle.writelines(f"{no},{r.line}\n" for no, r in zip(reg_nos, bucket, strict=True))
        for row, list_row in enumerate(bucket, start=2):
            person = truth.person_id(list_row.person_number)
            truth_out.writerow(("list", name, row, person, list_row.errors))
            if list_row.errors:
                errors.update(list_row.errors.split(";"))
        files.append((name, len(bucket)))
    return errors


def _registration_numbers(bucket: list[ListRow]) -> list[str]:
    """No Registrasi: ``P<puskesmas>-<n>``, counting per puskesmas in file order."""
    counts: Counter[int] = Counter()
    numbers = []
    for list_row in bucket:
        counts[list_row.puskesmas] += 1
        numbers.append(f"P{list_row.puskesmas + 1:02d}-{counts[list_row.puskesmas]:06d}")
    return numbers


def _xlsx_cells(reg_no: str, list_row: ListRow) -> list[object]:
    """Cells for XLSX: Excel-damaged NIKs and Excel date serials become numbers."""
    cells: list[object] = [reg_no, *parse_csv_line(list_row.line)]
    nik_at, birth_at = LIST_COLUMNS.index("NIK PASIEN"), LIST_COLUMNS.index("TGL LAHIR")
    if truth.NIK_EXCEL_SCI in list_row.errors or truth.NIK_EXCEL_TRUNC in list_row.errors:
        cells[nik_at] = int(float(str(cells[nik_at])))  # what Excel kept of the number
    if str(cells[birth_at]).isdigit():
        cells[birth_at] = int(str(cells[birth_at]))  # an Excel date serial
    return cells
