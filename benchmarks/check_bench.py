"""Benchmark ``padan check`` on 1 M generated CKG-style rows: rows/s and peak RSS.

Run: ``uv run --group bench python benchmarks/check_bench.py [--rows N]``. Generates a
synthetic CSV (fixed seed, no real person) once, then checks it in a child process so
the peak RSS is the check's own. Prints a table and writes ``benchmarks/results/check.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

from padan.core.files import atomic_open
from padan.synth.corruption import LIST_COLUMNS

RESULTS = Path(__file__).resolve().parent / "results" / "check.json"
HEADER = LIST_COLUMNS  # the columns padan synth writes for CKG lists
GIVEN = [
    "SITI",
    "AMINAH",
    "BUDI",
    "SANTOSO",
    "DEWI",
    "LESTARI",
    "AHMAD",
    "FAUZI",
    "NUR",
    "HASANAH",
    "RIZKY",
    "PUTRI",
    "AGUS",
]
FAMILY = [
    "SAPUTRA",
    "RAHAYU",
    "HIDAYAT",
    "WULANDARI",
    "KURNIAWAN",
    "SETIAWAN",
    "MAULANA",
    "SAFITRI",
]
TITLES = ("", "", "", "", "", "Hj. ", "H. ", "Moch. ", "dr. ")
SUFFIX = ("", "", "", "", "", ", S.Pd", ", S.Kep", ", A.Md")
PLACES = ("SERANG", "Kota Serang", "PANDEGLANG", "Lebak", "TJILEGON", "Jakarta")
PREFIXES = ("367301", "367302", "367303", "367304", "367305", "367306", "360101", "320101")


def _row(rng: random.Random, index: int) -> list[str]:
    """One CKG-like row with the usual share of damage (Excel, formats, typos)."""
    female = rng.random() < 0.5
    year, month, day = rng.randint(1940, 2023), rng.randint(1, 12), rng.randint(1, 28)
    date_part = f"{day + 40 * female:02d}{month:02d}{year % 100:02d}"
    nik = f"{rng.choice(PREFIXES)}{date_part}{rng.randint(1, 40):04d}"
    kk = f"{nik[:6]}{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(0, 23):02d}"
    kk += f"{rng.randint(1, 999):04d}"
    damage = rng.random()
    if damage < 0.03:
        nik = f"{nik[0]}.{nik[1:6]}E+15"
    elif damage < 0.06:
        nik = nik[:15] + "0"
    elif damage < 0.08:
        nik = nik[:15]
    elif damage < 0.10:
        nik = ""
    formats = (
        f"{day:02d}-{month:02d}-{year}",
        f"{year}-{month:02d}-{day:02d}",
        f"{day}/{month}/{year}",
        f"{day} Agustus {year}" if month == 8 else f"{day:02d}.{month:02d}.{year}",
    )
    name = f"{rng.choice(TITLES)}{rng.choice(GIVEN)} {rng.choice(FAMILY)}{rng.choice(SUFFIX)}"
    mother = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
    return [
        f"REG{index:07d}",
        nik,
        kk,
        name,
        "P" if female else "L",
        rng.choice(formats),
        rng.choice(PLACES),
        f"Kp. {rng.choice(FAMILY).title()} No. {rng.randint(1, 200)}",
        f"{rng.randint(1, 15):03d}",
        f"{rng.randint(1, 9):03d}",
        mother,
        f"Puskesmas {rng.randint(1, 16)}",
        "2025-03-01",
    ]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write ``rows`` synthetic CKG rows to ``path`` (deterministic for a seed)."""
    rng = random.Random(seed)
    with atomic_open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for index in range(rows):
            writer.writerow(_row(rng, index))


_CHILD = """
import json, resource, sys, time
from padan.owner.check import check_files
start, cpu = time.perf_counter(), time.process_time()
report = check_files([sys.argv[1]])
seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": report.rows, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_rss_kib": peak_kib,
                  "nik_valid_share": report.nik_valid_share,
                  "problem_classes": len(report.problems)}))
"""


def measure(path: Path) -> dict:
    """Run ``check_files`` on ``path`` in a child process; poll its RSS with psutil too."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.PIPE)
    process = psutil.Process(child.pid)
    polled = 0
    while child.poll() is None:
        try:
            polled = max(polled, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    out, _ = child.communicate()
    if child.returncode:
        raise SystemExit(f"check failed with exit code {child.returncode}")
    result = json.loads(out)
    result["peak_rss_polled_mib"] = round(polled / 2**20, 1)
    return result


def main() -> None:
    """Generate (or reuse) the input, measure, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    data = args.workdir / f"padan-check-bench-{args.rows}.csv"
    if not data.exists():
        start = time.perf_counter()
        generate(data, args.rows)
        print(f"generated {data} in {time.perf_counter() - start:.1f} s")
    result = measure(data)
    rows_per_second = result["rows"] / result["seconds"]
    summary = {
        "benchmark": "padan check",
        "rows": result["rows"],
        "file_mib": round(data.stat().st_size / 2**20, 1),
        "seconds": round(result["seconds"], 2),
        "rows_per_second": round(rows_per_second),
        "cpu_seconds": round(result["cpu_seconds"], 2),
        "rows_per_cpu_second": round(result["rows"] / result["cpu_seconds"]),
        "peak_rss_mib": round(result["peak_rss_kib"] / 1024, 1),
        "peak_rss_polled_mib": result["peak_rss_polled_mib"],
        "nik_valid_share": round(result["nik_valid_share"], 4),
        "problem_classes": result["problem_classes"],
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    table = Table(title="padan check benchmark")
    table.add_column("Measure")
    table.add_column("Value", justify="right")
    keys = ("rows", "file_mib", "seconds", "rows_per_second", "cpu_seconds",
            "rows_per_cpu_second", "peak_rss_mib")  # fmt: skip
    for key in keys:
        table.add_row(key, f"{summary[key]:,}")
    Console().print(table)
    with atomic_open(RESULTS, "w") as handle:
        json.dump(summary, handle, indent=2)
        handle.write("\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
