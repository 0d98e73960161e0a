"""Pair comparison on a Dask cluster, for province and national runs (``padan link --cluster``).

Only the heavy, embarrassingly parallel step leaves the coordinator's process: the
field-by-field comparison of candidate pairs (:func:`padan.comparison.compare_pairs`).
Each packed CLK array is scattered once to every worker; the sorted candidate pairs
are cut into contiguous chunks, each chunk is compared on some worker, and the levels
are concatenated in the original order. Levels are computed per pair, so the result is
bit-identical to the in-process run and the EM fit and every decision are too.

Workers see CLKs and pair indices only: no record ids, no tokens, no manifest. Blocking,
EM, assignment and sealing stay on the coordinator (see ``docs/scale.md``).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numba
import numpy as np
from distributed import Client, Future, LocalCluster
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from padan.bloom import FieldLayout
from padan.comparison import compare_pairs
from padan.errors import InputError, PadanError
from padan.linking import PairComparer

DEFAULT_LOCAL_WORKERS = 2
# 500k pairs: 4 MB of int32 indices per task (below Dask's large-graph warning) and
# a few MB of levels back; small calls (EM samples) become one task.
CHUNK_PAIRS = 500_000
MIN_CHUNK_PAIRS = 20_000
# Retries cover a task that raised (e.g. memory pressure); a worker that dies is
# rescheduled by the scheduler itself (distributed.scheduler.allowed-failures).
TASK_RETRIES = 3
CONNECT_TIMEOUT_SECONDS = 30

# The numba kernel is parallel; a process runs one kernel at a time so that worker
# threads never launch it concurrently (not every numba threading layer allows that).
_KERNEL_LOCK = threading.Lock()


def _levels_chunk(
    kernel: PairComparer,
    a: np.ndarray,
    b: np.ndarray,
    i: np.ndarray,
    j: np.ndarray,
    layouts: Sequence[FieldLayout],
    cuts: Sequence[Sequence[float]],
    kernel_threads: int,
) -> np.ndarray:
    """Worker side: levels of one chunk of pairs."""
    with _KERNEL_LOCK:
        numba.set_num_threads(min(kernel_threads, numba.config.NUMBA_NUM_THREADS))
        return kernel(a, b, i, j, layouts, cuts)


class DaskPairComparer:
    """A :class:`padan.linking.PairComparer` that runs chunks of pairs on Dask workers.

    ``kernel`` is the in-process comparer each worker runs (default ``compare_pairs``);
    ``kernel_threads`` the numba threads per kernel call (1 when each worker process
    owns one core, the recommended layout).
    """

    def __init__(
        self,
        client: Client,
        *,
        chunk_pairs: int = CHUNK_PAIRS,
        retries: int = TASK_RETRIES,
        kernel: PairComparer | None = None,
        kernel_threads: int = 1,
    ):
        self.client = client
        self.chunk_pairs = chunk_pairs
        self.retries = retries
        self.kernel = kernel or compare_pairs
        self.kernel_threads = kernel_threads
        # Packed CLK arrays already on the workers, keyed by their memory (the array is
        # kept alive here, so its address cannot be reused by another array meanwhile).
        self._scattered: dict[tuple[int, tuple[int, ...], str], tuple[np.ndarray, Future]] = {}
        self._calls = 0
        # The active memory manager drops "extra" replicas of data no waiting task needs,
        # which would leave a scattered CLK array on one worker only: losing that worker
        # would lose the array for good. It is paused for the run and resumed at close().
        self._amm_paused = client.amm.running()
        if self._amm_paused:
            client.amm.stop()

    def _on_workers(self, words: np.ndarray) -> Future:
        key = (words.__array_interface__["data"][0], words.shape, words.dtype.str)
        if key not in self._scattered:
            future = self.client.scatter(words, broadcast=True, hash=False)
            self._scattered[key] = (words, future)
        return self._scattered[key][1]

    def _n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info(n_workers=-1)["workers"]))

    def _chunks(self, n_pairs: int) -> list[slice]:
        workers = self._n_workers()
        n_chunks = max(workers, math.ceil(n_pairs / self.chunk_pairs))
        n_chunks = max(1, min(n_chunks, math.ceil(n_pairs / MIN_CHUNK_PAIRS)))
        bounds = np.linspace(0, n_pairs, n_chunks + 1).astype(np.int64)
        return [slice(int(s), int(e)) for s, e in itertools.pairwise(bounds)]

    def __call__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        layouts: Sequence[FieldLayout],
        cuts: Sequence[Sequence[float]],
    ) -> np.ndarray:
        """Levels of pairs (a[i], b[j]), computed chunk by chunk on the cluster."""
        if len(i) == 0:
            return self.kernel(a, b, i, j, layouts, cuts)
        on_a, on_b = self._on_workers(a), self._on_workers(b)
        # int32 indices halve what travels with each task whenever they fit.
        index = np.int32 if max(len(a), len(b)) < 2**31 else np.int64
        self._calls += 1
        futures = [
            self.client.submit(
                _levels_chunk,
                self.kernel,
                on_a,
                on_b,
                i[part].astype(index),
                j[part].astype(index),
                list(layouts),
                [list(c) for c in cuts],
                self.kernel_threads,
                key=f"padan-levels-{self._calls}-{n}",
                retries=self.retries,
                pure=False,
            )
            for n, part in enumerate(self._chunks(len(i)))
        ]
        try:
            parts = self.client.gather(futures)
        except (KilledWorker, FutureCancelledError, OSError) as exc:
            # A worker died too often, or every copy of a scattered CLK array was lost.
            raise PadanError(
                f"perbandingan di klaster Dask gagal (cluster comparison failed): "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        finally:
            self.client.cancel(futures)
        return np.concatenate(parts)

    def close(self) -> None:
        """Release the scattered CLK arrays on the workers; resume memory management."""
        futures = [future for _, future in self._scattered.values()]
        self._scattered.clear()
        if futures:
            self.client.cancel(futures)
        if self._amm_paused:
            self.client.amm.start()
            self._amm_paused = False


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
    the client waits for all of them, so the CLK arrays are broadcast to every worker.
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
def dask_comparer(spec: str, **options: Any) -> Iterator[DaskPairComparer]:
    """A :class:`DaskPairComparer` on the cluster named by ``spec``, released on exit."""
    with dask_client(spec) as client:
        comparer = DaskPairComparer(client, **options)
        try:
            yield comparer
        finally:
            comparer.close()
