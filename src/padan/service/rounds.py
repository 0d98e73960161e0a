"""Rounds: one linkage under one agreement (PKS), its parties, and who may see what."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from padan.core.schema import DEFAULT_SCHEMA, load_linkage_schema
from padan.service.auth import Refused
from padan.service.models import AuditEntry, Party, Round, Run, Upload
from padan.trust.cards import Card

DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True, slots=True)
class RoundSpec:
    """What the coordinator asks for when opening a round."""

    name: str
    registry: str  # card fingerprint
    lists: tuple[str, ...]
    pks: str = ""
    schema: str = DEFAULT_SCHEMA
    retention: dt.date | None = None
    seed: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RoundSpec:
        """Parse the JSON body of ``POST /api/rounds``; ``Refused`` (422) if malformed."""
        try:
            retention = data.get("retention")
            seed = data.get("seed")
            spec = cls(
                name=str(data["name"]).strip(),
                registry=str(data["registry"]),
                lists=tuple(str(fp) for fp in data["lists"]),
                pks=str(data.get("pks") or ""),
                schema=str(data.get("schema") or DEFAULT_SCHEMA),
                retention=dt.date.fromisoformat(retention) if retention else None,
                seed=int(seed) if seed is not None else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(422, "bad_request", f"malformed round: {exc}") from None
        if not spec.name or len(spec.name) > 200:
            raise Refused(422, "bad_request", "a round needs a name of 1-200 characters")
        return spec


def audit(session: Session, action: str, actor: str, round_id: str | None, **details: Any) -> None:
    """Add one entry to the service's audit trail (counts, hashes and ids only)."""
    session.add(AuditEntry(action=action, actor=actor, round_id=round_id, details=details))


def create_round(session: Session, spec: RoundSpec, trusted: Mapping[str, Card]) -> Round:
    """Open a round for trusted owner cards: one registry and one or more lists."""
    if not spec.lists:
        raise Refused(422, "bad_request", "a round needs at least one list owner (--list)")
    fingerprints = [spec.registry, *spec.lists]
    if len(set(fingerprints)) != len(fingerprints):
        raise Refused(422, "bad_request", "a party appears twice in the round")
    for fp in fingerprints:
        card = trusted.get(fp)
        if card is None:
            raise Refused(
                422, "unknown_party", f"card {fp[:16]}… is not in the coordinator's trust list"
            )
        if card.role != "owner":
            raise Refused(422, "bad_request", f"{card.org} is not a data owner")
    try:
        load_linkage_schema(spec.schema)
    except Exception as exc:  # InputError naming the known schemas
        raise Refused(422, "bad_request", str(exc)) from None
    today = dt.datetime.now(dt.UTC).date()
    retention = spec.retention or today + dt.timedelta(days=DEFAULT_RETENTION_DAYS)
    if retention < today:
        raise Refused(422, "bad_request", "the retention date is in the past")
    rnd = Round(
        id=secrets.token_hex(6),
        name=spec.name,
        pks=spec.pks,
        schema=spec.schema,
        retention=retention,
        seed=spec.seed,
        state="waiting",
    )
    rnd.parties = [
        Party(fingerprint=fp, org=trusted[fp].org, role="registry" if k == 0 else "list")
        for k, fp in enumerate(fingerprints)
    ]
    session.add(rnd)
    session.flush()
    return rnd


def get_round(session: Session, round_id: str) -> Round:
    """The round with this id, or ``Refused`` (404)."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise Refused(404, "unknown_round", f"no round {round_id} on this server")
    return rnd


def party_of(rnd: Round, card: Card) -> Party:
    """The caller's place in the round, or ``Refused`` (403) for anyone outside it."""
    for party in rnd.parties:
        if party.fingerprint == card.fingerprint:
            return party
    raise Refused(403, "not_a_party", f"{card.org} is not a party to round {rnd.id}")


def can_see(rnd: Round, card: Card, coordinator: Card) -> bool:
    """The coordinator sees every round; an owner only the rounds it is a party to."""
    return card.fingerprint == coordinator.fingerprint or any(
        p.fingerprint == card.fingerprint for p in rnd.parties
    )


def check_visible(rnd: Round, card: Card, coordinator: Card) -> None:
    """``Refused`` (403) unless ``card`` may see ``rnd``."""
    if not can_see(rnd, card, coordinator):
        party_of(rnd, card)  # raises not_a_party


def visible_rounds(session: Session, card: Card, coordinator: Card) -> list[Round]:
    """Rounds ``card`` may see, newest first."""
    query = select(Round).order_by(Round.created.desc())
    if card.fingerprint != coordinator.fingerprint:
        query = query.join(Party).where(Party.fingerprint == card.fingerprint)
    return list(session.scalars(query))


def current_uploads(session: Session, round_id: str) -> dict[str, Upload]:
    """Each party's newest upload that is not replaced (fingerprint → upload)."""
    uploads = session.scalars(
        select(Upload)
        .where(Upload.round_id == round_id, Upload.state != "replaced")
        .order_by(Upload.created)
    )
    newest: dict[str, Upload] = {}
    for upload in uploads:  # a verified upload stays current until replaced
        kept = newest.get(upload.fingerprint)
        if kept is None or kept.state != "verified":
            newest[upload.fingerprint] = upload
    return newest


def latest_run(session: Session, round_id: str) -> Run | None:
    """The round's most recent run, if any."""
    return session.scalars(
        select(Run).where(Run.round_id == round_id).order_by(Run.id.desc()).limit(1)
    ).first()


def round_status(session: Session, rnd: Round) -> dict[str, Any]:
    """The round as the API and the page show it: states, counts and fingerprints only."""
    uploads = current_uploads(session, rnd.id)
    run = latest_run(session, rnd.id)
    parties = []
    for party in rnd.parties:
        upload = uploads.get(party.fingerprint)
        parties.append(
            {
                "org": party.org,
                "role": party.role,
                "fingerprint": party.fingerprint,
                "upload": None
                if upload is None
                else {
                    "state": upload.state,
                    "bytes": upload.size,
                    "received": upload.offset,
                    "records": upload.records,
                    "sha256": upload.sha256,
                    "error": upload.error,
                },
            }
        )
    return {
        "id": rnd.id,
        "name": rnd.name,
        "pks": rnd.pks,
        "schema": rnd.schema,
        "retention": rnd.retention.isoformat(),
        "state": rnd.state,
        "created": rnd.created.isoformat(timespec="seconds") + "Z",
        "parties": parties,
        "run": None
        if run is None
        else {
            "state": run.state,
            "stage": run.stage,
            "attempts": run.attempts,
            "error": run.error,
            "link_id": run.link_id,
        },
    }


def round_dir(data_dir: Path, round_id: str) -> Path:
    """Where a round's files live: ``DIR/rounds/ID/{uploads,packages,results}``."""
    return data_dir / "rounds" / round_id
