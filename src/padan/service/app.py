"""The coordinator service: a FastAPI application over the database, the data directory,
the coordinator's identity and its trust list.

API (every request signed, see ``padan.service.auth``; refusals answer
``{"error": CODE, "message": TEXT}`` with their own status):

=======  ===================================  ==============================================
POST     /api/rounds                          open a round (coordinator)
GET      /api/rounds                          rounds the signer may see
GET      /api/rounds/{id}                     a round's status (its parties, the coordinator)
POST     /api/rounds/{id}/uploads             announce or resume a package upload (party)
GET      /api/uploads/{upload}                an upload's offset and state (its sender)
PATCH    /api/uploads/{upload}                a chunk at ``Upload-Offset`` (its sender)
GET      /api/rounds/{id}/results/{org}       the sealed ``ORG.result`` (that owner only)
GET      /api/rounds/{id}/report              the aggregate report (parties, coordinator)
POST     /api/rounds/{id}/purge               delete packages and results now (coordinator)
GET      /api/health                          unsigned liveness check
=======  ===================================  ==============================================
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from padan.core.version import __version__
from padan.service.auth import Refused, Signed, nonce_key, verify_request
from padan.service.db import Database, migrate
from padan.service.models import Nonce, Upload, utcnow
from padan.service.pages import router, templates
from padan.service.retention import RetentionTimer, purge_round
from padan.service.rounds import (
    RoundSpec,
    audit,
    check_visible,
    create_round,
    get_round,
    latest_run,
    party_of,
    round_dir,
    round_status,
    visible_rounds,
)
from padan.service.runs import Worker
from padan.service.uploads import (
    Limits,
    check_chunk,
    finish_upload,
    part_path,
    receive_chunk,
    start_upload,
)
from padan.trust.cards import Card
from padan.trust.identity import Identity

log = logging.getLogger("padan.service")
MAX_JSON = 1024**2
"""Largest JSON request body."""


@dataclasses.dataclass(slots=True)
class ServiceConfig:
    """Everything ``padan serve`` is started with."""

    data_dir: Path
    coordinator: Identity
    trusted: Mapping[str, Card]
    db_url: str
    cluster: str | None = None
    limits: Limits = dataclasses.field(default_factory=Limits)
    retention_interval: float = 3600.0
    secure_cookies: bool = False


class Service:
    """The running service's state: database, worker and configuration."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir
        self.coordinator = config.coordinator
        # The coordinator always trusts its own card (admin requests are signed with it).
        own = config.coordinator.card
        self.trusted = {**config.trusted, own.fingerprint: own}
        self.db = Database(config.db_url)
        self.worker = Worker(
            self.db, self.data_dir, self.coordinator, self.trusted, cluster=config.cluster
        )
        self.retention = RetentionTimer(self.db, self.data_dir, config.retention_interval)
        self.upload_locks: dict[str, asyncio.Lock] = {}  # one chunk at a time per upload

    def is_coordinator(self, card: Card) -> bool:
        """Whether ``card`` is this server's own coordinator card."""
        return card.fingerprint == self.coordinator.card.fingerprint

    def require_coordinator(self, card: Card) -> None:
        """``Refused`` (403) unless the request is signed with the coordinator's key."""
        if not self.is_coordinator(card):
            raise Refused(403, "not_coordinator", "only the coordinator's key may do this")


def service_of(request: Request) -> Service:
    """The ``Service`` behind a request."""
    return request.app.state.service


def _signed(request: Request, service: Service) -> Signed:
    """Verify a request's signature and spend its nonce (a second use is a replay)."""
    signed = verify_request(request.method, str(request.url), request.headers, service.trusted)
    try:
        with service.db.session() as session:
            session.add(Nonce(nonce=nonce_key(signed.card, signed.nonce), expires=signed.expires))
    except IntegrityError:
        raise Refused(401, "replayed", "request already received once (replayed)") from None
    return signed


async def signed_json(request: Request) -> tuple[Signed, dict[str, Any]]:
    """Dependency: a verified request and its JSON body (``{}`` when empty)."""
    service = service_of(request)
    signed = await run_in_threadpool(_signed, request, service)
    too_large = Refused(413, "too_large", "request body too large")
    if int(request.headers.get("content-length") or 0) > MAX_JSON:
        raise too_large  # refused before reading it
    body = await request.body()
    if len(body) > MAX_JSON:  # sent without a length
        raise too_large
    signed.check_body(body)
    try:
        data = json.loads(body) if body else {}
    except ValueError:
        raise Refused(422, "bad_request", "body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(422, "bad_request", "body is not a JSON object")
    return signed, data


SignedJSON = Annotated[tuple[Signed, dict[str, Any]], Depends(signed_json)]
"""A verified request and its JSON body, as an endpoint parameter."""


def create_app(config: ServiceConfig) -> FastAPI:
    """The FastAPI application; migrations run and the worker resumes when it starts."""
    service = Service(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # packages: owners'
        await run_in_threadpool(migrate, service.db.engine)
        await run_in_threadpool(service.worker.resume)
        service.retention.start()
        sweeper = asyncio.create_task(_sweep_nonces(service))
        try:
            yield
        finally:
            sweeper.cancel()
            service.retention.stop()
            service.worker.shutdown()
            service.db.close()

    app = FastAPI(
        title="padan coordinator",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.service = service

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        if request.url.path.startswith("/api/"):
            body = {"error": exc.code, "message": exc.message}
            return JSONResponse(body, status_code=exc.status)
        return templates.TemplateResponse(
            request, "error.html", {"message": exc.message}, status_code=exc.status
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    _api_routes(app, service)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


async def _sweep_nonces(service: Service) -> None:
    """Forget nonces whose signatures have expired (they can no longer be replayed)."""
    while True:
        await asyncio.sleep(60)

        def sweep() -> None:
            with service.db.session() as session:
                session.execute(delete(Nonce).where(Nonce.expires < utcnow()))

        await run_in_threadpool(sweep)


def _api_routes(app: FastAPI, service: Service) -> None:
    """Register the signed JSON API."""

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post("/api/rounds", status_code=201)
    def new_round(req: SignedJSON) -> dict[str, Any]:
        signed, data = req
        service.require_coordinator(signed.card)
        spec = RoundSpec.from_json(data)
        with service.db.session() as session:
            rnd = create_round(session, spec, service.trusted)
            audit(
                session,
                "round opened",
                signed.card.org,
                rnd.id,
                name=rnd.name,
                pks=rnd.pks,
                parties=[p.org for p in rnd.parties],
                retention=rnd.retention.isoformat(),
            )
            return round_status(session, rnd)

    @app.get("/api/rounds")
    def list_rounds(req: SignedJSON) -> list[dict[str, Any]]:
        signed, _ = req
        with service.db.session() as session:
            rounds = visible_rounds(session, signed.card, service.coordinator.card)
            return [round_status(session, rnd) for rnd in rounds]

    @app.get("/api/rounds/{round_id}")
    def show_round(round_id: str, req: SignedJSON) -> dict[str, Any]:
        signed, _ = req
        with service.db.session() as session:
            rnd = get_round(session, round_id)
            check_visible(rnd, signed.card, service.coordinator.card)
            return round_status(session, rnd)

    @app.get("/api/rounds/{round_id}/report")
    def report(round_id: str, req: SignedJSON) -> dict[str, Any]:
        signed, _ = req
        with service.db.session() as session:
            rnd = get_round(session, round_id)
            check_visible(rnd, signed.card, service.coordinator.card)
            run = latest_run(session, round_id)
            state = rnd.state
        if run is None or run.report is None:
            raise Refused(409, "not_ready", f"round {round_id} is {state}: no report")
        return run.report

    @app.post("/api/rounds/{round_id}/uploads", status_code=201)
    def announce(round_id: str, req: SignedJSON) -> dict[str, Any]:
        signed, data = req
        try:
            size, sha256 = int(data["size"]), str(data["sha256"])
        except (KeyError, TypeError, ValueError):
            raise Refused(422, "bad_request", "announce size and sha256") from None
        with service.db.session() as session:
            rnd = get_round(session, round_id)
            party = party_of(rnd, signed.card)
            upload = start_upload(
                session,
                rnd,
                party,
                size=size,
                sha256=sha256,
                replace=bool(data.get("replace")),
                limits=service.config.limits,
            )
            session.flush()
            return _upload_json(upload)

    @app.get("/api/uploads/{upload_id}")
    def upload_state(upload_id: str, req: SignedJSON) -> dict[str, Any]:
        signed, _ = req
        with service.db.session() as session:
            return _upload_json(_own_upload(session, upload_id, signed.card))

    @app.patch("/api/uploads/{upload_id}")
    async def upload_chunk(upload_id: str, request: Request) -> dict[str, Any]:
        signed = await run_in_threadpool(_signed, request, service)
        try:
            offset = int(request.headers["upload-offset"])
            length = (
                int(request.headers["content-length"])
                if "content-length" in request.headers
                else None
            )
        except (KeyError, ValueError):
            raise Refused(422, "bad_request", "a chunk needs an Upload-Offset header") from None
        async with service.upload_locks.setdefault(upload_id, asyncio.Lock()):
            with service.db.session() as session:
                upload = _own_upload(session, upload_id, signed.card)
                check_chunk(upload, offset, length, service.config.limits)
                path, size = part_path(service.data_dir, upload), upload.size
            written, digest = await receive_chunk(
                path, offset, request.stream(), size - offset, service.config.limits.chunk
            )
            try:
                signed.check_sha256(digest)
            except Refused:
                with open(path, "r+b") as handle:
                    handle.truncate(offset)
                raise
            with service.db.session() as session:
                upload = _own_upload(session, upload_id, signed.card)
                upload.offset = offset + written
                done = upload.offset == upload.size
            if not done:
                return _upload_json(upload)
            result = await run_in_threadpool(_finish, service, upload_id, signed.card)
        await run_in_threadpool(service.worker.maybe_start, result["round"])
        return result

    @app.get("/api/rounds/{round_id}/results/{org}")
    def result(round_id: str, org: str, req: SignedJSON) -> FileResponse:
        signed, _ = req
        with service.db.session() as session:
            rnd = get_round(session, round_id)
            party = party_of(rnd, signed.card)
            if org != party.org:
                raise Refused(403, "not_your_result", f"{party.org} may fetch only its own result")
            state = rnd.state
            if state == "done":
                audit(session, "result fetched", party.org, round_id)
        if state == "purged":
            raise Refused(410, "purged", f"round {round_id} was purged (retention)")
        path = round_dir(service.data_dir, round_id) / "results" / f"{org}.result"
        if state != "done" or not path.is_file():
            raise Refused(409, "not_ready", f"round {round_id} is {state}: no result yet")
        return FileResponse(path, media_type="application/octet-stream", filename=path.name)

    @app.post("/api/rounds/{round_id}/purge")
    def purge(round_id: str, req: SignedJSON) -> dict[str, Any]:
        signed, _ = req
        service.require_coordinator(signed.card)
        removed = purge_round(service.db, service.data_dir, round_id, signed.card.org, "on request")
        return {"round": round_id, "state": "purged", "bytes_removed": removed}


def _own_upload(session: Session, upload_id: str, card: Card) -> Upload:
    """The upload, if ``card`` sent it; ``Refused`` otherwise."""
    upload = session.get(Upload, upload_id)
    if upload is None:
        raise Refused(404, "unknown_upload", f"no upload {upload_id}")
    if upload.fingerprint != card.fingerprint:
        raise Refused(403, "not_your_upload", "this upload belongs to another party")
    return upload


def _upload_json(upload: Upload) -> dict[str, Any]:
    return {
        "upload": upload.id,
        "round": upload.round_id,
        "offset": upload.offset,
        "size": upload.size,
        "state": upload.state,
        "records": upload.records,
        "error": upload.error,
    }


def _finish(service: Service, upload_id: str, card: Card) -> dict[str, Any]:
    """Verify a complete upload; the refusal (if any) is recorded before it is raised."""
    refusal: Refused | None = None
    with service.db.session() as session:
        upload = session.get(Upload, upload_id)
        rnd = get_round(session, upload.round_id)
        try:
            finish_upload(
                session, service.data_dir, rnd, party_of(rnd, card), upload, service.trusted
            )
        except Refused as exc:
            refusal = exc  # keep the rejected state: commit, then answer with the refusal
        answer = _upload_json(upload)
    if refusal is not None:
        raise refusal
    return answer
