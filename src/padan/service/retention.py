"""Retention: a round's packages and results are deleted at its retention date (the PKS
says how long the coordinator may keep them) or earlier on the coordinator's request.

What stays is the audit trail and the aggregate report (counts only), so the round can
still be accounted for.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

from sqlalchemy import select

from padan.service.auth import Refused
from padan.service.db import Database
from padan.service.models import Round, Upload
from padan.service.rounds import audit, round_dir


def purge_round(db: Database, data_dir: Path, round_id: str, actor: str, reason: str) -> int:
    """Delete a round's packages, uploads and results; return the bytes removed."""
    with db.session() as session:
        rnd = session.get(Round, round_id)
        if rnd is None:
            raise Refused(404, "unknown_round", f"no round {round_id} on this server")
        if rnd.state == "running":
            raise Refused(409, "run_in_progress", "the round is being linked; purge it after")
        folder = round_dir(data_dir, round_id)
        files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
        removed = sum(p.stat().st_size for p in files)
        shutil.rmtree(folder, ignore_errors=True)
        for upload in session.scalars(select(Upload).where(Upload.round_id == round_id)):
            if upload.state in ("partial", "verified"):
                upload.state = "purged"
        rnd.state = "purged"
        audit(session, "purged", actor, round_id, reason=reason, files=len(files), bytes=removed)
    return removed


def purge_expired(db: Database, data_dir: Path, today: dt.date | None = None) -> list[str]:
    """Purge every round whose retention date has come; return their ids."""
    today = today or dt.datetime.now(dt.UTC).date()
    with db.session() as session:
        due = list(
            session.scalars(
                select(Round.id).where(
                    Round.retention <= today, Round.state.not_in(("purged", "running"))
                )
            )
        )
    for round_id in due:
        purge_round(db, data_dir, round_id, "retensi (retention)", "retention date reached")
    return due


class RetentionTimer:
    """Checks retention dates at start and then every ``interval`` seconds."""

    def __init__(self, db: Database, data_dir: Path, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, args=(db, data_dir, interval), daemon=True, name="padan-retention"
        )

    def start(self) -> None:
        """Start checking in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop checking."""
        self._stop.set()

    def _loop(self, db: Database, data_dir: Path, interval: float) -> None:
        while True:
            purge_expired(db, data_dir)
            if self._stop.wait(interval):
                return
