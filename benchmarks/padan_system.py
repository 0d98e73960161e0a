"""padan's own pipeline as a benchmark system: encode both sides, link, read results.

The same code path as the CLI (``encode_files`` → ``link_run`` → ``read_result``) on
FEBRL frames written as CSV and read through the ``febrl`` profile (no SSN). Identities
and the linkage secret live in a temporary directory and in memory only.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from padan.core.schema import schema_fingerprint
from padan.formats.keymap import read_keymap
from padan.formats.result import read_result
from padan.link.run import link_run
from padan.owner.encode import encode_files
from padan.trust.identity import new_identity
from padan.trust.secret import load_secret, new_secret

if TYPE_CHECKING:  # systems.py registers this module's functions
    from benchmarks.systems import DedupFunction, LinkFunction


def _run(frames: dict[str, pd.DataFrame], schema: str) -> dict[str, dict[str, str | None]]:
    """Link the frames (first = registry); per frame: rec_id → match id or dup group."""
    with tempfile.TemporaryDirectory(prefix="padan-bench-") as tmp:
        work = Path(tmp)
        owners = {name: new_identity(f"org-{name}", "owner") for name in frames}
        coordinator = new_identity("koordinator", "coordinator")
        first = next(iter(owners.values()))
        new_secret(first, [o.card for o in owners.values()], schema_fingerprint(schema), work)
        secret = load_secret(work / f"{first.card.org}.secret", first)
        packages, keymaps = [], {}
        for k, (name, frame) in enumerate(frames.items()):
            source = work / f"{name}.csv"
            frame.reset_index().to_csv(source, index=False)
            summary = encode_files(
                [source],
                identity=owners[name],
                secret=secret,
                out=work / f"{name}.padan",
                role="registry" if k == 0 else "list",
                profile="febrl",
                schema_name=schema,
                allow_missing=("nik",),  # FEBRL has no NIK, by design
            )
            packages.append(summary.package)
            keymaps[name] = summary.keymap
        trusted = {p.card.fingerprint: p.card for p in (*owners.values(), coordinator)}
        link_run(packages, coordinator=coordinator, trusted=trusted, out_dir=work / "run", seed=1)
        out = {}
        for name, owner in owners.items():
            result, _ = read_result(
                work / "run" / f"{owner.card.org}.result", owner=owner, trusted=trusted
            )
            local = {r.record_id: r.local_id for r in read_keymap(keymaps[name]).rows}
            out[name] = {local[r.record_id]: (r.match_id or r.dup_group) for r in result.rows}
        return out


def system(schema: str) -> tuple[LinkFunction, DedupFunction]:
    """padan's ``link`` and ``dedup`` with the given linkage schema."""

    def link(left: pd.DataFrame, right: pd.DataFrame) -> set[tuple[str, str]]:
        """Pairs (left rec_id, right rec_id) sharing a match id (left is the registry)."""
        ids = _run({"left": left, "right": right}, schema)
        by_match: dict[str, list[str]] = {}
        for rec_id, match in ids["left"].items():
            if match:
                by_match.setdefault(match, []).append(rec_id)
        return {
            (l_id, r_id)
            for r_id, match in ids["right"].items()
            if match
            for l_id in by_match.get(match, [])
        }

    def dedup(records: pd.DataFrame) -> list[set[str]]:
        """Clusters of one file (registry deduplication: padan's NIK-ganda groups)."""
        groups: dict[str, set[str]] = {}
        for rec_id, group in _run({"records": records}, schema)["records"].items():
            if group:
                groups.setdefault(group, set()).add(rec_id)
        return list(groups.values())

    return link, dedup
