"""Teeth for the red-team suite: on schema padan-v1 its attacks must find v1's leak.

A small synthetic city (2,000 people, seed 1) encoded with v1 by the last padan that
could, kept as fixtures (``fixtures/redteam-v1``). If an attack stops finding what v1 is
known to leak (birth dates, sex, NIKs, named list rows), the suite has lost its teeth and
these tests fail. ``padan risk``'s package-only attacks must fail a v1 package and name
the fields they can read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from benchmarks.privacy.v1 import schema_data
from padan.owner.risk import (
    assess_columns,
    equality_stats,
    fields_in,
    mine_filter,
    package_columns,
    read_package_columns,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "padan-v1"
PEOPLE = 2_000
FIXTURES = Path(__file__).with_name("fixtures") / "redteam-v1"


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory):
    """The benchmark package (``benchmarks/`` is not installed: put it on the path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT))
        import benchmarks.privacy.alignment as alignment
        import benchmarks.privacy.data as data
        import benchmarks.privacy.naming as naming

        yield alignment, data, naming


@pytest.fixture(scope="module")
def city(bench, tmp_path_factory: pytest.TempPathFactory):
    _, data, _ = bench
    cache = tmp_path_factory.mktemp("redteam") / "cache"
    shutil.copytree(FIXTURES, cache)  # the suite writes beside its data: keep fixtures clean
    return data.corpus(PEOPLE, SCHEMA, cache=cache)


@pytest.fixture(scope="module")
def reidentified(bench, city):
    alignment, _, _ = bench
    schema = schema_data(SCHEMA)
    plain = alignment.plain_columns(city.registry.columns, schema, city.leaked.records)
    enc = {c.name: c.keys for c in city.registry.columns.equality if c.name in plain}
    return alignment.reidentify(enc, plain)


def _share_right(claims: list[str | None], truth: list[str | None]) -> tuple[float, float]:
    made = [(c, t) for c, t in zip(claims, truth, strict=True) if c is not None]
    right = sum(c == t for c, t in made)
    return right / len(truth), right / max(len(made), 1)


def test_v1_birth_dates_and_niks_are_decoded_with_a_leaked_list(bench, city, reidentified):
    _, _, naming = bench
    claims = naming.decoded_fields(reidentified, city.leaked.records, city.leaked.kecamatan)
    records = city.registry.records
    dates = [naming.VALUES["birth_date"](r) or None for r in records]
    decoded, precision = _share_right(claims["birth_date"], dates)
    assert decoded > 0.5 and precision > 0.95
    decoded, precision = _share_right(claims["nik"], [r.nik for r in records])
    assert decoded > 0.5 and precision > 0.8


def test_v1_list_rows_are_named(bench, city, reidentified):
    _, _, naming = bench
    link = naming.link_list_rows(city.registry.columns, city.list.columns)
    named = np.flatnonzero(link >= 0)
    named = named[reidentified[link[named]] >= 0]
    right = city.leaked.person[reidentified[link[named]]] == city.list.person[named]
    assert right.sum() / city.list.columns.records > 0.3
    assert right.mean() > 0.9


def test_closure_mining_decomposes_v1_birth_date_filters_without_any_list(city):
    birth_date = next(f for f in city.registry.columns.filters if f.name == "birth_date")
    closure = mine_filter(birth_date)
    assert closure.near_pairs > 0
    assert closure.groups >= 2 and len(closure.atoms) >= 10
    assert closure.explained.mean() > 0.3


def test_columns_are_discovered_from_the_parquet_schema_and_scoped_slots_split():
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    slots = rng.integers(1, 50, size=(30, 3), dtype=np.uint64)
    tokens = [bytes([i % 3 + 1]) * 16 for i in range(30)]
    table = pa.table(
        {
            "record_id": pa.array([bytes(16)] * 30, type=pa.binary(16)),
            "token_nik_exact": pa.array(tokens, type=pa.binary(16)),
            "block_birth_ym_name": pa.array(rng.integers(1, 5, 30, dtype=np.uint64)),
            "scoped_nik_near": pa.array(slots.tolist(), type=pa.list_(pa.uint64(), 3)),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    columns = package_columns(sink.getvalue(), {"fields": []})
    names = {c.name: c for c in columns.equality}
    assert set(names) == {
        "token_nik_exact",
        "block_birth_ym_name",
        "scoped_nik_near[0]",
        "scoped_nik_near[1]",
        "scoped_nik_near[2]",
        "scoped_nik_near[*]",
    }
    assert names["scoped_nik_near[1]"].fields == ("nik",)
    assert equality_stats(names["token_nik_exact"].keys).classes == 3
    assert fields_in("block_birth_ym_name") == ("birth_date", "name")


def test_risk_fails_a_v1_package_and_names_what_is_decodable(city):
    package = next(city.folder.glob("*-registry.padan"))
    report = assess_columns(read_package_columns(package, schema_data(SCHEMA)))
    assert not report.passed
    decodable = {name for name, f in report.fields.items() if f.decodable > 0.01}
    assert {"sex", "birth_date"} <= decodable
    assert any("salt_birth_year" in text for text in report.fields["birth_date"].temuan)


def test_risk_fails_a_package_with_a_two_valued_column() -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from padan.owner.risk import package_columns

    rng = np.random.default_rng(1)
    n = 3_000
    table = pa.table(
        {
            "record_id": pa.array([bytes(16)] * n, type=pa.binary(16)),
            "block_name_sorted": pa.array(rng.permutation(n).astype(np.uint64) + 1),
            "block_sex": pa.array(rng.integers(1, 3, n, dtype=np.uint64)),  # two classes
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    weak = assess_columns(package_columns(sink.getvalue(), {"fields": []}))
    assert not weak.passed
    assert weak.fields["sex"].decodable > 0.01
