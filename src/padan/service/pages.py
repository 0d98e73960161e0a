"""The status page: server-rendered (Jinja2) with htmx polling, Indonesian with English.

Shows rounds, their parties and uploads (counts and fingerprints), run progress, the
aggregate report with its charts, and the audit trail; never a record. Sign-in is
password-free: ``padan login`` prints a link signed with the party's key, which this
module turns into a session cookie. Each party sees its own rounds, the coordinator all.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from padan.core.types import Status
from padan.service.auth import Refused, nonce_key, verify_login
from padan.service.models import AuditEntry, Nonce, WebSession, utcnow
from padan.service.retention import purge_round
from padan.service.rounds import (
    RoundSpec,
    audit,
    check_visible,
    create_round,
    get_round,
    latest_run,
    round_status,
    visible_rounds,
)
from padan.trust.cards import Card

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
COOKIE = "padan_session"
SESSION_HOURS = 8

STATES = {
    "waiting": "menunggu paket (waiting for packages)",
    "running": "sedang dipadankan (linking)",
    "done": "selesai (done)",
    "failed": "gagal (failed)",
    "purged": "dihapus, masa simpan (purged, retention)",
}

UPLOAD_STATES = {
    "partial": "sedang dikirim (arriving)",
    "verified": "terverifikasi (verified)",
    "rejected": "ditolak (refused)",
    "replaced": "diganti (replaced)",
    "purged": "dihapus (purged)",
}
RUN_STATES = {
    "queued": "antre (queued)",
    "running": "berjalan (running)",
    "done": "selesai (done)",
    "failed": "gagal (failed)",
}


def _service(request: Request):
    return request.app.state.service


def _viewer(request: Request) -> Card | None:
    """The signed-in party, from the session cookie."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    service = _service(request)
    with service.db.session() as session:
        web = session.get(WebSession, token)
        if web is None or web.expires < utcnow():
            return None
        return service.trusted.get(web.fingerprint)


def _signed_in(request: Request) -> Card:
    card = _viewer(request)
    if card is None:
        raise Refused(401, "not_signed_in", "masuk dulu (sign in first): padan login")
    return card


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    labels = {"states": STATES, "upload_states": UPLOAD_STATES, "run_states": RUN_STATES}
    return templates.TemplateResponse(request, name, {**labels, **context}, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    """The plain front page; answers without sign-in (health checks reach it)."""
    return _render(request, "index.html", viewer=_viewer(request))


@router.get("/login")
def login(request: Request, fp: str = "", exp: str = "", nonce: str = "", sig: str = ""):
    """Turn a signed sign-in link into a session cookie (each link works once)."""
    service = _service(request)
    try:
        card, until = verify_login(fp, exp, nonce, sig, service.trusted)
        with service.db.session() as session:
            session.add(Nonce(nonce=nonce_key(card, "login:" + nonce), expires=until))
    except IntegrityError:
        return _render(request, "error.html", 401, message="Tautan sudah dipakai (link used).")
    except Refused as exc:
        return _render(request, "error.html", exc.status, message=exc.message)
    token = secrets.token_urlsafe(32)
    with service.db.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires < utcnow()))
        expires = utcnow() + dt.timedelta(hours=SESSION_HOURS)
        session.add(WebSession(id=token, fingerprint=card.fingerprint, expires=expires))
        audit(session, "signed in", card.org, None)
    response = RedirectResponse("/rounds", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=service.config.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    token = request.cookies.get(COOKIE)
    if token:
        with _service(request).db.session() as session:
            session.execute(delete(WebSession).where(WebSession.id == token))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/rounds", response_class=HTMLResponse)
def rounds(request: Request) -> HTMLResponse:
    """The signed-in party's rounds (the coordinator: every round, and a form for a new one)."""
    viewer = _viewer(request)
    if viewer is None:
        return _render(request, "index.html", 401, viewer=None)
    service = _service(request)
    with service.db.session() as session:
        shown = [
            round_status(session, r)
            for r in visible_rounds(session, viewer, service.coordinator.card)
        ]
    owners = sorted((c for c in service.trusted.values() if c.role == "owner"), key=lambda c: c.org)
    return _render(
        request,
        "rounds.html",
        viewer=viewer,
        rounds=shown,
        is_coordinator=service.is_coordinator(viewer),
        owners=owners,
    )


@router.post("/rounds")
async def new_round(request: Request) -> Response:
    """Open a round from the coordinator's form (same checks as ``POST /api/rounds``)."""
    viewer = _signed_in(request)
    service = _service(request)
    service.require_coordinator(viewer)
    _same_origin(request)
    form = parse_qs((await request.body()).decode())
    spec = RoundSpec.from_json(
        {
            "name": form.get("name", [""])[0],
            "pks": form.get("pks", [""])[0],
            "registry": form.get("registry", [""])[0],
            "lists": form.get("lists", []),
            "retention": form.get("retention", [""])[0] or None,
        }
    )
    with service.db.session() as session:
        rnd = create_round(session, spec, service.trusted)
        audit(session, "round opened", viewer.org, rnd.id, name=rnd.name, pks=rnd.pks)
        round_id = rnd.id
    return RedirectResponse(f"/rounds/{round_id}", status_code=303)


def _same_origin(request: Request) -> None:
    """Refuse a form posted from another site (the cookie is SameSite=Lax as well)."""
    origin = request.headers.get("origin")
    if origin and origin.rstrip("/") != str(request.base_url).rstrip("/"):
        raise Refused(403, "cross_site", "form sent from another site")


def _round_context(request: Request, round_id: str) -> dict[str, Any]:
    viewer = _signed_in(request)
    service = _service(request)
    with service.db.session() as session:
        rnd = get_round(session, round_id)
        check_visible(rnd, viewer, service.coordinator.card)
        status = round_status(session, rnd)
        run = latest_run(session, round_id)
        report = run.report if run is not None else None
        trail = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.round_id == round_id)
                .order_by(AuditEntry.id.desc())
                .limit(50)
            )
        )
    return {
        "viewer": viewer,
        "round": status,
        "report": report_view(report) if report else None,
        "trail": trail,
        "is_coordinator": service.is_coordinator(viewer),
    }


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def round_page(request: Request, round_id: str) -> HTMLResponse:
    """One round: parties, uploads, run, report and audit trail."""
    if _viewer(request) is None:
        return _render(request, "index.html", 401, viewer=None)
    return _render(request, "round.html", **_round_context(request, round_id))


@router.get("/rounds/{round_id}/status", response_class=HTMLResponse)
def round_fragment(request: Request, round_id: str) -> HTMLResponse:
    """The part of the round page that htmx refreshes while the round is not finished."""
    return _render(request, "_round_status.html", **_round_context(request, round_id))


@router.post("/rounds/{round_id}/purge")
def purge(request: Request, round_id: str) -> Response:
    """Delete a round's packages and results now (coordinator)."""
    viewer = _signed_in(request)
    service = _service(request)
    service.require_coordinator(viewer)
    _same_origin(request)
    purge_round(service.db, service.data_dir, round_id, viewer.org, "on request (page)")
    return RedirectResponse(f"/rounds/{round_id}", status_code=303)


def report_view(report: dict[str, Any]) -> dict[str, Any]:
    """Chart geometry for the report: status bars per dataset and score histograms."""
    owner_only = (Status.DITOLAK, Status.BERUBAH)  # decided by owners, never at the coordinator
    statuses = [s.value for s in Status if s not in owner_only]
    datasets = []
    for d in report["datasets"]:
        total = max(d["records"], 1)
        bars, x = [], 0.0
        for k, name in enumerate(statuses):
            n = d["status_counts"].get(name, 0)
            width = 600 * n / total
            bars.append({"status": name, "n": n, "x": x, "width": width, "colour": k})
            x += width
        datasets.append({**d, "bars": bars})
    histograms = []
    for key, title in (
        ("linkage", "Skor pasangan daftar–registri (list–registry pair scores)"),
        ("deduplication", "Skor pasangan dalam registri (registry pair scores)"),
    ):
        stage = report.get(key)
        if not stage:
            continue
        counts = stage["score_histogram"]["counts"]
        edges = stage["score_histogram"]["bin_edges_bits"]
        top = max(max(counts), 1)
        bar = 600 / len(counts)
        threshold = report["threshold"]["log_odds_bits"]
        histograms.append(
            {
                "title": title,
                "bars": [
                    {
                        "x": k * bar,
                        "width": bar - 1,
                        "height": 150 * (c / top) ** 0.5,  # square root: small bins stay visible
                        "n": c,
                        "low": edges[k],
                        "high": edges[k + 1],
                        "above": edges[k] >= threshold,
                    }
                    for k, c in enumerate(counts)
                ],
                "threshold_x": 600 * (threshold - edges[0]) / (edges[-1] - edges[0]),
                "low": edges[0],
                "high": edges[-1],
            }
        )
    return {
        "run_id": report["run_id"],
        "statuses": statuses,
        "datasets": datasets,
        "histograms": histograms,
        "threshold": report["threshold"],
        "seconds": report.get("timings_seconds", {}).get("total"),
    }
