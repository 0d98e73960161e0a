"""Faults: the server killed (SIGKILL) mid-upload and mid-run, then started again.

An upload resumes at the offset the server had stored, cutting off what it wrote past it;
a run is started again from the verified packages (or fails with its reason when they
are no longer usable). Nothing is half-written.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from padan.demo import HEALTH, REGISTRY
from padan.service.client import Client, ServiceError, fetch_result, open_round, send_package
from tests.service.servicekit import Flow, padan_serve

CHUNK = 64 * 1024


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def _client(url: str, identity) -> Client:
    return Client(url, identity, retries=1, backoff=0.05)


def _open(url: str, flow: Flow) -> str:
    with _client(url, flow.coordinator) as client:
        return open_round(
            client, "uji gangguan", registry=flow.registry.card, lists=[flow.health.card], seed=1
        )["id"]


def _stop_at(done: int, at: int) -> None:
    if done >= at:
        raise ServiceError(499, "stopped", "line cut (test)")


def test_upload_and_run_resume_after_the_server_is_killed(flow: Flow, tmp_path: Path) -> None:
    """One kill, two rounds: one mid-upload, one mid-run (one restart keeps the test fast)."""
    data = tmp_path / "data"
    package = flow.packages[REGISTRY]
    with padan_serve(flow, data) as (url, process):
        uploading, linking = _open(url, flow), _open(url, flow)
        with _client(url, flow.registry) as client, pytest.raises(ServiceError):
            # Stop after the second chunk, as a cut line would.
            send_package(
                client,
                package,
                uploading,
                chunk=CHUNK,
                progress=lambda done, _total: _stop_at(done, 2 * CHUNK),
            )
        for org in (REGISTRY, HEALTH):
            with _client(url, flow.ids[org]) as client:
                send_package(client, flow.packages[org], linking)
        with _client(url, flow.coordinator) as client:
            for _ in range(2000):  # bounded: the run starts at once
                run = client.json("GET", f"/api/rounds/{linking}")["run"]
                if run and run["state"] != "queued":
                    break
                time.sleep(0.005)
        assert run["state"] == "running", run
        _kill(process)
    rounds = data / "rounds"
    assert not (rounds / linking / "results").exists()
    (part,) = (rounds / uploading / "uploads").glob("*.part")
    with open(part, "ab") as handle:  # bytes the server wrote but never acknowledged
        handle.write(b"\0" * 1000)

    with padan_serve(flow, data) as (url, _process):
        with _client(url, flow.registry) as client:
            sent = send_package(client, package, uploading, chunk=CHUNK)
        with _client(url, flow.health) as client:
            path = fetch_result(client, linking, tmp_path, wait=True, poll=0.1, timeout=60)
            run = client.json("GET", f"/api/rounds/{linking}")["run"]
    assert sent.resumed_at == 2 * CHUNK
    stored = rounds / uploading / "packages" / f"{REGISTRY}.padan"
    assert stored.read_bytes() == package.read_bytes()
    assert path.is_file() and run["state"] == "done" and run["attempts"] == 2
    assert not (rounds / linking / "run.tmp").exists()
