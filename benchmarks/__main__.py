"""Run the benchmarks, print their tables and write the results as JSON.

    uv run --group bench python -m benchmarks [--quick] [--only NAME] [--output PATH]

``--quick`` runs a reduced version (1 000 FEBRL records, fewer repeats) in well under a
minute; it is the smoke test and writes ``results/quick.json`` unless told otherwise.
``--only`` runs some benchmarks and keeps the other results already in the output file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numba
from rich.console import Console

from padan.core.files import atomic_open

# name -> module with ``run(quick: bool) -> (json_dict, rich_tables)``; imported only
# when selected, so that ``--only dice`` does not load Splink.
BENCHMARKS = {
    "febrl": "benchmarks.febrl",
    "dice": "benchmarks.dice",
    "encode": "benchmarks.encode",
    "privacy": "benchmarks.privacy.__main__",  # the red-team suite
    # 50k/200k/700k people, cached under benchmarks/.cache; --quick links 5 000
    "city": "benchmarks.city_scale",
}
RESULTS_DIR = Path(__file__).parent / "results"
PACKAGES = ("numpy", "numba", "clkhash", "anonlink", "splink", "duckdb", "recordlinkage")


# CPU flags that decide which popcount code LLVM emits for the kernels.
VECTOR_FLAGS = ("popcnt", "avx2", "avx512f", "avx512_vpopcntdq")


def _cpuinfo(field: str) -> str | None:
    """The first ``field`` line of /proc/cpuinfo (Linux), or None."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _vector_flags() -> list[str]:
    flags = set((_cpuinfo("flags") or "").split())
    return [flag for flag in VECTOR_FLAGS if flag in flags]


def machine_info() -> dict:
    """What the numbers were measured on."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_model": _cpuinfo("model name") or platform.processor() or "unknown",
        "cpu_vector_flags": _vector_flags(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="padan's accuracy and speed benchmarks against the reference tools.",
    )
    parser.add_argument("--quick", action="store_true", help="reduced run (smoke test)")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="JSON file to write (default: results/latest.json, results/quick.json if --quick)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; print tables; write the JSON report atomically."""
    args = _parse(argv)
    output = args.output or RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
    selected = args.only or list(BENCHMARKS)
    console = Console()

    # Other processes on a 2-core machine distort the 2-thread numbers: record the load.
    load_at_start = [round(load, 2) for load in os.getloadavg()]
    report: dict = {}
    if args.only and output.exists():
        report = json.loads(output.read_text())  # keep the benchmarks not rerun
    timings = report.get("seconds", {})
    for name in selected:
        console.rule(f"[bold]{name}")
        start = time.perf_counter()
        summary, tables = importlib.import_module(BENCHMARKS[name]).run(args.quick)
        timings[name] = round(time.perf_counter() - start, 2)
        report.update(summary)
        for table in tables:
            console.print(table)

    report.update(
        {
            "generated": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "command": " ".join(["python -m benchmarks", *(argv or sys.argv[1:])]),
            "machine": {**machine_info(), "load_average_at_start": load_at_start},
            "seconds": timings,
        }
    )
    with atomic_open(output) as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
        handle.write("\n")
    console.print(f"Results written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
