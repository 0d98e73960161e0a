"""Helpers of the service tests: the demo's parties and packages, a server on loopback.

The parties, their key files and their packages come from the session's ``demo_flow``
(800 synthetic people, seed 1), whose file-flow ``padan link`` run is the reference the
service must reproduce. Servers run on 127.0.0.1 with SQLite, or with PostgreSQL when
``PADAN_TEST_POSTGRES_URL`` names a server (``.ci/run`` starts one).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from padan.demo import COORDINATOR, DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.service.app import ServiceConfig
from padan.service.client import Client
from padan.service.db import database_url
from padan.service.server import free_port
from padan.service.uploads import Limits
from padan.trust.cards import Card, load_trusted_cards
from padan.trust.identity import Identity, load_identity, new_identity

POSTGRES = os.environ.get("PADAN_TEST_POSTGRES_URL")
MAX_UPLOAD = 2 * 1024**2  # small, so that the over-size refusal is cheap to provoke


@dataclass
class Flow:
    """The demo's three parties, an outsider, their packages and the trust list."""

    folders: dict[str, Path]
    ids: dict[str, Identity]
    outsider: Identity
    packages: dict[str, Path]
    trusted: dict[str, Card]
    reference: object  # the demo's LinkSummary (file flow)

    @property
    def registry(self) -> Identity:
        return self.ids[REGISTRY]

    @property
    def health(self) -> Identity:
        return self.ids[HEALTH]

    @property
    def coordinator(self) -> Identity:
        return self.ids[COORDINATOR]

    def key(self, org: str) -> Path:
        return self.folders[org] / f"{org}.key"


def make_flow(demo) -> Flow:
    """The test parties from a ``padan.demo.DemoResult``, plus a trusted outsider."""
    folders = demo.folders
    ids = {org: load_identity(folders[org] / f"{org}.key", DEMO_PASSPHRASE) for org in folders}
    outsider = new_identity("puskesmas-luar", "owner")  # trusted, but in no round
    trusted = load_trusted_cards(folders[COORDINATOR] / "trust")
    trusted[outsider.card.fingerprint] = outsider.card
    packages = {org: demo.encoded[org].package for org in (REGISTRY, HEALTH)}
    return Flow(folders, ids, outsider, packages, trusted, demo.link)


def postgres_database() -> Iterator[str]:
    """A fresh database on the test PostgreSQL server, dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"padan_test_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(database_url(POSTGRES, Path())).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def service_config(flow: Flow, data: Path, db_url: str) -> ServiceConfig:
    """The service configuration the tests use (a small upload limit)."""
    return ServiceConfig(
        data_dir=data,
        coordinator=flow.coordinator,
        trusted=flow.trusted,
        db_url=db_url,
        limits=Limits(upload=MAX_UPLOAD, chunk=MAX_UPLOAD),
    )


@dataclass
class Server:
    """A running service and what it was started with."""

    url: str
    config: ServiceConfig

    def client(self, identity: Identity) -> Client:
        return Client(self.url, identity, retries=2, backoff=0.05)


@contextmanager
def padan_serve(flow: Flow, data: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``padan serve`` in its own process on a free loopback port."""
    port = free_port()
    folder = flow.folders[COORDINATOR]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "padan",
            "serve",
            "--key",
            str(folder / f"{COORDINATOR}.key"),
            "--trust",
            str(folder / "trust"),
            "--data",
            str(data),
            "--port",
            str(port),
        ],
        env={**os.environ, "PADAN_PASSPHRASE": DEMO_PASSPHRASE},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(url + "/api/health", timeout=1)
            break
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "padan serve did not start"
            time.sleep(0.05)
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        process.stderr.close()
