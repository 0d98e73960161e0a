"""Migrations match the models, on SQLite and PostgreSQL; retention purges on its date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from padan.service.db import Database, migrate
from padan.service.models import AuditEntry, Base, Party, Round, Upload
from padan.service.retention import purge_expired


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    db = Database(db_url)
    migrate(db.engine)
    migrate(db.engine)  # a second start changes nothing
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.close()
    assert differences == []


def test_retention_purges_packages_and_results_with_an_audit_entry(
    db_url: str, tmp_path: Path
) -> None:
    db = Database(db_url)
    migrate(db.engine)
    today = dt.date(2026, 12, 5)
    with db.session() as session:
        for round_id, days in (("lewat", -1), ("hari-ini", 0), ("nanti", 1)):
            rnd = Round(
                id=round_id,
                name=round_id,
                pks="",
                schema="padan-v1",
                retention=today + dt.timedelta(days=days),
                state="done",
            )
            rnd.parties = [Party(fingerprint="f" * 64, org="dinkes-uji", role="list")]
            session.add(rnd)
            session.add(
                Upload(id=round_id, round_id=round_id, fingerprint="f" * 64, size=3, sha256="0")
            )
            folder = tmp_path / "rounds" / round_id / "results"
            folder.mkdir(parents=True)
            (folder / "dinkes-uji.result").write_bytes(b"abc")
    assert sorted(purge_expired(db, tmp_path, today)) == ["hari-ini", "lewat"]
    assert purge_expired(db, tmp_path, today) == []
    assert sorted(p.name for p in (tmp_path / "rounds").iterdir()) == ["nanti"]
    with db.session() as session:
        assert session.get(Round, "lewat").state == "purged"
        assert session.get(Upload, "lewat").state == "purged"
        assert session.get(Round, "nanti").state == "done"
        entries = session.query(AuditEntry).filter_by(action="purged").all()
        assert sorted(e.round_id for e in entries) == ["hari-ini", "lewat"]
        assert entries[0].details["bytes"] == 3
    db.close()
