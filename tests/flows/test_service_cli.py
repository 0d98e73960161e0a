"""The service from the command line: round new, send, fetch, reconcile, login, round list;
and ``padan demo --service``. (``padan serve`` itself runs in tests/service/test_service_faults.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from padan.cli import app
from padan.demo import COORDINATOR, DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.service.db import database_url
from padan.service.server import running_server
from tests.service.servicekit import Flow, make_flow, service_config


@pytest.fixture(scope="module")
def flow(demo_flow) -> Flow:
    return make_flow(demo_flow)


def _padan(*args: object) -> str:
    result = CliRunner().invoke(
        app, [str(a) for a in args], env={"PADAN_PASSPHRASE": DEMO_PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_owners_send_and_fetch_then_reconcile(flow: Flow, tmp_path: Path) -> None:
    cards = flow.folders[COORDINATOR] / "trust"
    data = tmp_path / "data"
    with running_server(service_config(flow, data, database_url(None, data))) as url:
        round_id = _padan(
            "round",
            "new",
            "CKG Serang",
            "--server",
            url,
            "--key",
            flow.key(COORDINATOR),
            "--registry",
            cards / f"{REGISTRY}.card.json",
            "--list",
            cards / f"{HEALTH}.card.json",
            "--pks",
            "PKS/1",
            "--seed",
            1,
        ).strip()
        assert len(round_id) == 12
        for org in (REGISTRY, HEALTH):
            out = _padan(
                "send",
                flow.packages[org],
                "--server",
                url,
                "--round",
                round_id,
                "--key",
                flow.key(org),
            )
            assert "diverifikasi (sent and verified)" in out
        out = _padan(
            "fetch",
            "--server",
            url,
            "--round",
            round_id,
            "--key",
            flow.key(HEALTH),
            "--out",
            tmp_path / "hasil",
            "--wait",
            "--timeout",
            60,
        )
        assert f"{HEALTH}.result" in out
        again = CliRunner().invoke(
            app,
            [
                "send",
                str(flow.packages[HEALTH]),
                "--server",
                url,
                "--round",
                round_id,
                "--key",
                str(flow.key(HEALTH)),
            ],
            env={"PADAN_PASSPHRASE": DEMO_PASSPHRASE},
        )
        assert again.exit_code == 1 and "--replace" in again.output
        assert "Traceback" not in again.output
        link = _padan("login", "--server", url, "--key", flow.key(HEALTH))
        assert link.startswith(f"{url}/login?fp=")
        listed = _padan("round", "list", "--server", url, "--key", flow.key(HEALTH))
        assert round_id in listed
    worklist = tmp_path / "worklist.csv"
    _padan(
        "reconcile",
        tmp_path / "hasil" / f"{HEALTH}.result",
        "--key",
        flow.key(HEALTH),
        "--keymap",
        flow.packages[HEALTH].with_suffix(".keymap.parquet"),
        "--trust",
        flow.folders[HEALTH] / "trust",
        "--input",
        flow.folders[HEALTH] / "ckg.csv",
        "--out",
        worklist,
    )
    assert "padan_status" in worklist.read_text(encoding="utf-8").splitlines()[0]


def test_demo_through_the_service(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--people", "200", "--service", "--workdir", str(tmp_path / "d")]
    )
    assert result.exit_code == 0, result.output
    assert "layanan" in result.output.lower() or "service" in result.output
    f1 = float(result.output.split("link F1")[1].split(";")[0])
    assert f1 >= 0.9
    coordinator = tmp_path / "d" / COORDINATOR
    assert not list(coordinator.glob("*.padan"))  # packages went over HTTP only
    assert (coordinator / "service" / "padan.db").is_file()
