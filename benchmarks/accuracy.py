"""Accuracy of the whole CLI flow on two error models: padan synth's and an independent one.

    uv run --group bench python -m benchmarks.accuracy [--people 10000] [--seed 1]
        [--runs 3] [--only padan_synth|independent] [--workdir DIR] [--output PATH]

For each generator — ``padan synth`` (the one the matcher was tuned on) and
``benchmarks.independent`` (an error model nobody tuned on) — it runs the real command
line in a subprocess, exactly as three agencies would: ``padan keys new`` (registry,
list owner, coordinator), ``secret new``, ``encode`` (registry: ``siak.csv``, profile
``siak``; list: every ``ckg*.csv``, profile ``ckg``), ``link --seed 1``, ``reconcile``
for both owners and ``evaluate --json``. Only the CLI contract is used, so the harness
runs unchanged on any branch that keeps it. Each data set is linked ``--runs`` times,
each time with fresh keys and a fresh secret; the run with the median action-status
precision is reported, every run's headline numbers beside it.

Reported per generator (``benchmarks/results/accuracy.json`` and one table):

* link precision / recall / F1 and NIK-ganda pairwise F1 — from ``padan evaluate``;
* **precision of action statuses** — rows that tell a clerk to change data
  (``NIK_BERBEDA``, ``KK_BERBEDA``, ``NIK_MILIK_ORANG_LAIN``, ``GANDA``): the share that
  are right. ``NIK_BERBEDA``/``KK_BERBEDA``: the row is linked to the same person on the
  other side. ``NIK_MILIK_ORANG_LAIN``: the NIK written on the list row is the registry
  NIK of someone else (the status names nobody; a wrong link it also carries is counted
  as ``wrong_link`` and in link precision). ``GANDA``: another registry row of the same
  duplicate group is the same person. Target ≥ 99.5%. Each wrong action row is listed
  in the JSON (``wrong_actions``: status, band, truth labels of the row and its partners);
* ``NIK_BERBEDA`` precision per confidence band (``TINGGI``/``SEDANG``/``RENDAH``);
* per error type (the truth file's labels): rows, findable, correctly linked, recall,
  wrong links and wrong action statuses — which damage costs recall and which costs
  precision.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.independent import generate as generate_independent

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "accuracy.json"
PROFILES = ROOT / "schemas" / "profiles"
GENERATORS = ("padan_synth", "independent")
ACTION_STATUSES = ("NIK_BERBEDA", "KK_BERBEDA", "NIK_MILIK_ORANG_LAIN", "GANDA")
BANDS = ("TINGGI", "SEDANG", "RENDAH")
TARGET = 0.995
PASSPHRASE = "accuracy-benchmark-passphrase"  # throwaway keys in a temporary directory
ORGS = {"registry": "disdukcapil-serang", "list": "dinkes-serang", "coordinator": "koordinator"}


# -- the CLI (the only place padan is called) -------------------------------------------


def padan(*args: object, cwd: Path | None = None) -> str:
    """Run ``python -m padan ARGS`` with the benchmark passphrase; return its stdout.

    ``cwd`` is where padan appends its audit log (``padan-audit.jsonl``): the work
    directory, not the user's.
    """
    env = {**os.environ, "PADAN_PASSPHRASE": PASSPHRASE, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "padan", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"padan {args[0]} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def generate_data(generator: str, out: Path, people: int, seed: int) -> None:
    """Write ``siak.csv``, ``ckg*.csv`` and ``truth.csv`` into ``out``."""
    if generator == "padan_synth":
        out.mkdir(parents=True)
        padan("synth", "--out", out, "--people", people, "--seed", seed, cwd=out.parent)
    else:
        generate_independent(out, people=people, seed=seed)


def run_flow(data: Path, work: Path) -> tuple[list[Path], dict[str, float]]:
    """Keys, secret, encode, link, reconcile; the two worklists and seconds per stage."""
    keys, cards = work / "keys", work / "cards"
    work.mkdir(parents=True)
    seconds: dict[str, float] = {}

    def timed(stage: str, *args: object) -> None:
        start = time.perf_counter()
        padan(*args, cwd=work)
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start

    for role, org in ORGS.items():
        kind = "coordinator" if role == "coordinator" else "owner"
        timed("keys", "keys", "new", "--org", org, "--role", kind, "--out", keys)
    cards.mkdir()
    for card in keys.glob("*.card.json"):
        shutil.copy(card, cards / card.name)
    owners = {role: ORGS[role] for role in ("registry", "list")}
    to = [arg for org in owners.values() for arg in ("--to", keys / f"{org}.card.json")]
    timed("secret", "secret", "new", "--key", keys / f"{owners['registry']}.key", *to,
          "--out", work / "secret")  # fmt: skip
    inputs = {"registry": [data / "siak.csv"], "list": sorted(data.glob("ckg*.csv"))}
    profile = {"registry": "siak", "list": "ckg"}
    for role, org in owners.items():
        timed("encode", "encode", *inputs[role], "--key", keys / f"{org}.key",
              "--secret", work / "secret" / f"{org}.secret", "--profile", profile[role],
              "--role", role, "--out", work / "packages" / f"{role}.padan")  # fmt: skip
    packages = [work / "packages" / f"{role}.padan" for role in owners]
    timed("link", "link", *packages, "--key", keys / f"{ORGS['coordinator']}.key",
          "--trust", cards, "--out", work / "run", "--seed", 1)  # fmt: skip
    worklists = []
    for role, org in owners.items():
        worklist = work / "worklists" / f"{role}.csv"
        timed("reconcile", "reconcile", work / "run" / f"{org}.result",
              "--key", keys / f"{org}.key",
              "--keymap", work / "packages" / f"{role}.keymap.parquet", "--trust", cards,
              "--input", *inputs[role], "--out", worklist)  # fmt: skip
        worklists.append(worklist)
    return worklists, seconds


def evaluate(truth: Path, worklists: Sequence[Path], out: Path) -> dict[str, Any]:
    """``padan evaluate --json``: its scores as a dict."""
    padan("evaluate", "--truth", truth, *[a for w in worklists for a in ("--worklist", w)],
          "--json", out, cwd=out.parent)  # fmt: skip
    return json.loads(out.read_text(encoding="utf-8"))


# -- scoring beyond padan evaluate ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """A worklist row joined with truth."""

    side: str  # registry | list
    person: str
    errors: tuple[str, ...]
    status: str
    match_id: str
    dup_group: str
    confidence: str
    nik: str  # digits of the NIK as written on the row


def _nik_columns() -> set[str]:
    """Normalised header names that hold a NIK, from the input profiles."""
    names: set[str] = set()
    for path in sorted(PROFILES.glob("*.json")):
        names.update(_normalise(h) for h in json.loads(path.read_text())["fields"].get("nik", []))
    return names


def _normalise(header: str) -> str:
    """A header as the profiles compare it: capitals and digits only."""
    return re.sub(r"[^0-9A-Z]", "", header.upper())


def read_rows(truth: Path, worklists: Sequence[Path]) -> list[Row]:
    """Every worklist row that truth knows, with its truth."""
    with open(truth, encoding="utf-8-sig", newline="") as handle:
        known = {(Path(t["source"]).name, int(t["row"])): t for t in csv.DictReader(handle)}
    nik_columns = _nik_columns()
    rows = []
    for path in worklists:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            # a worklist of several files has the union of their columns
            niks = [h for h in reader.fieldnames or () if _normalise(h) in nik_columns]
            for line in reader:
                t = known.get((Path(line["padan_source"]).name, int(line["padan_row"])))
                if t is None:
                    continue
                written = next((line[h] for h in niks if line[h]), "")
                rows.append(
                    Row(
                        side=t["dataset"],
                        person=t["person_id"],
                        errors=tuple(e for e in t["errors"].split(";") if e) or ("(none)",),
                        status=line["padan_status"],
                        match_id=line["padan_match_id"],
                        dup_group=line["padan_dup_group"],
                        confidence=line.get("padan_confidence", ""),
                        nik=re.sub(r"\D", "", written),
                    )
                )
    return rows


@dataclass(frozen=True, slots=True)
class Verdicts:
    """Per row: findable, linked, correct link, and (action rows) whether the claim is right."""

    findable: list[bool]
    linked: list[bool]
    correct: list[bool]
    action_right: list[bool | None]


def judge(rows: Sequence[Row]) -> Verdicts:
    """Judge every row's link and, for action statuses, its claim."""
    people = {side: {r.person for r in rows if r.side == side} for side in ("registry", "list")}
    by_match: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    nik_owner: dict[str, str] = {}
    for r in rows:
        if r.match_id:
            by_match[(r.side, r.match_id)].add(r.person)
        if r.side == "registry":
            nik_owner[r.nik] = r.person
            if r.dup_group:
                by_group[r.dup_group][r.person] += 1
    verdicts = Verdicts([], [], [], [])
    for r in rows:
        other = "list" if r.side == "registry" else "registry"
        partners = by_match.get((other, r.match_id), set()) if r.match_id else set()
        correct = r.person in partners
        right: bool | None = None
        if r.status in ("NIK_BERBEDA", "KK_BERBEDA"):
            right = correct
        elif r.status == "NIK_MILIK_ORANG_LAIN":  # a wrong link here is a link error
            owner = nik_owner.get(r.nik)
            right = owner is not None and owner != r.person
        elif r.status == "GANDA":
            right = bool(r.dup_group) and by_group[r.dup_group][r.person] >= 2
        verdicts.findable.append(r.person in people[other])
        verdicts.linked.append(bool(partners))
        verdicts.correct.append(correct)
        verdicts.action_right.append(right)
    return verdicts


def _share(right: int, total: int) -> float | None:
    """right / total, or None when there is nothing to share."""
    return right / total if total else None


def _partner_key(row: Row) -> tuple[str, str]:
    """Whom an action row's claim is about: its duplicate group (GANDA) or its match."""
    return ("group", row.dup_group) if row.status == "GANDA" else ("match", row.match_id)


def action_scores(rows: Sequence[Row], verdicts: Verdicts) -> dict[str, Any]:
    """Precision of action statuses overall, per status and side, and NIK_BERBEDA per band."""
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    bands: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    partners: dict[tuple[str, str], list[Row]] = defaultdict(list)  # by match id, dup group
    for r in rows:
        if r.match_id:
            partners[("match", r.match_id)].append(r)
        if r.dup_group:
            partners[("group", r.dup_group)].append(r)
    wrong: list[dict[str, Any]] = []
    for index, (r, right) in enumerate(zip(rows, verdicts.action_right, strict=True)):
        if right is None:
            continue
        wrong_link = verdicts.linked[index] and not verdicts.correct[index]
        band = r.confidence or "(none)"
        groups = [(tally, "all"), (tally, f"{r.side} {r.status}")]
        if r.status == "NIK_BERBEDA":
            groups += [(bands, band), (bands, f"{r.side} {band}")]
        for group, key in groups:
            counts = group[key]
            counts[0] += 1
            counts[1] += right
            counts[2] += wrong_link
        if not right:
            wrong.append(
                {
                    "side": r.side,
                    "status": r.status,
                    "confidence": r.confidence,
                    "errors": list(r.errors),
                    "partners": [
                        {"side": p.side, "same_person": p.person == r.person,
                         "status": p.status, "errors": list(p.errors)}
                        for p in partners.get(_partner_key(r), []) if p is not r
                    ],
                }
            )  # fmt: skip

    def table(counts: Mapping[str, list[int]]) -> dict[str, dict[str, Any]]:
        return {
            key: {"rows": n, "right": k, "precision": _share(k, n), "wrong_link": w}
            for key, (n, k, w) in sorted(counts.items())
        }

    overall = tally.get("all", [0, 0, 0])
    return {
        "rows": overall[0],
        "right": overall[1],
        "precision": _share(overall[1], overall[0]),
        "wrong_link": overall[2],
        "meets_target": overall[0] > 0 and overall[1] / overall[0] >= TARGET,
        "by_status": table({k: v for k, v in tally.items() if k != "all"}),
        "nik_berbeda_by_band": table(bands),
        "wrong_actions": wrong,
    }


def error_scores(rows: Sequence[Row], verdicts: Verdicts) -> list[dict[str, Any]]:
    """Per side and truth label: rows, findable, correct, recall, wrong links, wrong actions."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for index, r in enumerate(rows):
        values = (
            1,
            verdicts.findable[index],
            verdicts.correct[index],
            verdicts.linked[index] and not verdicts.correct[index],
            verdicts.action_right[index] is False,
        )
        for error in r.errors:
            counts = tally[(r.side, error)]
            for position, value in enumerate(values):
                counts[position] += value
    return [
        {
            "side": side,
            "error": error,
            "rows": n,
            "findable": findable,
            "correct": correct,
            "recall": _share(correct, findable),
            "wrong_links": wrong,
            "wrong_actions": wrong_actions,
        }
        for (side, error), (n, findable, correct, wrong, wrong_actions) in sorted(tally.items())
    ]


# -- one generator, then the report ----------------------------------------------------


def score_run(data: Path, work: Path) -> dict[str, Any]:
    """One linkage with a fresh secret on ``data``: the flow, evaluate, the harness's scores."""
    worklists, seconds = run_flow(data, work)
    evaluation = evaluate(data / "truth.csv", worklists, work / "evaluation.json")
    rows = read_rows(data / "truth.csv", worklists)
    verdicts = judge(rows)
    sides = Counter(r.side for r in rows)
    statuses = Counter((r.side, r.status) for r in rows)
    return {
        "registry_rows": sides["registry"],
        "list_rows": sides["list"],
        "link": evaluation["link"],
        "list_duplicates": evaluation["list_duplicates"],
        "nik_ganda": evaluation["nik_ganda"],
        "statuses": {f"{side} {status}": n for (side, status), n in sorted(statuses.items())},
        "action_statuses": action_scores(rows, verdicts),
        "errors": error_scores(rows, verdicts),
        "evaluate": evaluation,
        "seconds": seconds,
    }


def measure(generator: str, people: int, seed: int, runs: int, workdir: Path) -> dict[str, Any]:
    """Generate one data set, link it ``runs`` times (fresh keys and secret each time).

    The secret moves a few borderline pairs, so one run is not the whole story: the
    result is the run with the median action-status precision, with every run's
    headline numbers beside it (``runs``).
    """
    data = workdir / generator / "data"
    start = time.perf_counter()
    generate_data(generator, data, people, seed)
    generate_seconds = time.perf_counter() - start
    scored = [score_run(data, workdir / generator / f"run{k + 1}") for k in range(runs)]
    order = sorted(range(runs), key=lambda k: scored[k]["action_statuses"]["precision"] or 0.0)
    median = scored[order[(runs - 1) // 2]]
    return {
        "generator": generator,
        **median,
        "median_of_runs": runs,
        "runs": [
            {
                "link_f1": r["link"]["f1"],
                "nik_ganda_f1": r["nik_ganda"]["f1"],
                "action_precision": r["action_statuses"]["precision"],
                "action_rows": r["action_statuses"]["rows"],
                "action_right": r["action_statuses"]["right"],
            }
            for r in scored
        ],
        "seconds": {"generate": generate_seconds, **median["seconds"]},
    }


def _fmt(value: float | None, digits: int = 4) -> str:
    """A ratio with four decimals, or a dash."""
    return "—" if value is None else f"{value:.{digits}f}"


def _right_share(counts: Mapping[str, Any] | None) -> str:
    """``right/rows = precision``, or a dash when there were no rows."""
    if not counts or not counts["rows"]:
        return "—"
    return f"{counts['right']}/{counts['rows']} = {_fmt(counts['precision'])}"


def summary_table(results: Mapping[str, Mapping[str, Any]], people: int) -> Table:
    """One table: a row per measure, a column per generator."""
    runs = next(iter(results.values()))["median_of_runs"]
    table = Table(title=f"Accuracy of the CLI flow, {people:,} people (median of {runs} runs)")
    table.add_column("measure")
    for name in results:
        table.add_column(name, justify="right")

    def line(label: str, cell: Callable[[Mapping[str, Any]], str]) -> None:
        table.add_row(label, *(cell(r) for r in results.values()))

    def share(part: str, key: str) -> Callable[[Mapping[str, Any]], str]:
        return lambda r: _right_share(r["action_statuses"][part].get(key))

    line("registry rows / list rows", lambda r: f"{r['registry_rows']:,} / {r['list_rows']:,}")
    for name, key in (("link", "link"), ("NIK ganda (pairs)", "nik_ganda")):
        for measure in ("precision", "recall", "f1"):
            line(f"{name} {measure}", lambda r, k=key, m=measure: _fmt(r[k][m]))
    line("action statuses: right / rows", lambda r: _right_share(r["action_statuses"]))
    line("  ≥ 99.5%?", lambda r: "yes" if r["action_statuses"]["meets_target"] else "NO")
    for label, key in (("action precision", "action_precision"), ("link F1", "link_f1"),
                       ("NIK ganda F1", "nik_ganda_f1")):  # fmt: skip
        line(f"{label}, all runs", lambda r, k=key: " ".join(_fmt(run[k]) for run in r["runs"]))
    for key in sorted({k for r in results.values() for k in r["action_statuses"]["by_status"]}):
        line(f"  {key}", share("by_status", key))
    for band in BANDS:
        line(f"NIK_BERBEDA {band}", share("nik_berbeda_by_band", band))
    return table


def errors_table(result: Mapping[str, Any]) -> Table:
    """Per error type: recall and the wrong links and statuses it caused."""
    table = Table(title=f"{result['generator']}: by error type (truth labels)")
    for column in ("side", "error", "rows", "findable", "correct", "recall", "wrong links",
                   "wrong actions"):  # fmt: skip
        table.add_column(column, justify="left" if column in ("side", "error") else "right")
    for e in result["errors"]:
        table.add_row(
            e["side"], e["error"], *map(str, (e["rows"], e["findable"], e["correct"])),
            _fmt(e["recall"]), str(e["wrong_links"]), str(e["wrong_actions"]),
        )  # fmt: skip
    return table


def _git_commit() -> str | None:
    """The checked-out commit (recorded with the results), if git knows it."""
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or None


def main(argv: Iterable[str] | None = None) -> None:
    """Parse arguments, measure each generator, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="linkages per data set (median)")
    parser.add_argument("--only", choices=GENERATORS, action="append")
    parser.add_argument("--workdir", type=Path, help="keep the data and worklists here")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(None if argv is None else list(argv))
    console = Console(width=140)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="padan-accuracy-") as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()
        for generator in args.only or GENERATORS:
            console.print(f"[bold]{generator}[/]: {args.people:,} people, seed {args.seed} …")
            results[generator] = measure(generator, args.people, args.seed, args.runs, workdir)
    console.print(summary_table(results, args.people))
    for result in results.values():
        console.print(errors_table(result))
    report = {
        "benchmark": "accuracy",
        "command": "uv run --group bench python -m benchmarks.accuracy "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "people": args.people,
        "seed": args.seed,
        "runs": args.runs,
        "target_action_precision": TARGET,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "padan_version": padan("--version").strip(),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    console.print(f"written: {args.output}")


if __name__ == "__main__":
    main()
