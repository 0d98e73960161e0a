"""Seal one result per owner organisation: each owner gets its own rows only."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from padan.formats.result import OwnerResult, ResultRows, write_result
from padan.link.outcome import LinkOutcome
from padan.link.verify import LoadedPackage
from padan.trust.cards import Card
from padan.trust.identity import Identity


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
