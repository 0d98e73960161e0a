"""Shared fixtures: identities, a linkage secret and small synthetic flows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from padan.core.schema import schema_fingerprint
from padan.trust.identity import Identity, new_identity
from padan.trust.secret import LinkageSecret, load_secret, new_secret


@dataclass
class Parties:
    """Two data owners, a coordinator, and the owners' shared linkage secret."""

    registry: Identity
    health: Identity
    coordinator: Identity
    secret: LinkageSecret

    @property
    def trusted(self) -> dict:
        return {p.card.fingerprint: p.card for p in (self.registry, self.health, self.coordinator)}


def make_parties(directory: Path) -> Parties:
    """Fresh identities and a secret sealed to both owners (in memory, fast)."""
    registry = new_identity("disdukcapil-uji", "owner")
    health = new_identity("dinkes-uji", "owner")
    coordinator = new_identity("koordinator-uji", "coordinator")
    new_secret(registry, [registry.card, health.card], schema_fingerprint(), directory)
    secret = load_secret(directory / f"{registry.card.org}.secret", registry)
    return Parties(registry, health, coordinator, secret)


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands append to padan-audit.jsonl in the working directory: keep it in tmp."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def dukcapil() -> Identity:
    """The registry owner (Disdukcapil), fresh per test module."""
    return new_identity("disdukcapil-serang", "owner")


@pytest.fixture(scope="module")
def dinkes() -> Identity:
    """The health-list owner (Dinkes), fresh per test module."""
    return new_identity("dinkes-serang", "owner")


@pytest.fixture(scope="module")
def coordinator() -> Identity:
    """The neutral coordinator, fresh per test module."""
    return new_identity("koordinator", "coordinator")


@pytest.fixture(scope="module")
def parties(tmp_path_factory: pytest.TempPathFactory) -> Parties:
    return make_parties(tmp_path_factory.mktemp("secret"))


@pytest.fixture
def new_parties():
    """Factory for a further, independent set of parties (another secret)."""
    return make_parties


@pytest.fixture(scope="session")
def demo_flow(tmp_path_factory: pytest.TempPathFactory):
    """The whole three-role flow on 800 synthetic people (seed 1), run once per session."""
    from padan.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"), people=800, seed=1)


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder kept after the run (``test-artifacts/<test>/``, git-ignored) for pictures
    of rendered output that a person can look at."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    return folder
