"""The status page: sign-in by signed link, who sees what, nothing record-level; and a real
browser (Debian's chromium through Playwright) watching a round go from waiting to done.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from padan.demo import HEALTH, REGISTRY
from padan.service.client import fetch_result, open_round, send_package, sign_in_link
from tests.service.servicekit import Flow, Server

CHROMIUM = Path("/usr/bin/chromium")
NIK_LIKE = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _round(server: Server, flow: Flow) -> str:
    with server.client(flow.coordinator) as client:
        return open_round(
            client, "CKG Serang", registry=flow.registry.card, lists=[flow.health.card], seed=1
        )["id"]


@contextlib.contextmanager
def _signed_in(server: Server, identity) -> Iterator[httpx.Client]:
    """A cookie-keeping HTTP client signed in to the page as ``identity``."""
    with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
        page = browser.get(sign_in_link(server.url, identity).removeprefix(server.url))
        assert page.status_code == 200 and identity.card.org in page.text
        yield browser


def test_front_page_answers_without_sign_in_and_links_work_once(
    sqlite_server: Server, flow: Flow
) -> None:
    server = sqlite_server
    front = httpx.get(server.url + "/")
    assert front.status_code == 200 and "padan login" in front.text
    assert httpx.get(server.url + "/rounds").status_code == 401
    link = sign_in_link(server.url, flow.health)
    assert httpx.get(link).status_code == 303
    reused = httpx.get(link)
    assert reused.status_code == 401 and "dipakai" in reused.text
    forged = link.replace("exp=", "exp=1")
    assert httpx.get(forged).status_code == 401
    assert httpx.get(server.url + "/static/htmx.min.js").text.startswith("var htmx")


def test_each_party_sees_only_its_rounds_and_no_records(
    sqlite_server: Server, flow: Flow, tmp_path: Path
) -> None:
    server = sqlite_server
    round_id = _round(server, flow)
    for org in (REGISTRY, HEALTH):
        with server.client(flow.ids[org]) as client:
            send_package(client, flow.packages[org], round_id)
    with server.client(flow.health) as client:
        fetch_result(client, round_id, tmp_path, wait=True, poll=0.1, timeout=60)
    with _signed_in(server, flow.health) as health:
        assert round_id in health.get("/rounds").text
        page = health.get(f"/rounds/{round_id}").text
        assert "selesai (done)" in page and "COCOK" in page and "<svg" in page
        assert "upload verified" in page and "run done" in page  # the audit trail
        assert not NIK_LIKE.search(page)
        assert "Putaran baru" not in health.get("/rounds").text  # coordinator only
        assert health.post(f"/rounds/{round_id}/purge").status_code == 403
    with _signed_in(server, flow.outsider) as outsider:
        assert round_id not in outsider.get("/rounds").text
        assert outsider.get(f"/rounds/{round_id}").status_code == 403
    with _signed_in(server, flow.coordinator) as coordinator:
        assert "Putaran baru" in coordinator.get("/rounds").text
        made = coordinator.post(
            "/rounds",
            data={
                "name": "dari halaman",
                "pks": "PKS/2",
                "registry": flow.registry.card.fingerprint,
                "lists": [flow.health.card.fingerprint],
            },
        )
        assert made.status_code == 200 and "dari halaman" in made.text
        purged = coordinator.post(f"/rounds/{round_id}/purge")
        assert "dihapus" in purged.text


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_browser_sees_a_round_go_from_waiting_to_done(
    sqlite_server: Server, flow: Flow, artifacts: Path
) -> None:
    from playwright.sync_api import sync_playwright

    server = sqlite_server
    round_id = _round(server, flow)
    out = artifacts
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.goto(sign_in_link(server.url, flow.coordinator))
            page.goto(f"{server.url}/rounds/{round_id}")
            page.wait_for_selector('#round-state[data-state="waiting"]', timeout=10_000)
            page.screenshot(path=str(out / "1-waiting.png"), full_page=True)
            for org in (REGISTRY, HEALTH):
                with server.client(flow.ids[org]) as client:
                    send_package(client, flow.packages[org], round_id)
            page.wait_for_selector('#round-state[data-state="done"]', timeout=60_000)
            page.wait_for_selector("figure svg rect", timeout=10_000)
            page.screenshot(path=str(out / "2-done.png"), full_page=True)
            text = page.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    assert "selesai (done)" in text and "COCOK" in text
    assert not NIK_LIKE.search(text)
    assert (out / "2-done.png").stat().st_size > 10_000
