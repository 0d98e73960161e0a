"""Scaling of ``padan link --cluster``: 1 → 2 Dask workers at three input sizes.

    uv run --group bench python benchmarks/scale_dask.py [--sizes 5000 15000 40000]

Synthetic people are generated and encoded once per size (registry + CKG list), then
the coordinator's ``decide`` runs in-process (numba on all cores, the default path)
and on a ``LocalCluster`` of 1 and 2 worker processes (one thread and one numba thread
each). Every Dask run is checked to decide exactly like the in-process run. Prints a
table and writes ``benchmarks/results/scale_dask.json``; docs/scale.md derives its
sizing from the per-worker pair throughput and the candidate pairs per record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from distributed import Client, LocalCluster
from rich.console import Console
from rich.table import Table

from padan.comparison import compare_pairs
from padan.distributed import DaskPairComparer
from padan.encoding import encode_files
from padan.files import atomic_open
from padan.identity import new_identity
from padan.linkage_schema import schema_fingerprint
from padan.linking import LinkOutcome, LoadedPackage, PairComparer, decide, load_packages
from padan.secret import load_secret, new_secret
from padan.synth import SynthOptions, generate

RESULT = Path(__file__).parent / "results" / "scale_dask.json"
WORKERS = (1, 2)


class TimedComparer:
    """Wraps a comparer; counts the pairs it compared and the seconds it took."""

    def __init__(self, inner: PairComparer):
        self.inner, self.pairs, self.seconds = inner, 0, 0.0

    def __call__(self, a, b, i, j, layouts, cuts) -> np.ndarray:
        started = time.perf_counter()
        out = self.inner(a, b, i, j, layouts, cuts)
        self.seconds += time.perf_counter() - started
        self.pairs += len(i)
        return out


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


def _timed_decide(packages: list[LoadedPackage], compare: PairComparer) -> tuple[LinkOutcome, dict]:
    timed = TimedComparer(compare)
    started = time.perf_counter()
    outcome = decide(packages, seed=1, compare=timed)
    seconds = time.perf_counter() - started
    return outcome, {"seconds": seconds, "compare_seconds": timed.seconds, "pairs": timed.pairs}


def _rows(outcome: LinkOutcome) -> dict[str, list]:
    return {Path(k).name: v for k, v in outcome.rows.items()}


def run_size(people: int) -> dict[str, Any]:
    """All runs at one input size."""
    with tempfile.TemporaryDirectory(prefix="padan-scale-") as tmp:
        packages = _packages(Path(tmp), people)
    records = sum(len(p.table) for p in packages)
    n_registry = len(next(p for p in packages if p.manifest.role == "registry").table)
    decide(packages, seed=1)  # warm-up: numba cache
    local, base = _timed_decide(packages, compare_pairs)
    runs: dict[str, Any] = {"in_process": base}
    for n in WORKERS:
        with (
            LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(n)
            comparer = DaskPairComparer(client)
            decide(packages, seed=1, compare=comparer)  # warm-up: numba cache, imports
            comparer.close()
            comparer = DaskPairComparer(client)
            outcome, run = _timed_decide(packages, comparer)
            comparer.close()
        if _rows(outcome) != _rows(local):
            raise SystemExit(f"{n} worker(s) decided differently from the in-process run")
        runs[f"dask_{n}"] = run
    for run in runs.values():
        run["records_per_second"] = records / run["seconds"]
        run["pairs_per_second"] = run["pairs"] / run["compare_seconds"]
    for n in WORKERS:
        run = runs[f"dask_{n}"]
        run["records_per_second_per_worker"] = run["records_per_second"] / n
        run["pairs_per_second_per_worker"] = run["pairs_per_second"] / n
    return {
        "people": people,
        "records": records,
        "registry_records": n_registry,
        "list_records": records - n_registry,
        "link_candidate_pairs": local.link.blocking.candidate_pairs,
        "dedup_candidate_pairs": local.dedup.blocking.candidate_pairs,
        "link_pairs_per_list_record": local.link.blocking.candidate_pairs / (records - n_registry),
        "dedup_pairs_per_registry_record": local.dedup.blocking.candidate_pairs / n_registry,
        "identical_to_in_process": True,
        "runs": runs,
    }


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="padan link --cluster: LocalCluster scaling (records = registry + list)")
    for name in (
        "people",
        "records",
        "run",
        "total s",
        "compare s",
        "pairs compared",
        "records/s",
        "records/s/worker",
        "pairs/s/worker",
    ):
        table.add_column(name, justify="right")
    for res in results:
        for name, run in res["runs"].items():
            workers = int(name.split("_")[1]) if name.startswith("dask") else None
            per = {
                key: f"{run[key + '_per_worker']:,.0f}" if workers else "—"
                for key in ("records_per_second", "pairs_per_second")
            }
            table.add_row(
                f"{res['people']:,}",
                f"{res['records']:,}",
                name,
                f"{run['seconds']:.2f}",
                f"{run['compare_seconds']:.2f}",
                f"{run['pairs']:,}",
                f"{run['records_per_second']:,.0f}",
                per["records_per_second"],
                per["pairs_per_second"],
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
        "note": "in_process uses numba on all cores; dask_N uses N worker processes with one "
        "thread and one numba thread each. compare seconds include scheduling and transfer.",
        "sizes": results,
    }
    with atomic_open(RESULT) as handle:
        json.dump(payload, handle, indent=2)
    Console().print(f"Wrote {RESULT}")


if __name__ == "__main__":
    main()
