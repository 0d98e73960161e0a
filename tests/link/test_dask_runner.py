"""Pair tasks on Dask: same decisions as the in-process run, retries, no partial output."""

from __future__ import annotations

import os
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from distributed import Client, LocalCluster

from padan.core.errors import InputError
from padan.core.schema import load_linkage_schema
from padan.formats.result import read_result
from padan.link.candidates import candidate_pairs
from padan.link.comparison import compare_pairs
from padan.link.dask_runner import DaskRunner, parse_cluster, read_partition, write_partition
from padan.link.pairing import Comparer, LocalRunner, count_pairs, plan_pairs
from padan.link.run import decide, link_run
from padan.link.verify import load_packages
from padan.owner.encode import encode_files
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


def _assert_same_stage(ours, theirs) -> None:
    assert ours.model.as_dict() == theirs.model.as_dict()
    assert ours.blocking == theirs.blocking
    assert ours.accepted == theirs.accepted
    np.testing.assert_array_equal(ours.pattern_bits, theirs.pattern_bits)
    np.testing.assert_array_equal(ours.pattern_pairs, theirs.pattern_pairs)


def _assert_same_outcome(ours, theirs) -> None:
    assert _rows(ours) == _rows(theirs)
    _assert_same_stage(ours.dedup, theirs.dedup)
    if theirs.link is None:
        assert ours.link is None
    else:
        _assert_same_stage(ours.link, theirs.link)


def test_dask_run_decides_exactly_like_the_local_run(
    tmp_path: Path, packages, parties, client
) -> None:
    loaded = load_packages(packages, parties.trusted)
    assert len(loaded) == 3  # a registry and two lists: a multi-list run
    local = decide(loaded, seed=11)
    # Small partitions: every key is split over many tasks on both workers.
    runner = DaskRunner(client, work_dir=tmp_path, partition_records=150)
    remote = decide(loaded, seed=11, runner=runner)
    assert runner.tasks > 4 * len(local.link.blocking.pairs_per_key)
    _assert_same_outcome(remote, local)
    statuses = {r.status for rows in local.rows.values() for r in rows}
    assert len(statuses) >= 3  # the comparison covers a run with real decisions
    assert local.dedup.accepted > 0


def test_a_registry_alone_is_deduplicated_alike_on_the_cluster(
    tmp_path: Path, packages, parties, client
) -> None:
    registry = [
        p for p in load_packages(packages, parties.trusted) if p.manifest.role == "registry"
    ]
    local = decide(registry, seed=2)
    remote = decide(registry, seed=2, runner=DaskRunner(client, work_dir=tmp_path))
    assert local.link is None
    _assert_same_outcome(remote, local)
    assert local.dedup.model.m  # m was fitted on the registry's own pairs


def test_results_do_not_depend_on_the_number_of_partitions(packages, parties) -> None:
    loaded = load_packages(packages, parties.trusted)
    whole = decide(loaded, seed=4)
    split = decide(loaded, seed=4, runner=LocalRunner(partition_records=97))
    _assert_same_outcome(split, whole)


def test_each_candidate_pair_counts_once_as_in_the_union_of_keys(packages, parties) -> None:
    loaded = load_packages(packages, parties.trusted)
    registry = next(p.table for p in loaded if p.manifest.role == "registry")
    lists = [p.table for p in loaded if p.manifest.role == "list"]
    schema = load_linkage_schema()
    cap = 6  # small enough that some blocks are skipped as oversized
    expected = []
    for table in lists:
        *_, stats = candidate_pairs(table.blocks, registry.blocks, cap)
        expected.append(stats)
    *_, within = candidate_pairs(registry.blocks, None, cap)
    assert sum(within.oversized_blocks.values()) > 0
    for plan, reference in (
        (plan_pairs(lists, registry, schema, cap), expected),
        (plan_pairs([registry], None, schema, cap), [within]),
    ):
        counts = count_pairs(plan, LocalRunner(partition_records=200), Comparer(schema))
        assert counts.candidates.pairs == sum(r.candidate_pairs for r in reference)
        assert counts.stats.keyless_records == sum(r.keyless_records for r in reference)
        for name in ("pairs_per_key", "blocks_per_key", "oversized_blocks", "skipped_pairs"):
            for kind in plan.kinds:
                want = sum(getattr(r, name)[kind] for r in reference)
                assert getattr(counts.stats, name)[kind] == want, (name, kind)
            assert {k: p.pairs for k, p in counts.per_key.items()} == counts.stats.pairs_per_key


def test_partition_files_round_trip(tmp_path: Path, packages, parties) -> None:
    loaded = load_packages(packages, parties.trusted)
    registry = next(p.table for p in loaded if p.manifest.role == "registry")
    lists = [p.table for p in loaded if p.manifest.role == "list"]
    for plan in (
        plan_pairs(lists, registry, load_linkage_schema(), 40_000),
        plan_pairs([registry], None, load_linkage_schema(), 40_000),
    ):
        key = plan.kinds.index("birth_date_name")  # a key that pairs many records here
        part = plan.partition(key, 1, 2)
        path = tmp_path / "part.parquet"
        write_partition(path, part)
        back = read_partition(str(path), key, plan.b is None)
        sides = [(part.a, back.a)] + ([] if part.b is None else [(part.b, back.b)])
        assert (back.b is None) == (part.b is None)
        for ours, theirs in sides:
            assert len(ours.index) > 0
            for name in ("index", "words", "keys", "levels"):
                np.testing.assert_array_equal(getattr(theirs, name), getattr(ours, name))
            assert ours.levels.any()


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
    runner = DaskRunner(client, work_dir=tmp_path / "work", kernel=_flaky(tmp_path / "failed"))
    remote = decide(loaded, seed=3, runner=runner)
    assert (tmp_path / "failed").exists()
    _assert_same_outcome(remote, local)


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
        c.wait_for_workers(2)
        runner = DaskRunner(c, work_dir=tmp_path / "work", kernel=_dies_once(tmp_path / "died"))
        remote = decide(loaded, seed=5, runner=runner)
    assert (tmp_path / "died").exists()
    _assert_same_outcome(remote, local)


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask", "local"]  # work dir removed


def _broken_kernel(*args):
    raise MemoryError("simulated failure in the comparison stage")


def test_a_run_that_fails_while_comparing_writes_nothing(
    tmp_path: Path, packages, parties, client, monkeypatch
) -> None:
    monkeypatch.setattr("padan.link.dask_runner.compare_pairs", _broken_kernel)
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
    assert list(tmp_path.iterdir()) == [out]  # the partition files are gone too


def test_cluster_spec() -> None:
    assert parse_cluster("local") == ("local", 2)
    assert parse_cluster("local:3") == ("local", 3)
    assert parse_cluster("tcp://10.0.0.5:8786") == ("address", "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:two", " "):
        with pytest.raises(InputError):
            parse_cluster(bad)
