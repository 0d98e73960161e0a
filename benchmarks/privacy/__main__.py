"""The red-team suite: a curious coordinator attacks the packages of one synthetic city.

    uv run --group bench python -m benchmarks.privacy [--people N] [--quick] [--schema NAME]

The attacker holds the registry and list packages, the public linkage schema and code,
public facts (NIK structure, region codes) and, in the worst case, a leaked plaintext
population list of the same people without NIK/KK (``data``). Attacks, all generic over
the packages' columns (``padan.owner.risk.package_columns``):

a. closure mining on every filter field within its salt groups (package-only,
   ``padan.owner.risk.mine_filter``) and frequency alignment + frequent-q-gram pattern
   mining on text filter fields (``mining``);
b. frequency alignment of every equality column alone and jointly (``alignment``);
c. field values of re-identified records and naming list rows (``naming``);
d. graph matching on field similarities (``graph``).

Prints a per-field table and a per-column table; writes
``benchmarks/results/privacy-<people>.json``. The old hardening comparison of schema
variants is ``python -m benchmarks.privacy.hardening``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

# padan internals used by the benchmark (kept in one place for the layout refactor).
from padan.core.files import atomic_open
from padan.core.schema import DEFAULT_SCHEMA
from padan.owner.risk import FIELDS, SAMPLE, assess_columns

from .alignment import align_columns, plain_columns, reidentify
from .data import Corpus, corpus, leak
from .graph import graph_match
from .mining import mine_text_fields
from .naming import VALUES, decoded_fields, link_list_rows
from .v1 import schema_data

PEOPLE, QUICK_PEOPLE = 20_000, 2_000
CLOSURE_SAMPLE = SAMPLE  # records the closure attack runs on (a sample above that)
RESULTS = Path(__file__).resolve().parent.parent / "results"


def _truth_values(c: Corpus) -> dict[str, list[str | None]]:
    records = c.registry.records
    out = {name: [source(r) or None for r in records] for name, source in VALUES.items()}
    out["nik"] = [r.nik for r in records]
    return out


def _score(claims: list[str | None], truth: list[str | None]) -> dict[str, float]:
    made = [(c, t) for c, t in zip(claims, truth, strict=True) if c is not None]
    right = sum(c == t for c, t in made)
    return {
        "decoded": right / max(sum(t is not None for t in truth), 1),
        "precision": right / len(made) if made else 0.0,
    }


def measure(people: int, schema: str, *, seed: int = 1) -> dict[str, Any]:
    """Run every attack on one synthetic city under ``schema``; the report as a dict."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 1)
        clock = time.perf_counter()

    c = corpus(people, schema, seed=seed)
    spec = schema_data(schema)
    lap("data")
    reg, lst = c.registry.columns, c.list.columns
    # a. package-only (what `padan risk` runs), on a sample at city scale.
    package_only = assess_columns(reg.sample(CLOSURE_SAMPLE, seed), seed=seed)
    lap("closure")
    mined = mine_text_fields(reg, spec, c.registry.records)
    lap("pattern_mining")
    # b. frequency alignment per column and jointly.
    plain = plain_columns(reg, spec, c.leaked.records)
    enc = {col.name: col.keys for col in reg.equality if col.name in plain}
    own = plain_columns(reg, spec, [leak(r) for r in c.registry.records])
    per_column = align_columns(enc, plain, own)
    claim = reidentify(enc, plain)
    lap("alignment")
    # c. field values and list rows.
    right = claim >= 0
    right[right] = c.leaked.person[claim[right]] == c.registry.person[right]
    claims = decoded_fields(claim, c.leaked.records, c.leaked.kecamatan)
    truth = _truth_values(c)
    fields = {name: _score(claims[name], truth[name]) for name in claims}
    link = link_list_rows(reg, lst)
    named = link >= 0
    named[named] = claim[link[named]] >= 0
    correct = named.copy()
    correct[named] = c.leaked.person[claim[link[named]]] == c.list.person[named]
    lap("naming")
    # d. graph matching.
    graph = graph_match(reg, spec, c.registry.records, seed=seed)
    lap("graph")
    return {
        "people": people,
        "schema": schema,
        "registry_rows": reg.records,
        "list_rows": lst.records,
        "closure_sample": min(reg.records, CLOSURE_SAMPLE),
        "columns_seen": [col.name for col in reg.equality],
        "columns_with_plaintext": sorted(plain),
        "package_only": package_only.to_dict(),
        "pattern_mining": mined,
        "alignment": per_column,
        "reidentified": {
            "claimed": float((claim >= 0).mean()),
            "right": float(right.mean()),
            "precision": float(right.sum() / max(int((claim >= 0).sum()), 1)),
        },
        "fields": fields,
        "graph": graph,
        "list_named": {
            "share": float(correct.mean()),
            "precision": float(correct.sum() / max(int(named.sum()), 1)),
            "linked": float((link >= 0).mean()),
        },
        "seconds": timings,
    }


def field_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per person field: the best decode over all attacks, and where from."""
    rows = []
    for name in FIELDS:
        candidates = {}
        if name in report["fields"]:
            f = report["fields"][name]
            candidates["re-identified + leaked list"] = (f["decoded"], f["precision"])
        for column, m in report["pattern_mining"].items():
            if name in m["fields"]:
                candidates[f"pattern mining {column}"] = (m["mined_exact"], None)
                candidates[f"frequency alignment {column}"] = (m["aligned"], None)
        for column, share in report["graph"].items():
            if column == name:
                candidates[f"graph matching {column} (sample)"] = (share, None)
        for column, a in report["alignment"].items():
            if column == f"filter_{name}" or column == f"token_{name}":
                candidates[f"class-size alignment {column}"] = (a["decoded"], a["precision"])
        package = report["package_only"]["fields"].get(name, {"decodable": 0.0})
        # Best share; on a tie, the attack whose precision is known.
        best = max(
            candidates.items(),
            key=lambda kv: (kv[1][0], kv[1][1] is not None),
            default=("–", (0.0, None)),
        )
        rows.append(
            {
                "field": name,
                "decoded": best[1][0],
                "precision": best[1][1],
                "by": best[0],
                "package_only": package["decodable"],
            }
        )
    return rows


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def tables(report: dict[str, Any]) -> list[Table]:
    """The per-field table and the per-column alignment table."""
    title = (
        f"Red team on schema {report['schema']}: {report['registry_rows']:,} registry + "
        f"{report['list_rows']:,} list rows ({report['people']:,} people); closure on "
        f"{report['closure_sample']:,} sampled records"
    )
    per_field = Table(title=title)
    for column in ("field", "decoded (leaked list)", "precision", "best attack", "package only"):
        left = column in ("field", "best attack")
        per_field.add_column(column, justify="left" if left else "right")
    for row in field_rows(report):
        per_field.add_row(
            row["field"],
            _pct(row["decoded"]),
            _pct(row["precision"]),
            row["by"],
            _pct(row["package_only"]),
        )
    named = report["list_named"]
    per_field.add_row(
        "list rows named", _pct(named["share"]), _pct(named["precision"]), "links + re-id", "–"
    )
    columns = Table(title="Equality columns: class-size alignment (alone) with the leaked list")
    for column in ("column", "classes", "decoded", "precision"):
        columns.add_column(column, justify="left" if column == "column" else "right")
    for name, a in report["alignment"].items():
        columns.add_row(name, f"{a['classes']:,}", _pct(a["decoded"]), _pct(a["precision"]))
    reid = report["reidentified"]
    columns.add_row(
        "JOINT (signatures + propagation)", "–", _pct(reid["right"]), _pct(reid["precision"])
    )
    return [per_field, columns]


def run(quick: bool) -> tuple[dict, list[Table]]:
    """Entry point for ``python -m benchmarks`` (``--quick``: 2,000 people)."""
    report = measure(QUICK_PEOPLE if quick else PEOPLE, DEFAULT_SCHEMA)
    return {"privacy": report}, tables(report)


def main(argv: list[str] | None = None) -> int:
    """Run the suite, print its tables, write ``results/privacy-<people>.json``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.privacy", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--people", type=int, help=f"city size (default {PEOPLE:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_PEOPLE:,} people")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="linkage schema to attack")
    parser.add_argument("--seed", type=int, default=1, help="synthetic data seed")
    parser.add_argument("--output", type=Path, help="JSON file (default results/privacy-N.json)")
    args = parser.parse_args(argv)
    people = args.people or (QUICK_PEOPLE if args.quick else PEOPLE)
    report = measure(people, args.schema, seed=args.seed)
    report["command"] = " ".join(["python -m benchmarks.privacy", *(argv or sys.argv[1:])])
    console = Console()
    for table in tables(report):
        console.print(table)
    output = args.output or RESULTS / f"privacy-{people}.json"
    with atomic_open(output) as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
        handle.write("\n")
    console.print(f"Results written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
