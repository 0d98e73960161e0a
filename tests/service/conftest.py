"""Fixtures of the service tests (helpers in ``servicekit``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from padan.service.db import database_url
from padan.service.server import running_server
from tests.service.servicekit import (
    POSTGRES,
    Flow,
    Server,
    make_flow,
    postgres_database,
    service_config,
)


@pytest.fixture(scope="session")
def flow(demo_flow) -> Flow:
    """The demo's parties and packages (the file flow is the reference)."""
    return make_flow(demo_flow)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for each backend (PostgreSQL skipped when none is available)."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir(exist_ok=True)
        yield database_url(None, tmp_path / "data")
        return
    if not POSTGRES:
        pytest.skip("PADAN_TEST_POSTGRES_URL not set (no PostgreSQL to test on)")
    yield from postgres_database()


@pytest.fixture
def server(flow: Flow, db_url: str, tmp_path: Path) -> Iterator[Server]:
    """The service on 127.0.0.1, on SQLite and (if available) on PostgreSQL."""
    config = service_config(flow, tmp_path / "data", db_url)
    with running_server(config) as url:
        yield Server(url, config)


@pytest.fixture
def sqlite_server(flow: Flow, tmp_path: Path) -> Iterator[Server]:
    """The service on 127.0.0.1 with SQLite only (tests not about the database)."""
    data = tmp_path / "data"
    config = service_config(flow, data, database_url(None, data))
    with running_server(config) as url:
        yield Server(url, config)
