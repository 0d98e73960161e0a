"""Runs that cannot finish fail with their reason and leave no partial result."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from padan.demo import HEALTH, REGISTRY
from padan.service.client import fetch_result, open_round, send_package
from padan.service.db import Database, database_url, migrate
from padan.service.models import Party, Round, Run
from padan.service.runs import MAX_ATTEMPTS, Worker
from tests.service.servicekit import Flow, Server


def test_failed_run_records_its_reason_and_writes_nothing(
    sqlite_server: Server, flow: Flow, tmp_path: Path
) -> None:
    server = sqlite_server
    with server.client(flow.coordinator) as client:
        round_id = open_round(
            client, "uji gagal", registry=flow.registry.card, lists=[flow.health.card]
        )["id"]
    with server.client(flow.registry) as client:
        send_package(client, flow.packages[REGISTRY], round_id)
    folder = Path(server.config.data_dir) / "rounds" / round_id
    stored = folder / "packages" / f"{REGISTRY}.padan"
    stored.write_bytes(stored.read_bytes()[:1000])  # the disk lost the package meanwhile
    with server.client(flow.health) as client:
        send_package(client, flow.packages[HEALTH], round_id)
        with pytest.raises(Exception, match="failed") as failed:
            fetch_result(client, round_id, tmp_path, wait=True, poll=0.1, timeout=60)
        status = client.json("GET", f"/api/rounds/{round_id}")
    assert "not a readable padan package" in str(failed.value)
    assert str(folder) not in str(failed.value)  # no server paths in reasons
    assert status["state"] == "failed" and status["run"]["state"] == "failed"
    assert not (folder / "results").exists() and not (folder / "run.tmp").exists()


def test_run_interrupted_too_often_is_marked_failed(flow: Flow, tmp_path: Path) -> None:
    db = Database(database_url(None, tmp_path))
    migrate(db.engine)
    with db.session() as session:
        rnd = Round(id="r1", name="r1", pks="", schema="padan-v1", retention=dt.date(2099, 1, 1))
        rnd.parties = [Party(fingerprint=flow.health.card.fingerprint, org=HEALTH, role="list")]
        rnd.state = "running"
        session.add(rnd)
        session.add(Run(round_id="r1", state="running", stage="", attempts=MAX_ATTEMPTS))
    worker = Worker(db, tmp_path, flow.coordinator, flow.trusted)
    worker.resume()
    worker.shutdown()
    with db.session() as session:
        run = session.get(Run, 1)
        assert run.state == "failed" and "interrupted" in run.error
        assert session.get(Round, "r1").state == "failed"
    db.close()
