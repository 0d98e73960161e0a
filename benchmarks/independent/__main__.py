"""Command line: ``python -m benchmarks.independent --out DIR --people N --seed S``."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks.independent.generate import generate


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, generate, print what was written."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.independent",
        description="Serang-like registry, two CKG lists and truth.csv (independent errors).",
    )
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--people", type=int, default=2000, help="registry people")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same bytes")
    args = parser.parse_args(argv)
    summary = generate(args.out, people=args.people, seed=args.seed)
    lists = ", ".join(map(str, summary.list_rows))
    print(f"registry rows: {summary.registry_rows}; list rows: {lists}")
    for path in summary.files:
        print(f"written: {path}")


if __name__ == "__main__":
    main()
