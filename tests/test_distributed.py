"""Pair comparison on Dask: same decisions as the in-process run, retries, no partial output."""

from __future__ import annotations

import os
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from distributed import Client, LocalCluster

from padan.comparison import compare_pairs, pack_words
from padan.distributed import DaskPairComparer, parse_cluster
from padan.encoding import encode_files
from padan.errors import InputError
from padan.linkage_schema import load_linkage_schema
from padan.linking import Comparer, decide, link_run, load_packages
from padan.results import read_result
from padan.synth import SynthOptions, generate

# Workers in separate processes import this module by name; ship it by value instead.
cloudpickle.register_pickle_by_value(__import__(__name__))


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory, parties) -> list[Path]:
    """A registry and two list packages (two puskesmas) of 500 synthetic people."""
    root = tmp_path_factory.mktemp("dask")
    generate(root / "data", SynthOptions(people=500, seed=7, lists=1))
    lists = sorted(p for p in (root / "data").glob("ckg*.csv"))
    assert len(lists) == 2
    made = [
        encode_files(
            [root / "data" / "siak.csv"],
            identity=parties.registry,
            secret=parties.secret,
            out=root / "siak.padan",
            role="registry",
            workers=1,
        )
    ]
    for source in lists:
        made.append(
            encode_files(
                [source],
                identity=parties.health,
                secret=parties.secret,
                out=root / f"{source.stem}.padan",
                role="list",
                workers=1,
            )
        )
    return [m.package for m in made]


@pytest.fixture(scope="module")
def client():
    """Two in-process workers with one thread each (fast to start)."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _rows(outcome) -> dict[str, list]:
    return {Path(k).name: v for k, v in outcome.rows.items()}


def test_dask_run_decides_exactly_like_the_local_run(packages, parties, client) -> None:
    loaded = load_packages(packages, parties.trusted)
    local = decide(loaded, seed=11)
    comparer = DaskPairComparer(client, chunk_pairs=25_000)
    try:
        remote = decide(loaded, seed=11, compare=comparer)
    finally:
        comparer.close()
    assert comparer._calls > 3  # link, u sample, EM per key, dedup all went to the cluster
    assert _rows(remote) == _rows(local)
    statuses = {r.status for rows in local.rows.values() for r in rows}
    assert len(statuses) >= 3  # the comparison covers a run with real decisions
    np.testing.assert_array_equal(remote.link.bits, local.link.bits)
    np.testing.assert_array_equal(remote.dedup.bits, local.dedup.bits)
    assert remote.link.model.as_dict() == local.link.model.as_dict()


def test_chunks_are_concatenated_in_pair_order(client) -> None:
    schema = load_linkage_schema("padan-v1")
    comparer = Comparer(schema)
    rng = np.random.default_rng(5)
    width = sum(lay.n_bytes for lay in comparer.layouts)
    a = pack_words(rng.integers(0, 256, (300, width), dtype=np.uint8))
    b = pack_words(rng.integers(0, 256, (200, width), dtype=np.uint8))
    i, j = rng.integers(0, 300, 70_000), rng.integers(0, 200, 70_000)
    amm_before = client.amm.running()
    dask = DaskPairComparer(client, chunk_pairs=20_000)
    assert not client.amm.running()  # replicas of the CLKs must not be dropped mid-run
    expected = compare_pairs(a, b, i, j, comparer.layouts, comparer.cuts)
    got = dask(a, b, i, j, comparer.layouts, comparer.cuts)
    assert len(dask._chunks(len(i))) == 4
    np.testing.assert_array_equal(got, expected)
    empty = dask(a, b, i[:0], j[:0], comparer.layouts, comparer.cuts)
    assert empty.shape == (0, len(comparer.cuts))
    assert len(dask._scattered) == 2  # each array went to the workers once
    dask.close()
    assert client.amm.running() == amm_before


def _first(marker: Path) -> bool:
    """True for exactly one caller across threads and processes (atomic create)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True


def _flaky(marker: Path):
    """A kernel that fails the first time it runs anywhere, then works."""

    def kernel(*args):
        if _first(marker):
            raise MemoryError("simulated worker trouble")
        return compare_pairs(*args)

    return kernel


def test_a_failed_task_is_retried(tmp_path: Path, packages, parties, client) -> None:
    loaded = load_packages(packages, parties.trusted)
    local = decide(loaded, seed=3)
    comparer = DaskPairComparer(client, kernel=_flaky(tmp_path / "failed-once"))
    remote = decide(loaded, seed=3, compare=comparer)
    comparer.close()
    assert (tmp_path / "failed-once").exists()
    assert _rows(remote) == _rows(local)


def _dies_once(marker: Path):
    """A kernel that kills its worker process the first time it runs, then works."""

    def kernel(*args):
        if _first(marker):
            os._exit(1)
        return compare_pairs(*args)

    return kernel


def test_a_lost_worker_process_is_replaced_and_the_result_is_unchanged(
    tmp_path: Path, packages, parties
) -> None:
    loaded = load_packages(packages, parties.trusted)
    local = decide(loaded, seed=5)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        c.wait_for_workers(2)  # the CLKs must reach both workers to survive losing one
        comparer = DaskPairComparer(c, kernel=_dies_once(tmp_path / "died"))
        remote = decide(loaded, seed=5, compare=comparer)
        comparer.close()
    assert (tmp_path / "died").exists()
    assert _rows(remote) == _rows(local)


def test_link_run_on_a_cluster_writes_the_same_sealed_results(
    tmp_path: Path, packages, parties, client
) -> None:
    kwargs = {"coordinator": parties.coordinator, "trusted": parties.trusted, "seed": 9}
    local = link_run(packages, out_dir=tmp_path / "local", **kwargs)
    remote = link_run(
        packages, out_dir=tmp_path / "dask", cluster=client.scheduler.address, **kwargs
    )
    assert remote.run_id == local.run_id
    assert remote.report["datasets"] == local.report["datasets"]
    assert remote.report["linkage"] == local.report["linkage"]
    for owner in (parties.registry, parties.health):
        name = f"{owner.card.org}.result"
        ours, _ = read_result(tmp_path / "dask" / name, owner=owner, trusted=parties.trusted)
        theirs, _ = read_result(tmp_path / "local" / name, owner=owner, trusted=parties.trusted)
        assert ours.rows == theirs.rows


def _broken_kernel(*args):
    raise MemoryError("simulated failure in the comparison stage")


def test_a_run_that_fails_while_comparing_writes_nothing(
    tmp_path: Path, packages, parties, client, monkeypatch
) -> None:
    monkeypatch.setattr("padan.distributed.compare_pairs", _broken_kernel)
    out = tmp_path / "run"
    out.mkdir()
    with pytest.raises(MemoryError):
        link_run(
            packages,
            coordinator=parties.coordinator,
            trusted=parties.trusted,
            out_dir=out,
            cluster=client.scheduler.address,
        )
    assert list(out.iterdir()) == []


def test_cluster_spec() -> None:
    assert parse_cluster("local") == ("local", 2)
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:two", " "):
        with pytest.raises(InputError):
            parse_cluster(bad)
