"""The coordinator's per-row statuses (vectorised) equal the rules applied row by row."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from padan.core.types import MatchRow, Status
from padan.formats.result import ResultRows
from padan.link.assignment import Links
from padan.link.statuses import NikOwners, list_status


def _reference_status(nik, kk, target, ambiguous, person, reg_nik, reg_kk) -> Status:
    """The rules as written in the design, one row at a time (last registry record wins)."""
    owners = {int(k): int(person[r]) for r, k in enumerate(reg_nik) if k}
    owner = owners.get(int(nik)) if nik else None
    if target < 0:
        return Status.NIK_MILIK_ORANG_LAIN if owner is not None else Status.TIDAK_DITEMUKAN
    if ambiguous:
        foreign = owner is not None and owner != person[target]
        return Status.NIK_MILIK_ORANG_LAIN if foreign else Status.RAGU
    if owner is None:
        return Status.NIK_BERBEDA
    if owner != person[target]:
        return Status.NIK_MILIK_ORANG_LAIN
    if kk and reg_kk[target] and kk != reg_kk[target]:
        return Status.KK_BERBEDA
    return Status.COCOK


@settings(max_examples=150, deadline=None)
@given(data=st.data(), n_reg=st.integers(1, 12), n_list=st.integers(1, 20))
def testlist_statuses_follow_the_rules(data, n_reg, n_list) -> None:
    def ints(n, low, high):
        return np.array(data.draw(st.lists(st.integers(low, high), min_size=n, max_size=n)))

    person = np.minimum(ints(n_reg, 0, n_reg - 1), np.arange(n_reg))  # a cluster id per record
    reg_nik, reg_kk = ints(n_reg, 0, 6).astype(np.uint64), ints(n_reg, 0, 3).astype(np.uint64)
    nik, kk = ints(n_list, 0, 8).astype(np.uint64), ints(n_list, 0, 3).astype(np.uint64)
    target = ints(n_list, -1, n_reg - 1)
    ambiguous = ints(n_list, 0, 1).astype(bool) & (target >= 0)
    links = Links(target, np.zeros(n_list), ambiguous)
    status = list_status(nik, kk, links, person, NikOwners(reg_nik, person), reg_kk)
    expected = [
        _reference_status(nik[r], kk[r], target[r], ambiguous[r], person, reg_nik, reg_kk)
        for r in range(n_list)
    ]
    assert status.tolist() == expected


def _column(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def test_result_rows_are_a_sequence_of_match_rows() -> None:
    ids = np.arange(32, dtype=np.uint8).reshape(2, 16)
    rows = ResultRows(
        ids,
        _column([Status.COCOK, Status.GANDA]),
        _column(["M1", None]),
        _column([None, "G1"]),
        _column([None, None]),
    )
    expected = [
        MatchRow(bytes(ids[0]), Status.COCOK, match_id="M1"),
        MatchRow(bytes(ids[1]), Status.GANDA, dup_group="G1"),
    ]
    assert list(rows) == expected and rows[1] == expected[1] and len(rows) == 2
    assert ResultRows.concat([rows, rows])[3] == expected[1]
    assert rows.status_counts() == {Status.COCOK: 1, Status.GANDA: 1}
    changed = ResultRows.concat([rows])
    changed.match_id[0] = "M2"
    assert rows == ResultRows.concat([rows]) and rows != changed
