"""The coordinator's stage: verify packages, match them, decide, and seal per-owner results.

Flow: verify every package (signature, trusted signer, same secret and schema) →
registry deduplication (NIK ganda: one person, several records) → list ↔ registry
linkage → statuses → one sealed result per owner plus an aggregate report. The
coordinator sees only record ids, Bloom filters and keyed tokens.
"""

from __future__ import annotations

import contextlib
import math
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from padan.assignment import Links, best_links, clusters
from padan.bloom import FieldLayout, field_layouts
from padan.candidates import BlockingStats, block_pairs, candidate_pairs
from padan.comparison import compare_pairs, pack_words
from padan.errors import InputError, VerificationError
from padan.identity import Card, Identity
from padan.linkage_schema import load_linkage_schema, schema_fingerprint
from padan.model import Confidence, Manifest, Status
from padan.package import read_package
from padan.records_table import RecordsTable, from_parquet
from padan.report import build_report, write_report
from padan.results import OwnerResult, ResultRows, write_result
from padan.scoring import (
    FSModel,
    fit_em,
    level_frequencies,
    log_odds_bits,
    non_match_frequencies,
)

Progress = Callable[[str], None]


class PairComparer(Protocol):
    """Where the heavy pair comparison runs: in-process (default) or on a cluster.

    Any implementation must return exactly what :func:`padan.comparison.compare_pairs`
    returns for the same arguments, in the same order, so decisions never depend on it.
    """

    def __call__(
        self,
        a: np.ndarray,
        b: np.ndarray,
        i: np.ndarray,
        j: np.ndarray,
        layouts: Sequence[FieldLayout],
        cuts: Sequence[Sequence[float]],
    ) -> np.ndarray: ...


@dataclass(slots=True)
class LoadedPackage:
    """A verified package: where it came from, its manifest, signer and records."""

    path: Path
    manifest: Manifest
    signer: Card
    table: RecordsTable


@dataclass(slots=True)
class Stage:
    """Outcome of one matching stage (dedup or link), aggregate only."""

    model: FSModel
    blocking: BlockingStats
    bits: np.ndarray  # log-odds of every candidate pair (for the histogram)
    accepted: int


@dataclass(slots=True)
class LinkOutcome:
    """Everything a link run decided, before it is written out."""

    packages: list[LoadedPackage]
    rows: dict[str, ResultRows]  # package path -> rows
    dedup: Stage
    link: Stage | None
    threshold_bits: float
    timings: dict[str, float] = field(default_factory=dict)


def _extra(manifest: Manifest, key: str) -> Any:
    if key not in manifest.extra:
        raise VerificationError(f"package of {manifest.org} lacks '{key}' in its manifest")
    return manifest.extra[key]


def load_packages(paths: Sequence[Path], trusted: Mapping[str, Card]) -> list[LoadedPackage]:
    """Verify and read packages; refuse any that do not belong to one linkage run."""
    if not paths:
        raise InputError("no packages given")
    loaded: list[LoadedPackage] = []
    for path in paths:
        manifest, members, signer = read_package(path, trusted)
        schema_name = _extra(manifest, "schema")
        if manifest.schema_fingerprint != schema_fingerprint(schema_name):
            raise VerificationError(
                f"{path.name}: made with a different linkage schema than this coordinator's "
                f"'{schema_name}' (schema fingerprints differ)"
            )
        width = sum(f.n_bytes for f in field_layouts(load_linkage_schema(schema_name)))
        table = from_parquet(members["records.parquet"], width)
        if len(table) != manifest.record_count:
            raise VerificationError(f"{path.name}: record count differs from its manifest")
        loaded.append(LoadedPackage(path, manifest, signer, table))
    first = loaded[0]
    for pkg in loaded[1:]:
        if pkg.manifest.schema_fingerprint != first.manifest.schema_fingerprint:
            raise VerificationError(
                f"{pkg.path.name} and {first.path.name} use different linkage schemas"
            )
        if pkg.manifest.key_check != first.manifest.key_check:
            raise VerificationError(
                f"{pkg.path.name} was made with a different linkage secret than "
                f"{first.path.name} (key-check values differ)"
            )
    registries = [p for p in loaded if p.manifest.role == "registry"]
    if len(registries) != 1:
        raise InputError(
            f"exactly one registry package is needed, got {len(registries)} "
            "(encode the registry with --role registry)"
        )
    return loaded


def _decision(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema["decision"]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: packed CLK words and the keyed salt tokens."""

    words: np.ndarray
    salts: Mapping[str, np.ndarray]

    @classmethod
    def of(cls, table: RecordsTable) -> Side:
        """The comparison side of a package's records."""
        return cls(pack_words(table.clk), table.salts)

    def __len__(self) -> int:
        return len(self.words)


class Comparer:
    """Compares record pairs field by field as the linkage schema says.

    A salted field's filters are keyed per salt value (e.g. birth year): two filters
    with different salts are unrelated whatever the values, so that field counts as
    missing for the pair rather than as a disagreement.
    """

    def __init__(self, schema: Mapping[str, Any], compare: PairComparer = compare_pairs):
        self.compare = compare
        self.layouts = field_layouts(schema)
        self.cuts = [f["levels"] for f in schema["fields"]]
        self.n_levels = [len(c) for c in self.cuts]
        self.fields = [f["name"] for f in schema["fields"]]
        self.iterations = _decision(schema)["em_iterations"]
        self.sample = _decision(schema)["u_sample_pairs"]
        self.household = {self.fields.index(f) for f in _decision(schema)["household_fields"]}
        self.correlated = [
            [self.fields.index(f) for f in group if f in self.fields]
            for group in _decision(schema).get("correlated_fields", [])
        ]
        self.salted: dict[str, list[int]] = {}
        for f, spec in enumerate(schema["fields"]):
            if spec.get("salt"):
                self.salted.setdefault(spec["salt"], []).append(f)

    def levels(self, a: Side, b: Side, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Comparison levels of pairs (a[i], b[j])."""
        levels = self.compare(a.words, b.words, i, j, self.layouts, self.cuts)
        for kind, columns in self.salted.items():
            if kind in a.salts and kind in b.salts:
                other_salt = a.salts[kind][i] != b.salts[kind][j]
                for column in columns:
                    levels[other_salt, column] = -1
        return levels

    def random_pair_levels(self, a: Side, b: Side) -> np.ndarray:
        """Levels of random pairs (fixed seed: results stay reproducible)."""
        rng = np.random.default_rng(0)
        i = rng.integers(0, len(a), self.sample)
        j = rng.integers(0, len(b), self.sample)
        keep = (i != j) if a is b else np.ones(len(i), dtype=bool)
        return self.levels(a, b, i[keep], j[keep])


def _merge_stats(total: BlockingStats, part: BlockingStats) -> None:
    total.candidate_pairs += part.candidate_pairs
    total.keyless_records += part.keyless_records
    for name in ("pairs_per_key", "blocks_per_key", "oversized_blocks", "skipped_pairs"):
        into, add = getattr(total, name), getattr(part, name)
        for key, value in add.items():
            into[key] = into.get(key, 0) + value


@dataclass(slots=True)
class ListPairs:
    """Candidate pairs of every list with the registry, their levels and the link model."""

    pairs: list[tuple[np.ndarray, np.ndarray]]
    levels: np.ndarray
    model: FSModel
    stats: BlockingStats


def train_m(
    comparer: Comparer,
    a: Side,
    b: Side,
    blocks_a: Mapping[str, np.ndarray],
    blocks_b: Mapping[str, np.ndarray] | None,
    u: list[np.ndarray],
    schema: Mapping[str, Any],
    ignore: Sequence[str] = (),
) -> list[np.ndarray]:
    """m probabilities by EM, one blocking key at a time, as Splink trains them.

    Pairs that share a key agree on the fields that key is made of whatever their
    match status, so those fields are masked in that key's EM run; each field's m is
    the mean over the runs that could see it. u stays fixed (random pairs).
    """
    cap = schema["blocking"]["max_block_pairs"]
    sample = _decision(schema)["em_sample_pairs_per_key"]
    rng = np.random.default_rng(0)
    estimates: list[list[np.ndarray]] = [[] for _ in comparer.fields]
    for key, involved in schema["blocking"]["involves"].items():
        i, j, *_ = block_pairs(blocks_a[key], None if blocks_b is None else blocks_b[key], cap)
        if len(i) < 50:
            continue
        if len(i) > sample:
            pick = np.sort(rng.choice(len(i), sample, replace=False))
            i, j = i[pick], j[pick]
        masked = [comparer.fields.index(f) for f in (*involved, *ignore)]
        levels = comparer.levels(a, b, i, j)
        levels[:, masked] = -1
        model = fit_em(
            levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            prior=0.1,
            iterations=comparer.iterations,
        )
        for f in range(len(comparer.fields)):
            if f not in masked:
                estimates[f].append(model.m[f])
    default = [0.2 ** np.arange(k + 1) for k in comparer.n_levels]
    return [
        np.mean(est, axis=0) if est else default[f] / default[f].sum()
        for f, est in enumerate(estimates)
    ]


def _fit_share(
    comparer: Comparer,
    levels: np.ndarray,
    random_levels: np.ndarray,
    m: list[np.ndarray],
    prior: float,
    total: float,
) -> FSModel:
    """Fit λ with m fixed, then again with the matches among the random pairs weighed
    out of u (see :func:`padan.scoring.non_match_frequencies`).

    Fields a household shares keep the raw u: a stronger exact agreement there would
    link a baby listed under the mother's name to the mother.
    """
    raw = level_frequencies(random_levels, comparer.n_levels)
    u = raw
    for _ in range(2):
        model = fit_em(
            levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            m=m,
            fit_m=False,
            prior=prior,
            total_pairs=total,
            iterations=comparer.iterations,
        )
        cleaned = non_match_frequencies(random_levels, comparer.n_levels, model)
        u = [raw[f] if f in comparer.household else c for f, c in enumerate(cleaned)]
        prior = model.prior
    return model


def fit_link_model(
    registry: RecordsTable,
    lists: Sequence[RecordsTable],
    schema: Mapping[str, Any],
    compare: PairComparer = compare_pairs,
) -> ListPairs:
    """Block and compare every list with the registry; fit one Fellegi–Sunter model."""
    comparer = Comparer(schema, compare)
    b = Side.of(registry)
    cap = schema["blocking"]["max_block_pairs"]
    stats, pairs, levels = BlockingStats(), [], []
    for table in lists:
        i, j, part = candidate_pairs(table.blocks, registry.blocks, cap)
        _merge_stats(stats, part)
        pairs.append((i, j))
        levels.append(comparer.levels(Side.of(table), b, i, j))
    all_levels = np.concatenate(levels)
    n_list = sum(len(t) for t in lists)
    merged = RecordsTable(
        np.concatenate([t.record_id for t in lists]),
        np.concatenate([t.clk for t in lists]),
        {},
        {k: np.concatenate([t.blocks[k] for t in lists]) for k in registry.blocks},
        {k: np.concatenate([t.salts[k] for t in lists]) for k in registry.salts},
    )
    a = Side.of(merged)
    random_levels = comparer.random_pair_levels(a, b)
    u = level_frequencies(random_levels, comparer.n_levels)
    m = train_m(comparer, a, b, merged.blocks, registry.blocks, u, schema)
    total = float(n_list) * len(registry)
    prior = min(n_list, len(registry)) / total
    model = _fit_share(comparer, all_levels, random_levels, m, prior, total)
    return ListPairs(pairs, all_levels, model, stats)


def deduplicate_registry(
    registry: RecordsTable,
    schema: Mapping[str, Any],
    threshold_bits: float,
    link_model: FSModel | None,
    compare: PairComparer = compare_pairs,
) -> tuple[np.ndarray, Stage]:
    """Cluster registry records that are one person (NIK ganda); return person ids.

    With a link model, its m probabilities are reused and only the share of duplicates
    is fitted: within one registry a NIK-ganda pair differs by design in NIK, KK and
    address (another region, another family card), so those fields are left out.
    Without one (a registry alone), m is fitted on the registry's own pairs.
    """
    comparer = Comparer(schema, compare)
    a = Side.of(registry)
    i, j, stats = candidate_pairs(registry.blocks, None, schema["blocking"]["max_block_pairs"])
    if len(i) == 0:
        return np.arange(len(registry)), Stage(FSModel([], [], [], 0.0, 0), stats, np.zeros(0), 0)
    levels = comparer.levels(a, a, i, j)
    u = level_frequencies(comparer.random_pair_levels(a, a), comparer.n_levels)
    total = len(registry) * (len(registry) - 1) / 2
    prior = 0.01 * len(registry) / total
    if link_model is None:
        m = train_m(comparer, a, a, registry.blocks, None, u, schema)
        # u stays as sampled here: weighing the matches out (as for links) makes
        # exact agreement so strong that single wrong pairs merge whole clusters
        # (FEBRL3: cluster F1 0.996 → 0.991).
        model = fit_em(
            levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            prior=prior,
            m=m,
            fit_m=False,
            total_pairs=total,
            iterations=comparer.iterations,
        )
    else:
        ignored = [comparer.fields.index(f) for f in _decision(schema)["dedup_ignore_fields"]]
        levels[:, ignored] = -1
        model = fit_em(
            levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            prior=prior,
            m=link_model.m,
            fit_m=False,
            total_pairs=total,
            iterations=comparer.iterations,
        )
    bits = log_odds_bits(levels, model, comparer.correlated)
    accept = bits >= threshold_bits
    person = clusters(len(registry), i[accept], j[accept])
    return person, Stage(model, stats, bits, int(accept.sum()))


def link_lists(
    lists: Sequence[RecordsTable],
    fitted: ListPairs,
    person: np.ndarray,
    schema: Mapping[str, Any],
    threshold_bits: float,
) -> tuple[list[Links], Stage]:
    """Best registry person per list row under the fitted link model."""
    bits = log_odds_bits(fitted.levels, fitted.model, Comparer(schema).correlated)
    margin = _decision(schema)["ambiguity_margin_bits"]
    links, start = [], 0
    for table, (i, j) in zip(lists, fitted.pairs, strict=True):
        part = bits[start : start + len(i)]
        start += len(i)
        links.append(
            best_links(
                i, j, part, person, len(table), threshold_bits=threshold_bits, margin_bits=margin
            )
        )
    accepted = sum(int((lk.registry_index >= 0).sum()) for lk in links)
    return links, Stage(fitted.model, fitted.stats, bits, accepted)


class _Ids:
    """Random identifiers for match ids and duplicate groups (seeded when asked)."""

    def __init__(self, seed: int | None):
        self._rng: random.Random = (
            random.Random(seed) if seed is not None else secrets.SystemRandom()
        )
        self._used: set[str] = set()

    def new(self, prefix: str) -> str:
        while True:
            value = f"{prefix}{self._rng.getrandbits(40):010x}"
            if value not in self._used:
                self._used.add(value)
                return value


def _bands(bits: np.ndarray, schema: Mapping[str, Any]) -> np.ndarray:
    """Confidence band (object array of :class:`Confidence`) of each log-odds value."""
    cuts = _decision(schema)["confidence_bits"]
    bands = np.array([Confidence.TINGGI, Confidence.SEDANG, Confidence.RENDAH], dtype=object)
    return bands[np.where(bits >= cuts["TINGGI"], 0, np.where(bits >= cuts["SEDANG"], 1, 2))]


def _objects(n: int, fill: Any = None) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = fill
    return out


class _NikOwners:
    """Which registry person holds a NIK token (a sorted lookup, not a 700k-entry dict)."""

    def __init__(self, reg_nik: np.ndarray, person: np.ndarray):
        held = np.flatnonzero(reg_nik)
        # Stable sort, last record of a repeated token wins (as a dict built in order would).
        order = held[np.argsort(reg_nik[held], kind="stable")]
        tokens = reg_nik[order]
        last = np.r_[tokens[1:] != tokens[:-1], True][: len(tokens)]
        self.tokens, self.person = tokens[last], person[order[last]]

    def owner(self, nik: np.ndarray) -> np.ndarray:
        """Person holding each token; -1 where missing (0) or not in the registry."""
        if not len(self.tokens):
            return np.full(len(nik), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.tokens, nik), len(self.tokens) - 1)
        found = (nik != 0) & (self.tokens[at] == nik)
        return np.where(found, self.person[at], -1)


def _list_status(
    nik: np.ndarray,
    kk: np.ndarray,
    links: Links,
    person: np.ndarray,
    owners: _NikOwners,
    reg_kk: np.ndarray,
) -> np.ndarray:
    """Status (object array of :class:`Status`) of every row of one list."""
    target = links.registry_index
    linked = target >= 0
    who = np.full(len(target), -1, dtype=np.int64)
    who[linked] = person[target[linked]]
    target_kk = np.zeros(len(target), dtype=reg_kk.dtype)
    target_kk[linked] = reg_kk[target[linked]]
    owner = owners.owner(nik)
    foreign = (owner >= 0) & (owner != who)  # the row's NIK is another person's
    sure = linked & ~links.ambiguous
    status = _objects(len(target), Status.TIDAK_DITEMUKAN)
    # Later assignments take precedence over earlier ones.
    status[~linked & (owner >= 0)] = Status.NIK_MILIK_ORANG_LAIN
    status[sure] = Status.COCOK
    status[sure & (kk != 0) & (target_kk != 0) & (kk != target_kk)] = Status.KK_BERBEDA
    status[sure & foreign] = Status.NIK_MILIK_ORANG_LAIN
    status[sure & (owner < 0)] = Status.NIK_BERBEDA
    # Unsure who the row is, but sure its NIK is someone else's: say so.
    status[linked & links.ambiguous] = Status.RAGU
    status[linked & links.ambiguous & foreign] = Status.NIK_MILIK_ORANG_LAIN
    return status


def decide(
    packages: Sequence[LoadedPackage],
    *,
    seed: int | None = None,
    match_probability: float | None = None,
    progress: Progress | None = None,
    compare: PairComparer = compare_pairs,
) -> LinkOutcome:
    """Run deduplication and linkage over verified packages and assign statuses and ids.

    ``compare`` only chooses where pair comparison runs (see :class:`PairComparer`).
    """
    say = progress or (lambda _msg: None)
    schema = load_linkage_schema(_extra(packages[0].manifest, "schema"))
    p = (
        match_probability
        if match_probability is not None
        else _decision(schema)["match_probability"]
    )
    if not 0 < p < 1:
        raise InputError("--threshold must be a probability between 0 and 1")
    threshold_bits = math.log2(p / (1 - p))
    registry_pkg = next(pkg for pkg in packages if pkg.manifest.role == "registry")
    list_pkgs = [pkg for pkg in packages if pkg is not registry_pkg]
    registry = registry_pkg.table
    timings: dict[str, float] = {}

    lists = [pkg.table for pkg in list_pkgs]
    started = time.perf_counter()
    say("Membandingkan daftar dengan registri (comparing lists with the registry)")
    # A registry alone is deduplicated only (NIK ganda), with its own model.
    fitted = fit_link_model(registry, lists, schema, compare) if lists else None
    timings["link_model_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    say("Mencari NIK ganda di data registri (registry deduplication)")
    person, dedup = deduplicate_registry(
        registry, schema, threshold_bits, fitted.model if fitted else None, compare
    )
    timings["dedup_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    say("Memilih pasangan terbaik (choosing best links)")
    links, link_stage = (
        link_lists(lists, fitted, person, schema, threshold_bits) if fitted else ([], None)
    )
    timings["assign_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    rows = _result_rows(registry_pkg, list_pkgs, links, person, schema, seed)
    timings["statuses_seconds"] = time.perf_counter() - started
    return LinkOutcome(list(packages), rows, dedup, link_stage, threshold_bits, timings)


def _ids_by_person(
    registry: RecordsTable, person: np.ndarray, linked: np.ndarray, seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Duplicate-group ids (people with several records) and match ids (linked people).

    Ids are handed out in record-id order, so a seeded run is reproducible.
    """
    ids = _Ids(seed)
    sizes = np.bincount(person, minlength=len(registry))
    # Record ids as two big-endian words sort like the bytes do.
    words = np.ascontiguousarray(registry.record_id).view(">u8")
    seen = person[np.lexsort((words[:, 1], words[:, 0]))]
    _, first = np.unique(seen, return_index=True)
    dup_group, match_id = _objects(len(registry)), _objects(len(registry))
    for who in seen[np.sort(first)].tolist():
        if sizes[who] > 1:
            dup_group[who] = ids.new("G")
        if linked[who]:
            match_id[who] = ids.new("M")
    return dup_group, match_id


def _result_rows(
    registry_pkg: LoadedPackage,
    list_pkgs: Sequence[LoadedPackage],
    links: Sequence[Links],
    person: np.ndarray,
    schema: Mapping[str, Any],
    seed: int | None,
) -> dict[str, ResultRows]:
    """Every record's status, ids and confidence band, as columns per package."""
    registry = registry_pkg.table
    linked = np.zeros(len(registry), dtype=bool)  # per person: a list row is surely theirs
    for lk in links:
        linked[person[lk.registry_index[(lk.registry_index >= 0) & ~lk.ambiguous]]] = True
    dup_group, match_id = _ids_by_person(registry, person, linked, seed)

    reg_kk = registry.token_key("kk")
    owners = _NikOwners(registry.token_key("nik"), person)
    rows: dict[str, ResultRows] = {}
    reg_matched_same_nik = np.zeros(len(registry), dtype=bool)
    reg_best_bits = np.full(len(registry), -np.inf)
    for pkg, lk in zip(list_pkgs, links, strict=True):
        table = pkg.table
        status = _list_status(
            table.token_key("nik"), table.token_key("kk"), lk, person, owners, reg_kk
        )
        sure = np.flatnonzero((lk.registry_index >= 0) & ~lk.ambiguous)
        target = lk.registry_index[sure]
        who = person[target]
        same_nik = (status[sure] == Status.COCOK) | (status[sure] == Status.KK_BERBEDA)
        reg_matched_same_nik[target[same_nik]] = True
        np.maximum.at(reg_best_bits, target, lk.bits[sure])
        list_match, list_dup = _objects(len(table)), _objects(len(table))
        list_match[sure], list_dup[sure] = match_id[who], dup_group[who]
        confidence = _objects(len(table))
        confidence[sure] = _bands(lk.bits[sure], schema)
        confidence[(lk.registry_index >= 0) & lk.ambiguous] = Confidence.RENDAH
        rows[str(pkg.path)] = ResultRows(table.record_id, status, list_match, list_dup, confidence)

    reg_linked = linked[person]
    status = _objects(len(registry), Status.NIK_BERBEDA)
    status[reg_linked & reg_matched_same_nik] = Status.COCOK
    status[~reg_linked] = Status.TIDAK_DITEMUKAN
    status[np.bincount(person, minlength=len(registry))[person] > 1] = Status.GANDA
    confidence = _objects(len(registry))
    banded = reg_linked & np.isfinite(reg_best_bits)
    confidence[banded] = _bands(reg_best_bits[banded], schema)
    rows[str(registry_pkg.path)] = ResultRows(
        registry.record_id, status, match_id[person], dup_group[person], confidence
    )
    return rows


def write_results(
    outcome: LinkOutcome,
    *,
    coordinator: Identity,
    trusted: Mapping[str, Card],
    out_dir: Path,
    run_id: str,
) -> list[Path]:
    """Seal one result per owner organisation (all its packages) into ``out_dir``."""
    by_org: dict[str, list[LoadedPackage]] = {}
    for pkg in outcome.packages:
        by_org.setdefault(pkg.signer.fingerprint, []).append(pkg)
    written = []
    for fingerprint, pkgs in by_org.items():
        owner = trusted[fingerprint]
        result = OwnerResult(
            meta={
                "run_id": run_id,
                "owner": owner.org,
                "coordinator": coordinator.card.org,
                "datasets": [
                    {
                        "dataset": p.manifest.dataset,
                        "role": p.manifest.role,
                        "records": p.manifest.record_count,
                    }
                    for p in pkgs
                ],
            },
            rows=ResultRows.concat([outcome.rows[str(p.path)] for p in pkgs]),
        )
        path = out_dir / f"{owner.org}.result"
        write_result(path, result, coordinator=coordinator, owner=owner)
        written.append(path)
    return written


def _pair_comparer(cluster: str | None) -> contextlib.AbstractContextManager[PairComparer]:
    if cluster is None:
        return contextlib.nullcontext(compare_pairs)
    from padan.distributed import dask_comparer  # Dask is imported only when asked for

    return dask_comparer(cluster)


@dataclass(slots=True)
class LinkSummary:
    """What a link run wrote, for the CLI to print and the audit log to keep."""

    run_id: str
    results: list[Path]
    report_json: Path
    report_html: Path
    report: dict[str, Any]
    seconds: float


def link_run(
    paths: Sequence[Path],
    *,
    coordinator: Identity,
    trusted: Mapping[str, Card],
    out_dir: Path,
    seed: int | None = None,
    match_probability: float | None = None,
    progress: Progress | None = None,
    cluster: str | None = None,
) -> LinkSummary:
    """``padan link``: verify, match, and write sealed results plus the aggregate report.

    ``cluster`` (``local[:N]`` or a scheduler address) runs pair comparison on Dask;
    nothing is written until every stage has finished.
    """
    if coordinator.card.role != "coordinator":
        raise InputError(f"{coordinator.card.org} is not a coordinator key")
    started = time.perf_counter()
    packages = load_packages(paths, trusted)
    with _pair_comparer(cluster) as compare:
        outcome = decide(
            packages,
            seed=seed,
            match_probability=match_probability,
            progress=progress,
            compare=compare,
        )
    run_id = (
        f"{random.Random(seed).getrandbits(64):016x}" if seed is not None else secrets.token_hex(8)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    results = write_results(
        outcome, coordinator=coordinator, trusted=trusted, out_dir=out_dir, run_id=run_id
    )
    seconds = time.perf_counter() - started
    report = build_report(outcome, run_id, seconds)
    json_path, html_path = write_report(report, out_dir)
    return LinkSummary(run_id, results, json_path, html_path, report, seconds)
