"""City-scale linkage: ``padan link`` on a Kota Serang-sized registry and CKG list.

Run: ``uv run --group bench python benchmarks/city_scale.py [--people 700000]
[--sizes 50000,200000,700000]`` (or ``python -m benchmarks --only city``).

For each size: synthetic data (``padan synth``, seed 1, ``CITY_VISIT_RATE``) and both
packages are made once and cached under ``benchmarks/.cache/`` (``--fresh`` rebuilds
them); the link step runs in a child process, so its wall time and peak RSS are its own
(``RUSAGE_CHILDREN``).
Then, against the synthetic truth:

* link F1 and NIK-ganda F1 (the definitions of :mod:`padan.synth.evaluate`, computed from the
  decrypted results and the owners' keymaps, without writing worklists);
* blocking recall: the share of true (list row, registry row) pairs that are candidate
  pairs (:func:`padan.link.candidates.candidate_pairs` on the packages' block keys), and
  candidate pairs per list record.

Prints a table and writes ``benchmarks/results/city_scale.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from padan.core.files import write_bytes_atomic
from padan.core.schema import load_linkage_schema, schema_fingerprint
from padan.formats.keymap import KEYMAP_FORMAT, read_keymap
from padan.formats.package import read_package
from padan.formats.records import RecordsTable, from_parquet
from padan.formats.result import read_result
from padan.link.candidates import candidate_pairs
from padan.owner.encode import encode_files
from padan.synth import SynthOptions, generate
from padan.trust.identity import Identity, load_identity, new_identity, save_identity
from padan.trust.secret import load_secret, new_secret

BENCH_DIR = Path(__file__).resolve().parent
CACHE = BENCH_DIR / ".cache"
RESULTS = BENCH_DIR / "results" / "city_scale.json"
DEFAULT_SIZES = (50_000, 200_000, 700_000)
QUICK_SIZES = (5_000,)
GOALS = {"seconds": 60.0, "peak_rss_mb": 4096.0, "blocking_recall": 0.995}
# Share of people on a CKG list: the city is 700 000 people × 300 000 list rows.
# 0.30 (the synth default) gave 245 167 rows at 700 000; rows grow in proportion (repeats,
# outsiders and newborns are spawned per visitor), so 0.367 gives ≈ 300 000.
CITY_VISIT_RATE = 0.367
# Benchmark-only keys: a fixed passphrase and the cheapest scrypt cost the key file allows.
PASSPHRASE = "city-scale-benchmark"
SCRYPT_N = 2**10
ORGS = {"registry": "disdukcapil-serang", "list": "dinkes-serang", "coordinator": "koordinator"}


@dataclass(slots=True)
class Prepared:
    """One size's cached inputs: data, keys and both packages."""

    people: int
    folder: Path
    encode_seconds: dict[str, float]

    @property
    def keys(self) -> Path:
        return self.folder / "keys"

    def package(self, side: str) -> Path:
        return self.folder / f"{'siak' if side == 'registry' else 'ckg'}.padan"

    def keymap(self, side: str) -> Path:
        return self.package(side).with_suffix(".keymap.parquet")

    def identity(self, side: str) -> Identity:
        return load_identity(self.keys / f"{ORGS[side]}.key", PASSPHRASE)

    def trusted(self) -> dict:
        cards = [self.identity(side).card for side in ORGS]
        return {card.fingerprint: card for card in cards}


def _make_keys(keys: Path) -> None:
    keys.mkdir(parents=True, exist_ok=True)
    identities = {
        side: new_identity(org, "coordinator" if side == "coordinator" else "owner")
        for side, org in ORGS.items()
    }
    for identity in identities.values():
        save_identity(identity, keys, PASSPHRASE, scrypt_n=SCRYPT_N)
    owners = [identities["registry"].card, identities["list"].card]
    new_secret(identities["registry"], owners, schema_fingerprint(), keys)


def prepare(people: int, *, fresh: bool = False, say=print) -> Prepared:
    """Synthesise ``people`` once, and encode them once per linkage schema.

    Data go to ``CACHE/serang-N-seed1-visitR/data`` (every option that shapes them is in
    the name); keys, secret and packages to a folder named after the schema fingerprint
    and the keymap format beside it (the secret is bound to the schema; an older keymap
    format is not read back).
    """
    data = CACHE / f"serang-{people}-seed1-visit{CITY_VISIT_RATE}" / "data"
    if not (data / "truth.csv").exists():
        say(f"synth: {people:,} people → {data}")
        generate(data, SynthOptions(people=people, seed=1, visit_rate=CITY_VISIT_RATE))
    encoded = f"schema-{schema_fingerprint()[:12]}-{KEYMAP_FORMAT.rsplit('/', 1)[-1]}"
    prepared = Prepared(people, data.parent / encoded, {})
    marker = prepared.folder / "encoded.json"
    if marker.exists() and not fresh:
        prepared.encode_seconds = json.loads(marker.read_text())["encode_seconds"]
        return prepared
    if not prepared.keys.exists():
        _make_keys(prepared.keys)
    sources = {"registry": [data / "siak.csv"], "list": sorted(data.glob("ckg*.csv"))}
    for side, paths in sources.items():
        owner = prepared.identity(side)
        secret = load_secret(prepared.keys / f"{owner.card.org}.secret", owner)
        say(f"encode {side}: {', '.join(p.name for p in paths)}")
        summary = encode_files(
            paths, identity=owner, secret=secret, out=prepared.package(side), role=side
        )
        prepared.encode_seconds[side] = round(summary.seconds, 2)
    marker.write_text(json.dumps({"encode_seconds": prepared.encode_seconds}))
    return prepared


def peak_rss_kib() -> int:
    """This program's peak resident memory in KiB (Linux ``VmHWM``; else ``ru_maxrss``).

    ``ru_maxrss`` survives ``execve``: a child started by a benchmark process that already
    holds 1.3 GB reported 1.3 GB for a link that peaked far lower. ``VmHWM`` belongs to
    the memory map the new program starts with.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# The link step in a child process: its own wall time and peak RSS, nothing else loaded.
_CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from benchmarks.city_scale import Prepared, peak_rss_kib
from padan.link.run import link_run
prepared = Prepared(0, Path(sys.argv[2]), {})
coordinator, trusted = prepared.identity("coordinator"), prepared.trusted()
packages = [prepared.package("registry"), prepared.package("list")]
start = time.perf_counter()
summary = link_run(packages, coordinator=coordinator, trusted=trusted,
                   out_dir=Path(sys.argv[3]), seed=1, force=True)  # re-runs replace the last
seconds = time.perf_counter() - start
print(json.dumps({
    "seconds": seconds,
    "peak_rss_kib": peak_rss_kib(),
    "timings": summary.report["timings_seconds"],
    "candidate_pairs": summary.report["linkage"]["candidate_pairs"],
    "dedup_candidate_pairs": summary.report["deduplication"]["candidate_pairs"],
}))
"""


def run_link(prepared: Prepared) -> dict[str, Any]:
    """``link_run`` in a child process: wall seconds, peak RSS (MiB), stage timings."""
    out = prepared.folder / "run"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(BENCH_DIR.parent), str(prepared.folder), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = result.pop("peak_rss_kib") / 1024
    result["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def _truth(prepared: Prepared) -> dict[tuple[str, int], str]:
    path = prepared.folder.parent / "data" / "truth.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return {(r["source"], int(r["row"])): r["person_id"] for r in csv.DictReader(handle)}


def _records(prepared: Prepared, side: str) -> RecordsTable:
    manifest, members, _ = read_package(prepared.package(side), prepared.trusted())
    return from_parquet(members["records.parquet"], int(manifest.extra["clk_bytes"]))


def outcome(prepared: Prepared, side: str, truth: dict[tuple[str, int], str]) -> pd.DataFrame:
    """Per record of one side, in package order: true person, match id, duplicate group.

    Joins the owner's decrypted result with its keymap (record id → source row) and truth.
    """
    owner = prepared.identity(side)
    result, _ = read_result(
        prepared.folder / "run" / f"{owner.card.org}.result",
        owner=owner,
        trusted=prepared.trusted(),
    )
    rows = result.rows
    # One package per owner here: its result rows come in package order.
    assert np.array_equal(rows.record_id, _records(prepared, side).record_id)
    # The keymap names the source file by its path, truth.csv by its name.
    where = {
        r.record_id: (Path(r.source).name, r.row)
        for r in read_keymap(prepared.keymap(side)).rows
        if r.record_id is not None
    }
    return pd.DataFrame(
        {
            "person": [truth[where[bytes(rid)]] for rid in rows.record_id],
            "match_id": rows.match_id,
            "dup_group": rows.dup_group,
        }
    )


def _pairs(frame: pd.DataFrame, by: list[str]) -> int:
    """Pairs of rows equal in ``by`` (n·(n−1)/2 per group); rows with a missing value skipped."""
    sizes = frame.dropna(subset=by).groupby(by, sort=False).size().to_numpy()
    return int((sizes * (sizes - 1) // 2).sum())


def _scores(predicted: int, relevant: int, correct: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 1.0
    recall = correct / relevant if relevant else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def accuracy(registry: pd.DataFrame, lists: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Link and NIK-ganda precision/recall/F1, as :mod:`padan.synth.evaluate` defines them.

    Link: a list row is linked when a registry row carries its match id, correct when
    one of those registry rows is the same person; recall over list rows whose person
    is in the registry. NIK ganda: pairs of registry rows sharing a duplicate group
    against pairs sharing a person.
    """
    people = registry.dropna(subset=["match_id"])[["match_id", "person"]].drop_duplicates()
    linked = lists.dropna(subset=["match_id"])
    linked = linked[linked["match_id"].isin(people["match_id"])]
    correct = linked.merge(people, on=["match_id", "person"]).shape[0]
    findable = int(lists["person"].isin(registry["person"]).sum())
    return {
        "link": _scores(len(linked), findable, correct),
        "nik_ganda": _scores(
            _pairs(registry, ["dup_group"]),
            _pairs(registry, ["person"]),
            _pairs(registry, ["dup_group", "person"]),
        ),
    }


def true_pairs(a: pd.Series, b: pd.Series | None) -> np.ndarray:
    """Codes ``i·len(b) + j`` of record pairs of one person (``b=None``: within a, i < j)."""
    left = pd.DataFrame({"i": np.arange(len(a)), "person": a.to_numpy()})
    right = left if b is None else pd.DataFrame({"j": np.arange(len(b)), "person": b.to_numpy()})
    pairs = left.merge(right.rename(columns={"i": "j"}), on="person")
    if b is None:
        pairs = pairs[pairs["i"] < pairs["j"]]
    n_b = len(a if b is None else b)
    return pairs["i"].to_numpy(np.int64) * n_b + pairs["j"].to_numpy(np.int64)


def blocking(
    prepared: Prepared, registry: pd.DataFrame, lists: pd.DataFrame
) -> dict[str, float | int]:
    """Blocking recall (share of true pairs that are candidate pairs), pairs per record.

    Candidates are :func:`padan.link.candidates.candidate_pairs` on the packages' block keys,
    as the coordinator computes them; true pairs come from the synthetic truth.
    """
    cap = load_linkage_schema()["blocking"]["max_block_pairs"]
    reg, lst = _records(prepared, "registry"), _records(prepared, "list")
    out: dict[str, float | int] = {}
    for name, a, b, people_a, people_b in (
        ("link", lst.blocks, reg.blocks, lists["person"], registry["person"]),
        ("dedup", reg.blocks, None, registry["person"], None),
    ):
        i, j, stats = candidate_pairs(a, b, cap)
        candidates = i.astype(np.int64) * len(reg) + j  # sorted, distinct
        del i, j
        true = true_pairs(people_a, people_b)
        at = np.minimum(np.searchsorted(candidates, true), max(len(candidates) - 1, 0))
        found = int((candidates[at] == true).sum()) if len(candidates) else 0
        out[f"{name}_candidate_pairs"] = stats.candidate_pairs
        out[f"{name}_pairs_per_record"] = round(stats.candidate_pairs / len(people_a), 1)
        out[f"{name}_true_pairs"] = len(true)
        out[f"{name}_blocking_recall"] = found / len(true) if len(true) else 1.0
    return out


def measure(people: int, *, fresh: bool = False, say=print) -> dict[str, Any]:
    """Prepare one size, link it in a child process, score it; one row of the table."""
    prepared = prepare(people, fresh=fresh, say=say)
    say(f"link: {people:,} people")
    link = run_link(prepared)
    truth = _truth(prepared)
    registry, lists = outcome(prepared, "registry", truth), outcome(prepared, "list", truth)
    scores = accuracy(registry, lists)
    return {
        "people": people,
        "registry_rows": len(registry),
        "list_rows": len(lists),
        "encode_seconds": prepared.encode_seconds,
        "link_seconds": round(link["seconds"], 2),
        "link_cpu_seconds": round(link["cpu_seconds"], 2),
        "peak_rss_mb": round(link["peak_rss_mb"], 1),
        "stage_seconds": {k: round(v, 2) for k, v in link["timings"].items()},
        "link_f1": round(scores["link"]["f1"], 4),
        "nik_ganda_f1": round(scores["nik_ganda"]["f1"], 4),
        "scores": scores,
        **blocking(prepared, registry, lists),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _table(runs: list[dict[str, Any]]) -> Table:
    table = Table(
        title=f"City-scale padan link (synthetic Serang, seed 1, visit rate {CITY_VISIT_RATE}; "
        "link in a child process)"
    )
    columns = {
        "people": lambda r: f"{r['people']:,}",
        "registry × list rows": lambda r: f"{r['registry_rows']:,} × {r['list_rows']:,}",
        "encode s (reg + list)": lambda r: "{registry:.0f} + {list:.0f}".format(
            **r["encode_seconds"]
        ),
        "link s": lambda r: f"{r['link_seconds']:.1f}",
        "CPU s": lambda r: f"{r['link_cpu_seconds']:.0f}",
        "peak RSS MiB": lambda r: f"{r['peak_rss_mb']:,.0f}",
        "link pairs / list row": lambda r: f"{r['link_pairs_per_record']:.0f}",
        "dedup pairs / reg. row": lambda r: f"{r['dedup_pairs_per_record']:.0f}",
        "blocking recall link / dedup": lambda r: (
            f"{r['link_blocking_recall']:.4f} / {r['dedup_blocking_recall']:.4f}"
        ),
        "link F1": lambda r: f"{r['link_f1']:.4f}",
        "NIK ganda F1": lambda r: f"{r['nik_ganda_f1']:.4f}",
    }
    for name in columns:
        table.add_column(name, justify="right")
    for run in runs:
        table.add_row(*(cell(run) for cell in columns.values()))
    return table


def run(quick: bool, sizes: list[int] | None = None, fresh: bool = False) -> tuple[dict, list]:
    """All sizes; ``(json summary, rich tables)`` for ``python -m benchmarks --only city``.

    ``quick`` links a tiny city (the smoke test); the goals apply to the largest size.
    """
    runs = [measure(n, fresh=fresh) for n in sizes or (QUICK_SIZES if quick else DEFAULT_SIZES)]
    largest = max(runs, key=lambda r: r["people"])
    summary = {
        "city_link_seconds": largest["link_seconds"],
        "city_peak_rss_mb": largest["peak_rss_mb"],
        "city_blocking_recall": round(largest["link_blocking_recall"], 5),
        "city_scale": {"goals": GOALS, "runs": runs},
    }
    return summary, [_table(runs)]


def main() -> None:
    """Command line: sizes, print the table, write ``results/city_scale.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, help="one size only (e.g. 700000)")
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        help="comma-separated registry sizes (people)",
    )
    parser.add_argument("--fresh", action="store_true", help="re-encode the cached packages")
    args = parser.parse_args()
    sizes = [args.people] if args.people else [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    summary, tables = run(False, sizes, args.fresh)
    for table in tables:
        Console(width=200).print(table)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["command"] = " ".join(["benchmarks/city_scale.py", *sys.argv[1:]])
    write_bytes_atomic(RESULTS, (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode())
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
