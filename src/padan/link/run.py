"""The coordinator's run: verify packages, match them, decide, seal per-owner results.

Flow: :mod:`~padan.link.verify` → :mod:`~padan.link.training` (list ↔ registry model)
→ :mod:`~padan.link.dedup` (NIK ganda) → :mod:`~padan.link.linkage` (best links) →
:mod:`~padan.link.statuses` → :mod:`~padan.link.seal` and :mod:`~padan.link.report`.
The coordinator sees only record ids, Bloom filters and keyed tokens.
"""

from __future__ import annotations

import contextlib
import math
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from padan.core.errors import InputError
from padan.core.files import ensure_directory
from padan.link.dedup import deduplicate_registry
from padan.link.linkage import link_lists
from padan.link.outcome import LinkOutcome
from padan.link.pairing import Comparer, LocalRunner, PairRunner
from padan.link.report import build_report, write_report
from padan.link.seal import write_results
from padan.link.statuses import result_rows
from padan.link.training import fit_link
from padan.link.verify import LoadedPackage, load_packages
from padan.trust.cards import Card
from padan.trust.identity import Identity

Progress = Callable[[str], None]


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
    comparer = Comparer(packages[0].schema)
    decision = comparer.schema.decision
    p = match_probability if match_probability is not None else decision.match_probability
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
    fitted = fit_link(registry, lists, comparer, runner) if lists else None
    timings["link_model_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    say("Mencari NIK ganda di data registri (registry deduplication)")
    duplicates, dedup = deduplicate_registry(
        registry, comparer, threshold_bits, fitted.model if fitted else None, runner
    )
    timings["dedup_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    say("Memilih pasangan terbaik (choosing best links)")
    links, link_stage = (
        link_lists(lists, fitted, duplicates.person, comparer, threshold_bits)
        if fitted
        else ([], None)
    )
    timings["assign_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    rows = result_rows(registry_pkg, list_pkgs, links, duplicates, decision, seed)
    timings["statuses_seconds"] = time.perf_counter() - started
    return LinkOutcome(list(packages), rows, dedup, link_stage, threshold_bits, timings)


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
    force: bool = False,
) -> LinkSummary:
    """``padan link``: verify, match, and write sealed results plus the aggregate report.

    ``cluster`` (``local[:N]`` or a scheduler address) runs the pair tasks on Dask; their
    partition files go to a work directory beside ``out_dir`` (it must be readable by
    the workers) and are removed afterwards. Nothing is written to ``out_dir`` until
    every stage has finished. An ``out_dir`` that already holds files (an earlier run)
    is refused unless ``force``: results of two runs must never mix.
    """
    if coordinator.card.role != "coordinator":
        raise InputError(f"{coordinator.card.org} is not a coordinator key")
    if not force and out_dir.is_dir() and any(out_dir.iterdir()):
        raise InputError(
            f"{out_dir} already holds files (an earlier run?): choose a new folder, or "
            "overwrite with --force"
        )
    ensure_directory(out_dir)  # a folder that cannot be made fails now, not after linking
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
    results = write_results(
        outcome, coordinator=coordinator, trusted=trusted, out_dir=out_dir, run_id=run_id
    )
    seconds = time.perf_counter() - started
    report = build_report(outcome, run_id, seconds)
    json_path, html_path = write_report(report, out_dir)
    return LinkSummary(run_id, results, json_path, html_path, report, seconds)
