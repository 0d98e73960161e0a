"""Link runs: when every party of a round has sent its package, link them in a worker.

The worker calls ``padan.link.run.link_run``, the function behind ``padan link``, so the
sealed ``ORG.result`` files and the report are the ones ``padan link`` writes. It writes
into ``DIR/rounds/ID/run.tmp`` and renames that to ``results`` only when everything is
written: a failed or interrupted run leaves no partial result. Stages go to the database
as the linker reports them. After a restart, a run that was queued or running is started
again from its verified packages (at most ``MAX_ATTEMPTS`` times, then marked failed),
so no run stays "running" forever.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from padan import audit as audit_log
from padan.core.errors import PadanError
from padan.service.db import Database
from padan.service.models import Round, Run, utcnow
from padan.service.rounds import audit, current_uploads, round_dir
from padan.service.uploads import package_path
from padan.trust.cards import Card
from padan.trust.identity import Identity

log = logging.getLogger("padan.service")

MAX_ATTEMPTS = 3
"""Starts of one run (the first and two after restarts) before it is marked failed."""
_STAGE_EVERY = 0.5  # seconds between stage writes: the linker reports often


class Worker:
    """Runs link jobs one at a time in a background thread (or hands pairs to Dask)."""

    def __init__(
        self,
        db: Database,
        data_dir: Path,
        coordinator: Identity,
        trusted: Mapping[str, Card],
        cluster: str | None = None,
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.coordinator = coordinator
        self.trusted = trusted
        self.cluster = cluster
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="padan-link")
        self._lock = threading.Lock()

    def maybe_start(self, round_id: str) -> int | None:
        """Queue a run if every party of the round has a verified package; its id, or None."""
        with self._lock, self.db.session() as session:
            rnd = session.get(Round, round_id)
            if rnd is None or rnd.state in ("running", "purged"):
                return None
            uploads = current_uploads(session, round_id)
            if not all(
                (u := uploads.get(p.fingerprint)) is not None and u.state == "verified"
                for p in rnd.parties
            ):
                return None
            run = Run(round_id=round_id, state="queued", stage="antre (queued)", attempts=0)
            session.add(run)
            rnd.state = "running"
            session.flush()
            audit(session, "run queued", self.coordinator.card.org, round_id, run=run.id)
            run_id = run.id
        self._pool.submit(self._run, run_id)
        return run_id

    def resume(self) -> None:
        """After a restart: start again every queued or running run, or mark it failed."""
        with self.db.session() as session:
            stale = list(session.scalars(select(Run).where(Run.state.in_(("queued", "running")))))
            again = []
            for run in stale:
                if run.attempts >= MAX_ATTEMPTS:
                    self._fail(session, run, f"interrupted {run.attempts} times; not retried")
                    continue
                run.state, run.stage = "queued", "dilanjutkan setelah restart (resumed)"
                audit(session, "run resumed", self.coordinator.card.org, run.round_id, run=run.id)
                again.append(run.id)
            waiting = list(session.scalars(select(Round.id).where(Round.state == "waiting")))
        for run_id in again:
            self._pool.submit(self._run, run_id)
        for round_id in waiting:  # the last upload landed just before a crash
            self.maybe_start(round_id)

    def shutdown(self) -> None:
        """Stop taking runs; a run in progress is resumed at the next start."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _fail(self, session: Session, run: Run, reason: str) -> None:
        run.state, run.error, run.finished = "failed", reason, utcnow()
        run.stage = "gagal (failed)"
        rnd = session.get(Round, run.round_id)
        if rnd is not None and rnd.state != "purged":
            rnd.state = "failed"
        audit(session, "run failed", self.coordinator.card.org, run.round_id, reason=reason)

    def _stage(self, run_id: int, text: str) -> None:
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is not None:
                run.stage = text[:200]

    def _run(self, run_id: int) -> None:
        """One link run, from the verified packages to the renamed results directory."""
        with self.db.session() as session:
            run = session.get(Run, run_id)
            if run is None or run.state != "queued":
                return
            rnd = session.get(Round, run.round_id)
            assert rnd is not None
            run.state, run.started, run.attempts = "running", utcnow(), run.attempts + 1
            run.stage = "memverifikasi paket (verifying packages)"
            current = current_uploads(session, rnd.id)
            # The registry first, then the lists in the order the round names them.
            parties = sorted(rnd.parties, key=lambda p: p.role != "registry")
            paths = [package_path(self.data_dir, rnd.id, p.org) for p in parties]
            records = sum(current[p.fingerprint].records or 0 for p in parties)
            round_id, seed = rnd.id, rnd.seed
        folder = round_dir(self.data_dir, round_id)
        scratch, results = folder / "run.tmp", folder / "results"
        shutil.rmtree(scratch, ignore_errors=True)
        last = 0.0

        def progress(message: str) -> None:
            nonlocal last
            if time.monotonic() - last >= _STAGE_EVERY:
                last = time.monotonic()
                self._stage(run_id, message)

        from padan.link.run import link_run  # numba and the linker load with the first run

        try:
            summary = link_run(
                paths,
                coordinator=self.coordinator,
                trusted=self.trusted,
                out_dir=scratch,
                seed=seed,
                progress=progress,
                cluster=self.cluster,
            )
        except Exception as exc:
            shutil.rmtree(scratch, ignore_errors=True)
            if isinstance(exc, PadanError):
                reason = str(exc).replace(str(folder), "…")
            else:
                log.exception("link run %s of round %s failed", run_id, round_id)
                reason = f"internal error ({type(exc).__name__}); see the server log"
            with self.db.session() as session:
                self._fail(session, session.get(Run, run_id), reason)
            return
        shutil.rmtree(results, ignore_errors=True)
        scratch.rename(results)
        outputs = [results / p.name for p in summary.results]
        audit_log.log_run(
            "serve link",
            org=self.coordinator.card.org,
            inputs=paths,
            outputs=[*outputs, results / "report.json", results / "report.html"],
            counts={"records": records},
            directory=self.data_dir,
        )
        with self.db.session() as session:
            run = session.get(Run, run_id)
            rnd = session.get(Round, round_id)
            run.state, run.stage, run.finished = "done", "selesai (done)", utcnow()
            run.link_id, run.report = summary.run_id, summary.report
            rnd.state = "done"
            audit(
                session,
                "run done",
                self.coordinator.card.org,
                round_id,
                run=run_id,
                link_id=summary.run_id,
                records=records,
                seconds=round(summary.seconds, 2),
            )
