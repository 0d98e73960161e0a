"""Scaling of ``padan link --cluster``: 1 → 2 Dask workers at three input sizes.

    uv run --group bench python benchmarks/scale_dask.py [--sizes 5000 15000 40000]

Synthetic people are generated and encoded once per size (registry + CKG list), then
the coordinator's ``decide`` runs in-process (the default path: the same partition
tasks one after another) and on a ``LocalCluster`` of 1 and 2 worker processes (one
thread and one numba thread each; partition files in a temporary work directory).
Every Dask run is checked to decide exactly like the in-process run. Memory: the
driver's peak RSS during ``decide`` (sampled every 20 ms, above its RSS before) and
each worker process's peak RSS (``ru_maxrss``). Prints a table and writes
``benchmarks/results/scale_dask.json``; docs/scale.md derives its sizing from these.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
from distributed import Client, LocalCluster
from rich.console import Console
from rich.table import Table

from padan.core.files import atomic_open
from padan.core.schema import schema_fingerprint
from padan.link.dask_runner import DaskRunner
from padan.link.outcome import LinkOutcome
from padan.link.pairing import LocalRunner, PairRunner
from padan.link.run import decide
from padan.link.verify import LoadedPackage, load_packages
from padan.owner.encode import encode_files
from padan.synth import SynthOptions, generate
from padan.trust.identity import new_identity
from padan.trust.secret import load_secret, new_secret

RESULT = Path(__file__).parent / "results" / "scale_dask.json"
WORKERS = (1, 2)
MB = 1024 * 1024


class PeakRss:
    """Peak resident memory of this process while the block runs, above its start."""

    def __enter__(self) -> PeakRss:
        self._process = psutil.Process()
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def added_mb(self) -> float:
        """Peak minus the RSS at the start, in MB."""
        return (self.peak - self.start) / MB


def _worker_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _packages(work: Path, people: int) -> list[LoadedPackage]:
    """Synthetic registry and CKG list of ``people``, encoded by two owners."""
    registry, health = (
        new_identity("disdukcapil-bench", "owner"),
        new_identity("dinkes-bench", "owner"),
    )
    coordinator = new_identity("koordinator-bench", "coordinator")
    new_secret(registry, [registry.card, health.card], schema_fingerprint(), work)
    secret = load_secret(work / f"{registry.card.org}.secret", registry)
    generate(work / "data", SynthOptions(people=people, seed=1))
    paths = [
        encode_files(
            [work / "data" / source],
            identity=owner,
            secret=secret,
            out=work / f"{Path(source).stem}.padan",
            role=role,
        ).package
        for source, owner, role in (("siak.csv", registry, "registry"), ("ckg.csv", health, "list"))
    ]
    trusted = {p.card.fingerprint: p.card for p in (registry, health, coordinator)}
    return load_packages(paths, trusted)


def _timed_decide(packages: list[LoadedPackage], runner: PairRunner) -> tuple[LinkOutcome, dict]:
    with PeakRss() as rss:
        started = time.perf_counter()
        outcome = decide(packages, seed=1, runner=runner)
        seconds = time.perf_counter() - started
    return outcome, {"seconds": seconds, "driver_added_rss_mb": rss.added_mb}


def _rows(outcome: LinkOutcome) -> dict[str, list]:
    return {Path(k).name: v for k, v in outcome.rows.items()}


def run_size(people: int) -> dict[str, Any]:
    """All runs at one input size."""
    with tempfile.TemporaryDirectory(prefix="padan-scale-") as tmp:
        packages = _packages(Path(tmp), people)
    records = sum(len(p.table) for p in packages)
    n_registry = len(next(p for p in packages if p.manifest.role == "registry").table)
    decide(packages, seed=1)  # warm-up: numba cache
    local, base = _timed_decide(packages, LocalRunner())
    runs: dict[str, Any] = {"in_process": base}
    for n in WORKERS:
        with (
            tempfile.TemporaryDirectory(prefix="padan-partitions-") as work,
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(n)
            decide(packages, seed=1, runner=DaskRunner(client, work_dir=Path(work) / "warm"))
            client.restart()  # fresh worker processes: their peak RSS is this run's
            client.wait_for_workers(n)
            runner = DaskRunner(client, work_dir=Path(work) / "run")
            outcome, run = _timed_decide(packages, runner)
            run["tasks"] = runner.tasks
            run["worker_peak_rss_mb"] = max(client.run(_worker_peak_mb).values())
        if _rows(outcome) != _rows(local):
            raise SystemExit(f"{n} worker(s) decided differently from the in-process run")
        runs[f"dask_{n}"] = run
    for name, run in runs.items():
        workers = int(name.split("_")[1]) if name.startswith("dask") else 1
        run["records_per_second"] = records / run["seconds"]
        run["records_per_second_per_worker"] = run["records_per_second"] / workers
    pairs = local.link.blocking.candidate_pairs + local.dedup.blocking.candidate_pairs
    return {
        "people": people,
        "records": records,
        "registry_records": n_registry,
        "list_records": records - n_registry,
        "link_candidate_pairs": local.link.blocking.candidate_pairs,
        "dedup_candidate_pairs": local.dedup.blocking.candidate_pairs,
        "candidate_pairs": pairs,
        "link_pairs_per_list_record": local.link.blocking.candidate_pairs / (records - n_registry),
        "dedup_pairs_per_registry_record": local.dedup.blocking.candidate_pairs / n_registry,
        "link_patterns": len(local.link.pattern_pairs),
        "dedup_patterns": len(local.dedup.pattern_pairs),
        "identical_to_in_process": True,
        "runs": runs,
    }


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="padan link --cluster: LocalCluster scaling (records = registry + list)")
    for name in (
        "people",
        "records",
        "candidate pairs",
        "patterns",
        "run",
        "total s",
        "records/s/worker",
        "driver +MB",
        "worker peak MB",
    ):
        table.add_column(name, justify="right")
    for res in results:
        for name, run in res["runs"].items():
            table.add_row(
                f"{res['people']:,}",
                f"{res['records']:,}",
                f"{res['candidate_pairs']:,}",
                f"{res['link_patterns'] + res['dedup_patterns']:,}",
                name,
                f"{run['seconds']:.2f}",
                f"{run['records_per_second_per_worker']:,.0f}",
                f"{run['driver_added_rss_mb']:,.0f}",
                f"{run['worker_peak_rss_mb']:,.0f}" if "worker_peak_rss_mb" in run else "—",
            )
    return table


def main() -> None:
    """Run every size, print the table and write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 15000, 40000])
    args = parser.parse_args()
    results = [run_size(people) for people in args.sizes]
    Console(width=160).print(_table(results))
    payload = {
        "benchmark": "scale_dask",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "note": "in_process runs the partition tasks in this process (numba on all cores); "
        "dask_N uses N worker processes with one thread and one numba thread each, "
        "partition files written by the driver included. driver_added_rss_mb: peak RSS "
        "during decide above the RSS before it; worker_peak_rss_mb: max over workers.",
        "sizes": results,
    }
    with atomic_open(RESULT) as handle:
        json.dump(payload, handle, indent=2)
    Console().print(f"Wrote {RESULT}")


if __name__ == "__main__":
    main()
