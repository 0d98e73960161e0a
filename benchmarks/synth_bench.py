"""Benchmark ``padan synth``: people per second and peak RSS for a few registry sizes.

Run: ``uv run python benchmarks/synth_bench.py [--sizes 10000 100000 1000000]``. Each
size runs in a child process so that its peak RSS is its own; workers of a sharded run
(more than ``SHARD_PEOPLE`` people) are reported separately, and CPU seconds (all
processes) beside wall seconds, since other jobs on the machine stretch the wall time.
Prints a table and writes ``benchmarks/results/synth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from padan.core.files import write_bytes_atomic

RESULTS = Path(__file__).resolve().parent / "results" / "synth.json"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)

_CHILD = """
import json, resource, sys, time
from padan.synth import SynthOptions, generate
start = time.perf_counter()
summary = generate(sys.argv[1], SynthOptions(people=int(sys.argv[2]), seed=1))
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
    "registry_rows": summary.registry_rows,
    "list_rows": summary.list_rows,
    "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "peak_rss_workers_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def measure(people: int) -> dict:
    """Generate ``people`` into a temporary directory in a child process."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="padan-synth-bench-") as out:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, out, str(people)],
            check=True,
            capture_output=True,
            text=True,
        )
        written = sum(p.stat().st_size for p in Path(out).iterdir())
    result = json.loads(done.stdout)
    return {
        "people": people,
        "registry_rows": result["registry_rows"],
        "list_rows": result["list_rows"],
        "seconds": round(result["seconds"], 2),
        "cpu_seconds": round(result["cpu_seconds"], 2),
        "people_per_second": round(people / result["seconds"]),
        "peak_rss_mib": round(result["peak_rss_kib"] / 1024, 1),
        "peak_rss_workers_mib": round(result["peak_rss_workers_kib"] / 1024, 1),
        "output_mib": round(written / 2**20, 1),
        "load_average": round(max(load_before, os.getloadavg()[0]), 2),  # other jobs running
    }


def main() -> None:
    """Run the sizes, print a table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    args = parser.parse_args()
    runs = [measure(people) for people in args.sizes]
    table = Table(title="padan synth (seed 1, default rates)")
    for column in ("people", "registry rows", "list rows", "seconds", "CPU s", "people/s",
                   "peak RSS MiB", "workers' peak MiB", "output MiB", "load avg"):  # fmt: skip
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(*(f"{value:,}" for value in run.values()))
    Console().print(table)
    report = {
        "benchmark": "padan synth",
        "runs": runs,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    write_bytes_atomic(RESULTS, (json.dumps(report, indent=2) + "\n").encode())
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
