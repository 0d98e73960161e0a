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
from typing import Any

import numpy as np

from padan.core.errors import InputError, VerificationError
from padan.core.schema import load_linkage_schema, schema_fingerprint
from padan.core.types import Confidence, Manifest, Status
from padan.formats.package import read_package
from padan.formats.records import RecordsTable, from_parquet
from padan.formats.result import OwnerResult, ResultRows, write_result
from padan.link.assignment import Links, best_links, clusters
from padan.link.candidates import BlockingStats
from padan.link.model import (
    FSModel,
    fit_em,
    level_frequencies,
    log_odds_bits,
    non_match_frequencies,
)
from padan.link.pairing import (
    Comparer,
    LocalRunner,
    PairCounts,
    PairRunner,
    Patterns,
    Side,
    count_pairs,
    plan_pairs,
    score_pairs,
)
from padan.link.report import build_report, write_report
from padan.owner.bloom import field_layouts
from padan.trust.identity import Card, Identity

__all__ = ["Comparer", "Side", "decide", "link_run", "load_packages"]

Progress = Callable[[str], None]


@dataclass(slots=True)
class LoadedPackage:
    """A verified package: where it came from, its manifest, signer and records."""

    path: Path
    manifest: Manifest
    signer: Card
    table: RecordsTable


@dataclass(slots=True)
class Stage:
    """Outcome of one matching stage (dedup or link), aggregate only.

    Scores are kept per comparison pattern with the number of candidate pairs showing
    it: the histogram of every pair's score without a per-pair array.
    """

    model: FSModel
    blocking: BlockingStats
    pattern_bits: np.ndarray  # log-odds of each distinct candidate pattern
    pattern_pairs: np.ndarray  # candidate pairs with that pattern
    accepted: int

    @property
    def bits(self) -> np.ndarray:
        """Log-odds of every candidate pair (in pattern order, for the histogram)."""
        return np.repeat(self.pattern_bits, self.pattern_pairs)


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


def verify_package(path: Path, trusted: Mapping[str, Card]) -> LoadedPackage:
    """Verify and read one package: signature, trusted signer, schema and record count."""
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
    return LoadedPackage(path, manifest, signer, table)


def check_same_linkage(loaded: Sequence[LoadedPackage]) -> None:
    """Refuse packages made with different linkage schemas or secrets (key-check values)."""
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


def load_packages(paths: Sequence[Path], trusted: Mapping[str, Card]) -> list[LoadedPackage]:
    """Verify and read packages; refuse any that do not belong to one linkage run."""
    if not paths:
        raise InputError("no packages given")
    loaded = [verify_package(path, trusted) for path in paths]
    check_same_linkage(loaded)
    registries = [p for p in loaded if p.manifest.role == "registry"]
    if len(registries) != 1:
        raise InputError(
            f"exactly one registry package is needed, got {len(registries)} "
            "(encode the registry with --role registry)"
        )
    return loaded


def _decision(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema["decision"]


def train_m(
    comparer: Comparer,
    per_key: Mapping[str, Patterns],
    u: list[np.ndarray],
    schema: Mapping[str, Any],
    ignore: Sequence[str] = (),
) -> list[np.ndarray]:
    """m probabilities by EM, one blocking key at a time, as Splink trains them.

    Pairs that share a key agree on the fields that key is made of whatever their
    match status, so those fields are masked in that key's EM run; each field's m is
    the mean over the runs that could see it. u stays fixed (random pairs). Each run
    sees all of its key's pairs, as pattern counts.
    """
    estimates: list[list[np.ndarray]] = [[] for _ in comparer.fields]
    for key, involved in schema["blocking"]["involves"].items():
        if key not in per_key or per_key[key].pairs < 50:
            continue
        masked = [comparer.fields.index(f) for f in (*involved, *ignore)]
        patterns = per_key[key].masked(masked, comparer.n_levels)
        model = fit_em(
            patterns.levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            prior=0.1,
            weights=patterns.counts,
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
    candidates: Patterns,
    random_pairs: Patterns,
    m: list[np.ndarray],
    prior: float,
    total: float,
) -> FSModel:
    """Fit λ with m fixed, then again with the matches among the random pairs weighed
    out of u (see :func:`padan.link.model.non_match_frequencies`).

    Fields a household shares keep the raw u: a stronger exact agreement there would
    link a baby listed under the mother's name to the mother.
    """
    raw = level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts)
    u = raw
    for _ in range(2):
        model = fit_em(
            candidates.levels,
            comparer.n_levels,
            comparer.fields,
            u=u,
            m=m,
            fit_m=False,
            prior=prior,
            weights=candidates.counts,
            total_pairs=total,
            iterations=comparer.iterations,
        )
        cleaned = non_match_frequencies(
            random_pairs.levels, comparer.n_levels, model, random_pairs.counts
        )
        u = [raw[f] if f in comparer.household else c for f, c in enumerate(cleaned)]
        prior = model.prior
    return model


def _stage(
    comparer: Comparer, model: FSModel, candidates: Patterns, stats: BlockingStats, accepted: int
) -> Stage:
    bits = log_odds_bits(candidates.levels, model, comparer.correlated)
    return Stage(model, stats, bits, candidates.counts, accepted)


@dataclass(slots=True)
class LinkModel:
    """The lists ↔ registry compared pairs and their counts, and the fitted model."""

    counts: PairCounts
    model: FSModel


def fit_link_model(
    registry: RecordsTable,
    lists: Sequence[RecordsTable],
    schema: Mapping[str, Any],
    runner: PairRunner | None = None,
) -> LinkModel:
    """Block and compare every list with the registry; fit one Fellegi–Sunter model."""
    comparer = Comparer(schema)
    plan = plan_pairs(lists, registry, list(registry.blocks), schema["blocking"]["max_block_pairs"])
    counts = count_pairs(plan, runner or LocalRunner(), schema)
    a, b = plan.a.side(), Side.of(registry)
    random_pairs = Patterns.of(comparer.random_pair_levels(a, b), comparer.n_levels)
    u = level_frequencies(random_pairs.levels, comparer.n_levels, random_pairs.counts)
    m = train_m(comparer, counts.per_key, u, schema)
    n_list = len(plan.a.index)
    total = float(n_list) * len(registry)
    prior = min(n_list, len(registry)) / total
    model = _fit_share(comparer, counts.candidates, random_pairs, m, prior, total)
    return LinkModel(counts, model)


def deduplicate_registry(
    registry: RecordsTable,
    schema: Mapping[str, Any],
    threshold_bits: float,
    link_model: FSModel | None,
    runner: PairRunner | None = None,
) -> tuple[np.ndarray, Stage]:
    """Cluster registry records that are one person (NIK ganda); return person ids.

    With a link model, its m probabilities are reused and only the share of duplicates
    is fitted: within one registry a NIK-ganda pair differs by design in NIK, KK and
    address (another region, another family card), so those fields are left out.
    Without one (a registry alone), m is fitted on the registry's own pairs.
    """
    runner = runner or LocalRunner()
    comparer = Comparer(schema)
    plan = plan_pairs(
        [registry], None, list(registry.blocks), schema["blocking"]["max_block_pairs"]
    )
    counts = count_pairs(plan, runner, schema)
    if counts.candidates.pairs == 0:
        none = np.zeros(0)
        return np.arange(len(registry)), Stage(
            FSModel([], [], [], 0.0, 0), counts.stats, none, none.astype(np.int64), 0
        )
    a = plan.a.side()
    u = level_frequencies(comparer.random_pair_levels(a, a), comparer.n_levels)
    total = len(registry) * (len(registry) - 1) / 2
    prior = 0.01 * len(registry) / total
    ignored: list[int] = []
    candidates = counts.candidates
    if link_model is None:
        m = train_m(comparer, counts.per_key, u, schema)
        # u stays as sampled here: weighing the matches out (as for links) makes
        # exact agreement so strong that single wrong pairs merge whole clusters
        # (FEBRL3: cluster F1 0.996 → 0.991).
    else:
        m = link_model.m
        ignored = [comparer.fields.index(f) for f in _decision(schema)["dedup_ignore_fields"]]
        candidates = candidates.masked(ignored, comparer.n_levels)
    model = fit_em(
        candidates.levels,
        comparer.n_levels,
        comparer.fields,
        u=u,
        prior=prior,
        weights=candidates.counts,
        m=m,
        fit_m=False,
        total_pairs=total,
        iterations=comparer.iterations,
    )
    accepted = score_pairs(counts, schema, model, threshold_bits, ignored)
    person = clusters(len(registry), accepted.i, accepted.j)
    return person, _stage(comparer, model, candidates, counts.stats, len(accepted.i))


def link_lists(
    lists: Sequence[RecordsTable],
    fitted: LinkModel,
    person: np.ndarray,
    schema: Mapping[str, Any],
    threshold_bits: float,
) -> tuple[list[Links], Stage]:
    """Best registry person per list row under the fitted link model.

    Only pairs reaching the threshold can be chosen or make a choice ambiguous (the
    runner-up must reach it too), so scoring returns those pairs only.
    """
    scored = score_pairs(fitted.counts, schema, fitted.model, threshold_bits)
    margin = _decision(schema)["ambiguity_margin_bits"]
    links, start = [], 0
    for table in lists:
        lo, hi = np.searchsorted(scored.i, [start, start + len(table)])
        links.append(
            best_links(
                scored.i[lo:hi] - start,
                scored.j[lo:hi],
                scored.bits[lo:hi],
                person,
                len(table),
                threshold_bits=threshold_bits,
                margin_bits=margin,
            )
        )
        start += len(table)
    accepted = sum(int((lk.registry_index >= 0).sum()) for lk in links)
    counts = fitted.counts
    return links, _stage(Comparer(schema), fitted.model, counts.candidates, counts.stats, accepted)


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
    runner: PairRunner | None = None,
) -> LinkOutcome:
    """Run deduplication and linkage over verified packages and assign statuses and ids.

    ``runner`` only chooses where pair tasks run (see :mod:`padan.link.pairing`): in this
    process by default, or on a Dask cluster; the decisions are the same.
    """
    runner = runner or LocalRunner()
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
    fitted = fit_link_model(registry, lists, schema, runner) if lists else None
    timings["link_model_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    say("Mencari NIK ganda di data registri (registry deduplication)")
    person, dedup = deduplicate_registry(
        registry, schema, threshold_bits, fitted.model if fitted else None, runner
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


def _pair_runner(
    cluster: str | None, work_dir: Path
) -> contextlib.AbstractContextManager[PairRunner]:
    if cluster is None:
        return contextlib.nullcontext(LocalRunner())
    from padan.link.dask_runner import dask_runner  # Dask is imported only when asked for

    return dask_runner(cluster, work_dir=work_dir)


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

    ``cluster`` (``local[:N]`` or a scheduler address) runs the pair tasks on Dask; their
    partition files go to a work directory beside ``out_dir`` (it must be readable by
    the workers) and are removed afterwards. Nothing is written to ``out_dir`` until
    every stage has finished.
    """
    if coordinator.card.role != "coordinator":
        raise InputError(f"{coordinator.card.org} is not a coordinator key")
    started = time.perf_counter()
    packages = load_packages(paths, trusted)
    with _pair_runner(cluster, out_dir.resolve().parent) as runner:
        outcome = decide(
            packages,
            seed=seed,
            match_probability=match_probability,
            progress=progress,
            runner=runner,
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
