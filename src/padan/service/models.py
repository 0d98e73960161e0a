"""Database tables of the coordinator service (SQLAlchemy 2, declarative).

The schema is created and changed only by the Alembic migrations in
``padan/service/migrations``; ``tests/service/test_migrations.py`` checks that the
migrations and these models agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    """Now, UTC, without tzinfo (stored as UTC in both SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""

    type_annotation_map = {dict[str, Any]: JSON}  # noqa: RUF012 (SQLAlchemy reads it)


class Round(Base):
    """One linkage under one agreement (PKS): its parties, schema and retention date.

    ``state``: waiting (for uploads) → running → done | failed; purged after retention.
    """

    __tablename__ = "rounds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    pks: Mapped[str] = mapped_column(String(200))
    schema: Mapped[str] = mapped_column(String(64))
    retention: Mapped[dt.date] = mapped_column(Date)
    seed: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    parties: Mapped[list[Party]] = relationship(
        back_populates="round", order_by="Party.id", cascade="all, delete-orphan"
    )


class Party(Base):
    """An organisation taking part in a round, named by its card fingerprint."""

    __tablename__ = "parties"
    __table_args__ = (UniqueConstraint("round_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    org: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # registry | list
    round: Mapped[Round] = relationship(back_populates="parties")


class Upload(Base):
    """One party's package upload: partial → verified | rejected; replaced by a later one."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="partial")
    records: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Run(Base):
    """A link run of a round, with its stage and outcome (the report is aggregate only)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("rounds.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    stage: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(32))
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Nonce(Base):
    """A signature nonce already used, kept until its signature expires (replay table)."""

    __tablename__ = "nonces"

    nonce: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class WebSession(Base):
    """A status-page session opened with a signed sign-in link."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    expires: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """The service's audit trail: who did what to which round (counts and hashes only)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    round_id: Mapped[str | None] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
