"""Pair tasks on a Dask cluster, for province and national runs (``padan link --cluster``).

The coordinator plans the pairs (:func:`padan.link.pairing.plan_pairs`) and writes, for each
blocking key, P partition files (Parquet) into a work directory the workers can read:
the records whose paired key value is ≡ p (mod P), with their index, CLK words, level
tokens and all their key values. Each task reads one file (a worker loads its share
only) and compares its candidate pairs (:class:`padan.link.pairing.ComparePairs`); the
result stays in the worker's memory. The coordinator fetches only the pattern counts,
and later the pairs reaching the threshold, scored where they are kept. Should a worker
die, Dask recomputes its results from their partition files. Counts add up and pairs
are sorted by the coordinator, so the run decides exactly like the in-process path.

Workers see CLKs, keyed block keys, level tokens bound to one key and record positions
only: no record ids, no NIK/KK tokens, no manifest. EM, assignment and sealing stay on
the coordinator (see ``docs/scale.md``). The work directory is removed when the run
ends, failed or not.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import numba
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client, Future, LocalCluster
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from padan.core.errors import InputError, PadanError
from padan.link.comparison import compare_pairs
from padan.link.pairing import Members, PairComparer, PairPlan, PairTask, Partition, n_partitions

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LOCAL_WORKERS = 2
# Records per partition file: a few hundred MB of CLKs and pairs per task at most.
PARTITION_RECORDS = 200_000
# Retries cover a task that raised (e.g. memory pressure); a worker that dies is
# rescheduled by the scheduler itself (distributed.scheduler.allowed-failures).
TASK_RETRIES = 3
CONNECT_TIMEOUT_SECONDS = 30

# The numba kernel is parallel; a process runs one kernel at a time so that worker
# threads never launch it concurrently (not every numba threading layer allows that).
_KERNEL_LOCK = threading.Lock()


def write_partition(path: Path, part: Partition) -> None:
    """One partition as Parquet: a ``side`` column (0 = a, 1 = b) and both sides' rows."""
    sides = [part.a] if part.b is None else [part.a, part.b]
    words = np.concatenate([m.words for m in sides])
    width = words.shape[1] * 8
    columns: dict[str, Any] = {
        "side": pa.array(
            np.repeat(np.arange(len(sides), dtype=np.int8), [len(m.index) for m in sides])
        ),
        "index": pa.array(np.concatenate([m.index for m in sides])),
        "clk": pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(words), [None, pa.py_buffer(np.ascontiguousarray(words))]
        ),
    }
    keys = np.concatenate([m.keys for m in sides])
    for k in range(keys.shape[1]):
        columns[f"key_{k}"] = pa.array(keys[:, k])
    levels = np.ascontiguousarray(np.concatenate([m.levels for m in sides]))  # type: ignore[misc]
    for k in range(levels.shape[1]):
        columns[f"level_{k}"] = pa.array(levels[:, k])
    pq.write_table(pa.table(columns), path, compression="zstd")


def read_partition(path: str, key: int, within: bool) -> Partition:
    """Worker side: the partition written by :func:`write_partition`."""
    table = pq.read_table(path)
    side = table["side"].to_numpy()
    clk = table["clk"].combine_chunks()
    per_row = clk.type.byte_width // 8
    raw = np.frombuffer(clk.buffers()[1], dtype=np.uint64)[clk.offset * per_row :]
    words = raw[: len(clk) * per_row].reshape(len(clk), per_row)
    kinds = sum(n.startswith("key_") for n in table.column_names)
    keys = np.column_stack([table[f"key_{k}"].to_numpy() for k in range(kinds)])
    n_levels = sum(n.startswith("level_") for n in table.column_names)
    levels = np.zeros((len(side), n_levels), dtype=np.uint32)
    for k in range(n_levels):
        levels[:, k] = table[f"level_{k}"].to_numpy()
    index = table["index"].to_numpy()

    def members(rows: np.ndarray) -> Members:
        return Members(index[rows], words[rows], keys[rows], levels[rows])

    a = members(np.flatnonzero(side == 0))
    return Partition(key, a, None if within else members(np.flatnonzero(side == 1)))


def _run_task(
    path: str, key: int, within: bool, task: PairTask[T], kernel: PairComparer, threads: int
) -> T:
    """Worker side: read one partition file and run the task on it."""
    part = read_partition(path, key, within)
    with _KERNEL_LOCK:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        return task(part, kernel)


def _failed(exc: BaseException) -> PadanError:
    """A worker died too often, or the scheduler is gone."""
    return PadanError(
        f"perbandingan di klaster Dask gagal (cluster comparison failed): "
        f"{type(exc).__name__}: {exc}"
    )


class OnWorkers(Generic[T]):
    """Task results left in the workers' memory (a :class:`padan.link.pairing.Held`).

    They are released when this object is dropped; a result lost with its worker is
    recomputed by Dask from its partition file when it is needed.
    """

    def __init__(self, client: Client, futures: list[Future], retries: int):
        self.client = client
        self.futures = futures
        self.retries = retries

    def map(self, fn: Callable[[T], R]) -> list[R]:
        """``fn`` of every result, run on the worker holding it; only its output travels."""
        futures = [
            self.client.submit(
                fn, held, key=f"padan-{secrets.token_hex(6)}-{n}", retries=self.retries
            )
            for n, held in enumerate(self.futures)
        ]
        try:
            return self.client.gather(futures)
        except (KilledWorker, FutureCancelledError, OSError) as exc:
            raise _failed(exc) from exc
        finally:
            self.client.cancel(futures)


class DaskRunner:
    """A :class:`padan.link.pairing.PairRunner` that runs partition tasks on Dask workers.

    ``work_dir`` holds the partition files (on a shared filesystem for a multi-machine
    cluster); ``kernel`` is the comparison kernel each worker runs (default
    ``compare_pairs``); ``kernel_threads`` the numba threads per task (1 when each worker
    process owns one core, the recommended layout).
    """

    def __init__(
        self,
        client: Client,
        *,
        work_dir: Path,
        partition_records: int = PARTITION_RECORDS,
        retries: int = TASK_RETRIES,
        kernel: PairComparer | None = None,
        kernel_threads: int = 1,
    ):
        self.client = client
        self.partition_records = partition_records
        self.retries = retries
        self.kernel = kernel or compare_pairs
        self.kernel_threads = kernel_threads
        self.work_dir = work_dir
        self.plans = 0
        self.tasks = 0

    def _n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))

    def _files(self, plan: PairPlan) -> list[tuple[str, int]]:
        """Write the partition files of ``plan`` (kept for recomputation); the key of each."""
        n = n_partitions(plan.records, self.partition_records, 2 * self._n_workers())
        folder = self.work_dir / f"plan-{self.plans}"
        folder.mkdir(parents=True)
        self.plans += 1
        files = []
        for key in range(len(plan.kinds)):
            for part in range(n):
                partition = plan.partition(key, part, n)
                if not len(partition.a.index) or (
                    partition.b is not None and not len(partition.b.index)
                ):
                    continue  # no pairs: no task
                path = folder / f"key{key:02d}-part{part:04d}.parquet"
                write_partition(path, partition)
                files.append((str(path), key))
        return files

    def run(self, plan: PairPlan, task: PairTask[T]) -> OnWorkers[T]:
        """``task`` on every partition of every key, started on the cluster."""
        futures = [
            self.client.submit(
                _run_task,
                path,
                key,
                plan.b is None,
                task,
                self.kernel,
                self.kernel_threads,
                key=f"padan-pairs-{secrets.token_hex(6)}-{n}",
                retries=self.retries,
                pure=False,
            )
            for n, (path, key) in enumerate(self._files(plan))
        ]
        self.tasks += len(futures)
        return OnWorkers(self.client, futures, self.retries)


def parse_cluster(spec: str) -> tuple[str, int | str]:
    """``local`` / ``local:N`` → ("local", N); anything else → ("address", spec)."""
    name, _, count = spec.strip().partition(":")
    if name != "local":
        if not spec.strip():
            raise InputError("--cluster is empty: give local[:N] or tcp://SCHEDULER:8786")
        return "address", spec.strip()
    if not count:
        return "local", DEFAULT_LOCAL_WORKERS
    if not count.isdigit() or int(count) < 1:
        raise InputError(f"--cluster {spec}: N in local:N must be a positive whole number")
    return "local", int(count)


@contextlib.contextmanager
def dask_client(spec: str) -> Iterator[Client]:
    """A client for ``spec``: a fresh ``LocalCluster`` (``local[:N]``) or a scheduler address.

    A local cluster has N worker processes with one thread each and is shut down on exit;
    the client waits for all of them, so tasks spread over every worker from the start.
    """
    kind, value = parse_cluster(spec)
    with contextlib.ExitStack() as stack:
        if kind == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=int(value),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # any free port: never clash
                )
            )
            address: Any = cluster
        else:
            address = value
        try:
            client = stack.enter_context(Client(address, timeout=CONNECT_TIMEOUT_SECONDS))
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"tidak dapat terhubung ke scheduler Dask (cannot reach the Dask scheduler) "
                f"at {value}: {exc}"
            ) from None
        if kind == "local":
            client.wait_for_workers(int(value), timeout=CONNECT_TIMEOUT_SECONDS)
        yield client


@contextlib.contextmanager
def dask_runner(spec: str, *, work_dir: Path, **options: Any) -> Iterator[DaskRunner]:
    """A :class:`DaskRunner` on the cluster named by ``spec``.

    Its partition files go to a fresh hidden directory inside ``work_dir``, removed on
    exit whether the run finished or not.
    """
    with dask_client(spec) as client:
        folder = work_dir / f".padan-partitions-{secrets.token_hex(4)}"
        try:
            yield DaskRunner(client, work_dir=folder, **options)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
