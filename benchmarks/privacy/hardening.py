"""Privacy of padan's packages: the coordinator as an attacker, and what hardening costs.

    uv run --group bench python -m benchmarks.privacy.hardening [--people N] [--quick]

(The red-team suite, ``python -m benchmarks.privacy``, reuses the frequency alignment
and pattern mining defined here.)

A synthetic Kota Serang registry is encoded into a package (the real ``encode_files``
path, in-memory identities, a fixed linkage secret so that runs repeat). The attacker
is the coordinator: it holds the package and the public linkage schema, never the
secret. It knows the plaintext population of the registry (worst case: the same
people, e.g. a leaked voter list) and attacks the name, mother_name and birth_place
filters and the blocking keys:

* **Frequency alignment** (after Kroll & Steinmetzer 2015; Christen et al. 2017/18,
  simplified): equal filters mean equal values, so the distinct filters ranked by count
  are aligned with the plaintext values ranked by count. Only a count that no other
  filter shares gives a confident alignment (within a tie the attacker can only guess,
  and such guesses are not counted). A record is re-identified when its filter's
  confident alignment is its own value. Reported over all records and over the 100 most
  frequent filters.
* **Pattern mining** (bigram atoms, simplified): the confidently aligned filters that
  occur at least twice are the attacker's training set. For every bigram in at least two training
  values, the bit positions set in *all* their filters are its candidate positions; the
  ``bitsPerToken`` (public) candidates least often set in the other training filters are
  taken as the bigram's positions. A filter then "contains" a bigram when all its
  positions are set; the attacker re-identifies a filter as the dictionary value (the
  plaintext population) whose learned bigrams agree best (Dice). Measured on a sample
  of records outside the training set: *exact* (right value) and *partial* (wrong value,
  but at least one right word, e.g. the given name).
* **Blocking keys**: sizes of equal-key groups per key (a key shared by nobody singles a
  person out; large groups are what frequency alignment aligns) and the share of
  records whose key value frequency alignment recovers.

Two attacker models run on every variant: ``global`` knows the population's value
frequencies; ``year_oracle`` is also handed every record's birth year and the per-year
frequencies and attacks each year on its own (it could approach that from the birth-date
filter and the date blocking keys). A salted field is keyed per birth year, so equal
names in different years get unrelated filters: the global attacker then faces split
frequencies and bit positions that differ per year, the oracle attacker per-year groups.

Every hardening variant is also run through ``padan demo`` (3 000 people, seeds 1–3)
for link F1 and NIK-ganda F1: the accuracy it costs. Variants are derived from the
shipped schema by changing only the hardening keys (``salt``, ``xor_folds``).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import json
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from clkhash.schema import from_json_dict
from rich.console import Console
from rich.table import Table

from benchmarks.privacy.v1 import SALT_SOURCES, field_layouts
from padan.core import schema as linkage_schema
from padan.core.files import atomic_open
from padan.core.schema import DEFAULT_SCHEMA, linkage_schema_data, schema_fingerprint
from padan.core.types import Record
from padan.demo import run_demo
from padan.formats.keymap import read_keymap
from padan.formats.package import read_package
from padan.formats.records import RecordsTable, from_parquet
from padan.owner.encode import encode_files
from padan.owner.features import BLOCK_SOURCES, FIELD_SOURCES
from padan.owner.records import read_records
from padan.synth import SynthOptions, generate
from padan.trust.identity import new_identity
from padan.trust.secret import LinkageSecret

PEOPLE, QUICK_PEOPLE = 20_000, 1_000
ACCURACY_PEOPLE, ACCURACY_SEEDS = 3_000, (1, 2, 3)
QUICK_ACCURACY_PEOPLE, QUICK_SEEDS = 1_000, (1,)
ATTACKED = ("name", "mother_name", "birth_place")
HARDENED = ("name", "mother_name")
TOP = 100
MIN_TRAINING_COUNT = 2  # a filter seen once carries no frequency information
DECODE_SAMPLE = 2_000
RESULTS = Path(__file__).resolve().parent.parent / "results" / "privacy.json"
ATTACKERS = {"global": False, "year_oracle": True}
"""Attacker models: ``global`` knows value frequencies only; ``year_oracle`` also knows
every record's birth year and the per-year frequencies (and attacks each year alone)."""


def _strip(schema: dict) -> dict:
    """The shipped schema without any hardening option."""
    plain = copy.deepcopy(schema)
    for spec in plain["fields"]:
        spec.pop("salt", None)
        spec["clkhash"]["clkConfig"]["xor_folds"] = 0
    return plain


def _salted(fields: Sequence[str]) -> Callable[[dict], dict]:
    def variant(schema: dict) -> dict:
        for spec in schema["fields"]:
            if spec["name"] in fields:
                spec["salt"] = "birth_year"
        return schema

    return variant


def _folded(schema: dict) -> dict:
    # Hash into 2·l bits and XOR the halves: same filter width, each bit mixes two.
    for spec in schema["fields"]:
        if spec["name"] in HARDENED:
            spec["clkhash"]["clkConfig"]["xor_folds"] = 1
    return schema


VARIANTS: dict[str, Callable[[dict], dict]] = {
    "unhardened": lambda schema: schema,
    "salt name+mother (birth year)": _salted(HARDENED),
    "salt name+mother+place": _salted((*HARDENED, "birth_place")),
    "xor-fold name+mother": _folded,
    "salt + xor-fold name+mother": lambda schema: _folded(_salted(HARDENED)(schema)),
}


@contextlib.contextmanager
def schema_variant(schema: dict) -> Iterator[None]:
    """Within the block, the default linkage schema name resolves to ``schema``.

    Packages name their schema and the coordinator reloads it by name, so a variant must
    be loadable by name: it is written to a temporary schemas folder that
    ``padan.core.schema`` reads instead of the shipped one.
    """
    with tempfile.TemporaryDirectory(prefix="padan-privacy-schema-") as tmp:
        (Path(tmp) / "linkage").mkdir()
        (Path(tmp) / "linkage" / f"{DEFAULT_SCHEMA}.json").write_text(json.dumps(schema))
        linkage_schema._schema_text.cache_clear()
        try:
            with mock.patch.object(linkage_schema, "schemas_dir", lambda: Path(tmp)):
                yield
        finally:
            linkage_schema._schema_text.cache_clear()


# --- the attacks -------------------------------------------------------------------------


def frequency_alignment(
    encoded: Sequence[bytes], truth: Sequence[str], groups: Sequence[str]
) -> tuple[dict[tuple[str, bytes], str], dict[str, Any]]:
    """Align encoded values to plaintext values by frequency rank, per group.

    Returns the attacker's confident guesses ((group, encoded) → value, only where the
    encoded value's count is unique in its group: within a tie the attacker can only
    guess) and the success: share of records re-identified that way, and how many of the
    ``TOP`` most frequent encoded values were aligned right.
    """
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        by_group[group].append(i)
    guesses: dict[tuple[str, bytes], str] = {}
    counts: dict[tuple[str, bytes], int] = {}
    for group, rows in by_group.items():
        enc = Counter(encoded[i] for i in rows)
        plain = Counter(truth[i] for i in rows)
        ranked_enc = sorted(enc, key=lambda e: (-enc[e], e))
        ranked_plain = sorted(plain, key=lambda v: (-plain[v], v))
        ties = Counter(enc.values())
        for e, v in zip(ranked_enc, ranked_plain, strict=False):
            counts[group, e] = enc[e]
            if ties[enc[e]] == 1:
                guesses[group, e] = v
    keys = list(zip(groups, encoded, strict=True))
    right = {key: guesses.get(key) == truth[i] for i, key in enumerate(keys)}
    top = sorted(counts, key=lambda k: (-counts[k], k))[:TOP]
    return guesses, {
        "records": len(encoded),
        "distinct": len(counts),
        "reidentified": sum(right[key] for key in keys) / max(len(encoded), 1),
        "top_values_right": sum(right[k] for k in top) / max(len(top), 1),
        "top_records_right": sum(counts[k] for k in top if right[k]) / max(len(encoded), 1),
    }


def _bigrams(tokenize: Callable[[str], list[str]], values: Sequence[str]) -> list[set[str]]:
    return [set(tokenize(v)) for v in values]


def pattern_mining(
    bits: np.ndarray,
    truth: Sequence[str],
    groups: Sequence[str],
    guesses: dict[tuple[str, bytes], str],
    tokenize: Callable[[str], list[str]],
    k: int,
) -> dict[str, Any]:
    """Learn bigram bit positions from the aligned frequent filters; decode the others.

    ``bits`` are the records' filters unpacked (``(n, l)`` bool). Runs per group, since
    a salted field has its own bit positions per salt value.
    """
    rng = np.random.default_rng(1)
    encoded = [row.tobytes() for row in np.packbits(bits, axis=1)]
    enc_count = Counter(zip(groups, encoded, strict=True))
    training_keys = {
        key for key, n in enc_count.items() if n >= MIN_TRAINING_COUNT and key in guesses
    }
    outside = [
        i for i, key in enumerate(zip(groups, encoded, strict=True)) if key not in training_keys
    ]
    sample = set(rng.permutation(outside)[:DECODE_SAMPLE].tolist())
    exact = partial = learned_total = 0
    precisions, recalls = [], []
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        by_group[group].append(i)
    for group, rows in by_group.items():
        first: dict[bytes, int] = {}
        for i in rows:
            first.setdefault(encoded[i], i)
        training = [(first[e], guesses[g, e]) for g, e in training_keys if g == group]
        atoms = _learn_atoms(bits, training, tokenize, k)
        learned_total += len(atoms)
        targets = [i for i in rows if i in sample]
        if not targets:
            continue
        dictionary = sorted({truth[i] for i in rows})
        guessed, found = _decode(bits[targets], atoms, dictionary, tokenize)
        for i, value, recovered in zip(targets, guessed, found, strict=True):
            true_bigrams = set(tokenize(truth[i])) & set(atoms)
            exact += value == truth[i]
            partial += value != truth[i] and bool(set(value.split()) & set(truth[i].split()))
            if recovered:
                precisions.append(len(recovered & true_bigrams) / len(recovered))
            if true_bigrams:
                recalls.append(len(recovered & true_bigrams) / len(true_bigrams))
    n = max(len(sample), 1)
    return {
        "training_filters": len(training_keys),
        "bigrams_learned": learned_total,
        "decoded_sample": len(sample),
        "exact": exact / n,
        "partial": partial / n,
        "bigram_precision": float(np.mean(precisions)) if precisions else None,
        "bigram_recall": float(np.mean(recalls)) if recalls else None,
    }


def _learn_atoms(
    bits: np.ndarray,
    training: Sequence[tuple[int, str]],
    tokenize: Callable[[str], list[str]],
    k: int,
) -> dict[str, np.ndarray]:
    """Bigram → the ``k`` bit positions the attacker attributes to it."""
    if not training:
        return {}
    filters = bits[[i for i, _ in training]]
    bigrams = _bigrams(tokenize, [v for _, v in training])
    support: dict[str, list[int]] = defaultdict(list)
    for row, grams in enumerate(bigrams):
        for gram in grams:
            support[gram].append(row)
    atoms = {}
    for gram, rows in support.items():
        if len(rows) < 2:
            continue
        common = filters[rows].all(axis=0)
        if common.sum() < k:
            continue  # contradictory: some aligned pairs were wrong
        others = np.setdiff1d(np.arange(len(filters)), rows)
        background = filters[others].mean(axis=0) if len(others) else np.zeros(filters.shape[1])
        candidates = np.flatnonzero(common)
        atoms[gram] = candidates[np.argsort(background[candidates], kind="stable")[:k]]
    return atoms


def _decode(
    targets: np.ndarray,
    atoms: dict[str, np.ndarray],
    dictionary: Sequence[str],
    tokenize: Callable[[str], list[str]],
) -> tuple[list[str], list[set[str]]]:
    """For each target filter: the best-agreeing dictionary value and the bigrams found."""
    if not atoms:
        return [""] * len(targets), [set()] * len(targets)
    grams = sorted(atoms)
    present = np.stack([targets[:, atoms[g]].all(axis=1) for g in grams], axis=1)
    column = {g: c for c, g in enumerate(grams)}
    vocab = np.zeros((len(dictionary), len(grams)), dtype=np.float32)
    for row, value in enumerate(dictionary):
        for gram in tokenize(value):
            if gram in column:
                vocab[row, column[gram]] = 1.0
    found = present.astype(np.float32)
    overlap = found @ vocab.T
    dice = 2 * overlap / np.maximum(found.sum(1)[:, None] + vocab.sum(1)[None, :], 1)
    best = dice.argmax(axis=1)
    recovered = [{grams[c] for c in np.flatnonzero(row)} for row in present]
    return [dictionary[b] for b in best], recovered


def blocking_leakage(blocks: dict[str, np.ndarray], plain: dict[str, list[str | None]]) -> dict:
    """Equal-key group sizes per blocking key, and what frequency alignment recovers."""
    out = {}
    for kind, keys in blocks.items():
        has = keys != 0
        _, sizes = np.unique(keys[has], return_counts=True)
        n = int(has.sum())
        values = [v for v, h in zip(plain[kind], has, strict=True) if h]
        _, aligned = frequency_alignment(
            [int(k).to_bytes(8, "big") for k in keys[has]], values, [""] * n
        )
        out[kind] = {
            "records_with_key": n,
            "groups": len(sizes),
            "singleton_share": float((sizes == 1).sum() / max(n, 1)),
            "small_group_share": float(sizes[sizes <= 5].sum() / max(n, 1)),
            "largest_group": int(sizes.max()) if n else 0,
            "reidentified": aligned["reidentified"],
        }
    return out


# --- running a variant ------------------------------------------------------------------


def _fixed_secret(fingerprint: str) -> LinkageSecret:
    # A fixed secret makes the attack repeatable; it never leaves this process.
    secret = hashlib.sha256(b"padan privacy benchmark").digest()
    return LinkageSecret("00" * 16, secret, fingerprint, "bench-owner", ("bench-owner",))


def _encoded_registry(
    work: Path, records: dict[int, Record], schema: dict, tag: str
) -> tuple[RecordsTable, list[Record]]:
    """Encode ``siak.csv`` under ``schema``; return the table and its plaintext records."""
    owner = new_identity("bench-owner", "owner")
    out = work / f"{tag}.padan"
    summary = encode_files(
        [work / "siak.csv"],
        identity=owner,
        secret=_fixed_secret(schema_fingerprint()),
        out=out,
        role="registry",
    )
    _, members, _ = read_package(out, {owner.card.fingerprint: owner.card})
    width = sum(f.n_bytes for f in field_layouts(schema))
    table = from_parquet(members["records.parquet"], width)
    row_of = {r.record_id: r.row for r in read_keymap(summary.keymap).rows}
    # Sorted by plaintext row: the analysis does not depend on the package's shuffle.
    order = np.argsort([row_of[bytes(r)] for r in table.record_id], kind="stable")
    table = table.take(order)
    rows = sorted(row_of.values())
    return table, [records[r] for r in rows]


def attack_fields(table: RecordsTable, people: list[Record], schema: dict) -> dict[str, Any]:
    """Both attacks, by both attacker models, on every attacked field of one registry."""
    year = SALT_SOURCES["birth_year"]
    results: dict[str, Any] = {}
    for spec, layout in zip(schema["fields"], field_layouts(schema), strict=True):
        if spec["name"] not in ATTACKED:
            continue
        source = FIELD_SOURCES[spec["source"]]
        rows = [i for i, r in enumerate(people) if source(r)]
        truth = [source(people[i]) for i in rows]
        span = table.clk[rows, layout.offset_bytes : layout.offset_bytes + layout.n_bytes]
        bits = np.unpackbits(span, axis=1).astype(bool)
        field = from_json_dict(copy.deepcopy(spec["clkhash"])).fields[0]
        fhp = field.hashing_properties

        def tokenize(value: str, fhp=fhp, field=field) -> list[str]:
            return list(fhp.comparator.tokenize(field.format_value(value)))

        results[spec["name"]] = {"salt": spec.get("salt")}
        for attacker, oracle in ATTACKERS.items():
            groups = [year(people[i]) if oracle else "" for i in rows]
            guesses, aligned = frequency_alignment([r.tobytes() for r in span], truth, groups)
            mined = pattern_mining(
                bits, truth, groups, guesses, tokenize, fhp.strategy.bits_per_token(1)[0]
            )
            results[spec["name"]][attacker] = {"alignment": aligned, "pattern": mined}
    return results


def accuracy(people: int, seeds: Sequence[int]) -> dict[str, Any]:
    """Link F1 and NIK-ganda F1 of ``padan demo`` (mean over seeds) under the active schema."""
    link, ganda = [], []
    with tempfile.TemporaryDirectory(prefix="padan-privacy-demo-") as tmp:
        for seed in seeds:
            evaluation = run_demo(Path(tmp) / str(seed), people=people, seed=seed).evaluation
            link.append(evaluation.link.f1)
            ganda.append(evaluation.nik_ganda.f1)
    return {
        "seeds": list(seeds),
        "link_f1": float(np.mean(link)),
        "nik_ganda_f1": float(np.mean(ganda)),
        "link_f1_per_seed": link,
        "nik_ganda_f1_per_seed": ganda,
    }


def measure(people: int, *, quick: bool = False) -> dict[str, Any]:
    """Attacks and accuracy for every variant, and the blocking keys' leakage."""
    shipped = linkage_schema_data()
    demo_people = QUICK_ACCURACY_PEOPLE if quick else ACCURACY_PEOPLE
    seeds = QUICK_SEEDS if quick else ACCURACY_SEEDS
    report: dict[str, Any] = {"people": people, "accuracy_people": demo_people, "variants": {}}
    with tempfile.TemporaryDirectory(prefix="padan-privacy-") as tmp:
        work = Path(tmp)
        generate(work, SynthOptions(people=people, seed=1))
        records = {r.ref.row: r for r in read_records([work / "siak.csv"])}
        for n, (name, make) in enumerate(VARIANTS.items()):
            schema = make(_strip(shipped))
            with schema_variant(schema):
                table, plain = _encoded_registry(work, records, schema, f"variant{n}")
                report["variants"][name] = {
                    "shipped": schema == shipped,
                    "fields": attack_fields(table, plain, schema),
                    "accuracy": accuracy(demo_people, seeds),
                }
        # Blocking keys do not depend on the filter hardening: the last table serves.
        report["blocking"] = blocking_leakage(
            table.blocks, {k: [BLOCK_SOURCES[k](r) for r in plain] for k in table.blocks}
        )
    return report


# --- output -----------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def tables(report: dict[str, Any]) -> list[Table]:
    """The variant comparison and the blocking-key leakage as rich tables."""
    variants = Table(
        title=f"Attacks on {report['people']:,} encoded registry records by the coordinator "
        "(global / with every record's birth year); accuracy: padan demo, "
        f"{report['accuracy_people']:,} people"
    )
    columns = (
        "variant",
        "name re-id",
        "name top-100",
        "name mined exact",
        "mother re-id",
        "mother mined exact",
        "place re-id",
        "link F1",
        "Δ link",
        "NIK-ganda F1",
    )
    for column in columns:
        variants.add_column(column, justify="left" if column == "variant" else "right")
    base = report["variants"]["unhardened"]["accuracy"]["link_f1"]

    def both(field: dict, attack: str, metric: str) -> str:
        return " / ".join(_pct(field[a][attack][metric]) for a in ATTACKERS)

    for name, v in report["variants"].items():
        f, acc = v["fields"], v["accuracy"]
        variants.add_row(
            name + (" [shipped]" if v["shipped"] else ""),
            both(f["name"], "alignment", "reidentified"),
            both(f["name"], "alignment", "top_values_right"),
            both(f["name"], "pattern", "exact"),
            both(f["mother_name"], "alignment", "reidentified"),
            both(f["mother_name"], "pattern", "exact"),
            both(f["birth_place"], "alignment", "reidentified"),
            f"{acc['link_f1']:.4f}",
            f"{acc['link_f1'] - base:+.4f}",
            f"{acc['nik_ganda_f1']:.4f}",
        )
    blocking = Table(title="Blocking keys: equal-key groups the coordinator can count")
    for column in (
        "key",
        "records",
        "groups",
        "in singletons",
        "in groups ≤5",
        "largest",
        "re-id by frequency",
    ):
        blocking.add_column(column, justify="left" if column == "key" else "right")
    for kind, b in report["blocking"].items():
        blocking.add_row(
            kind,
            f"{b['records_with_key']:,}",
            f"{b['groups']:,}",
            _pct(b["singleton_share"]),
            _pct(b["small_group_share"]),
            f"{b['largest_group']:,}",
            _pct(b["reidentified"]),
        )
    return [variants, blocking]


def run(quick: bool) -> tuple[dict, list[Table]]:
    """Entry point for ``python -m benchmarks`` (``--quick``: small registry, one seed)."""
    report = measure(QUICK_PEOPLE if quick else PEOPLE, quick=quick)
    return {"privacy": report}, tables(report)


def main(argv: list[str] | None = None) -> int:
    """Run the privacy benchmark, print its tables and write ``results/privacy.json``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.privacy.hardening", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--people", type=int, help=f"registry size (default {PEOPLE:,})")
    parser.add_argument("--quick", action="store_true", help="small registry, one demo seed")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)
    people = args.people or (QUICK_PEOPLE if args.quick else PEOPLE)
    report = measure(people, quick=args.quick)
    report["command"] = " ".join(
        ["python -m benchmarks.privacy.hardening", *(argv or sys.argv[1:])]
    )
    console = Console()
    for table in tables(report):
        console.print(table)
    with atomic_open(args.output) as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
        handle.write("\n")
    console.print(f"Results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
