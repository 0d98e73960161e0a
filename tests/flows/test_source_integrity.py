"""Source integrity, end to end: after ``encode`` the owner sorts, filters, edits or re-saves
its list; ``reconcile`` and ``apply`` still put every status, match id and NIK on the
right person, and say which rows they could not place.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from padan.core.types import Status
from padan.demo import DEMO_PASSPHRASE, HEALTH, REGISTRY
from padan.owner.disclosure import ROW_CHANGED, apply_disclosure, disclose
from padan.owner.reconcile import ReconcileSummary, reconcile_run
from padan.owner.worklist import WORKLIST_COLUMNS, WorklistRow, read_worklist, write_worklist
from padan.trust.cards import load_card, load_trusted_cards
from padan.trust.identity import load_identity

NAME = "NAMA PASIEN"
NIK = "NIK PASIEN"
_DAY_FIRST = re.compile(r"(\d{2})-(\d{2})-(\d{4})")


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle)
    return header, rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


def _spreadsheet_value(text: str) -> object:
    """A cell as a spreadsheet would keep it after a re-save: dates and short numbers typed."""
    if (found := _DAY_FIRST.fullmatch(text)) is not None:
        day, month, year = map(int, found.groups())
        return dt.datetime(year, month, day)
    if text.isdigit() and len(text) <= 15:
        return int(text)
    return text


def _write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([_spreadsheet_value(v) for v in row])
    book.save(path)


def _reconcile(flow, org: str, source: Path, out: Path) -> ReconcileSummary:
    folder = flow.folders[org]
    return reconcile_run(
        folder / f"{org}.result",
        identity=load_identity(folder / f"{org}.key", DEMO_PASSPHRASE),
        keymap=flow.encoded[org].keymap,
        trusted=load_trusted_cards(folder / "trust"),
        inputs=[source],
        out=out,
    )


def _verdicts(worklist: Path) -> list[tuple[str, str, str]]:
    """(status, match id, dup group) of each worklist row, in row order."""
    _, rows = read_worklist(worklist)
    return [(r["padan_status"], r["padan_match_id"], r["padan_dup_group"]) for r in rows]


@pytest.fixture(scope="module")
def original(demo_flow) -> tuple[list[str], list[list[str]], list[tuple[str, str, str]]]:
    """The encoded list, and the verdict of each of its rows as reconciled in place."""
    header, rows = _read(demo_flow.folders[HEALTH] / "ckg.csv")
    return header, rows, _verdicts(demo_flow.worklists[HEALTH].path)


def _misplaced(worklist: Path, order: list[int], baseline: list[tuple[str, str, str]]) -> int:
    """Rows of a rearranged list whose verdict is not the one of the row they came from."""
    got = _verdicts(worklist)
    assert len(got) == len(order)
    return sum(got[new] != baseline[old] for new, old in enumerate(order))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_sorted_or_resaved_list_gets_every_verdict_on_the_right_row(
    demo_flow, original, tmp_path: Path, suffix: str
) -> None:
    header, rows, baseline = original
    order = sorted(range(len(rows)), key=lambda i: (rows[i][header.index(NAME)], -i))
    source = tmp_path / f"ckg{suffix}"  # the same name, or re-saved as a workbook
    (_write if suffix == ".csv" else _write_xlsx)(source, header, [rows[i] for i in order])
    summary = _reconcile(demo_flow, HEALTH, source, tmp_path / "worklist.xlsx")
    assert order != list(range(len(rows)))
    assert summary.changed == summary.vanished == 0
    assert _misplaced(summary.path, order, baseline) == 0
    assert summary.counts == demo_flow.worklists[HEALTH].counts


def test_filtered_edited_and_copied_rows_are_counted_and_get_no_verdict(
    demo_flow, original, tmp_path: Path
) -> None:
    header, rows, baseline = original
    kept = [i for i in range(len(rows)) if i % 3]  # a third filtered out
    edited = next(i for i in kept if baseline[i][0] == Status.COCOK.value)
    new_rows = [list(rows[i]) for i in kept]
    new_rows[kept.index(edited)][header.index(NAME)] += " X"
    new_rows.append(list(rows[kept[0]]))  # a copy of a row: one of the two is new
    source = tmp_path / "ckg.csv"
    _write(source, header, new_rows)
    summary = _reconcile(demo_flow, HEALTH, source, tmp_path / "worklist.csv")

    assert summary.vanished == len(rows) - len(kept) + 1  # the edited row's original too
    assert summary.changed == 2
    assert len(summary.warnings()) == 2 and all("ckg.csv:" in w for w in summary.warnings())
    got = _verdicts(summary.path)
    changed = [n for n, v in enumerate(got) if v[0] == Status.BERUBAH.value]
    assert changed == [kept.index(edited), len(new_rows) - 1]
    assert all(got[n][1:] == ("", "") for n in changed)  # no match id, no group
    order = [*kept, kept[0]]
    assert sum(got[n] != baseline[order[n]] for n in range(len(order)) if n not in changed) == 0
    _, lines = read_worklist(summary.path)
    assert "berubah sejak encode" in lines[changed[0]]["padan_keterangan"].lower()


def test_apply_after_a_sort_writes_each_nik_on_its_own_person(
    demo_flow, original, tmp_path: Path
) -> None:
    header, rows, _ = original
    reg, health = demo_flow.folders[REGISTRY], demo_flow.folders[HEALTH]
    disclosure = tmp_path / "koreksi.sealed"
    disclose(
        demo_flow.worklists[REGISTRY].path,
        identity=load_identity(reg / f"{REGISTRY}.key", DEMO_PASSPHRASE),
        recipient=load_card(reg / "trust" / f"{HEALTH}.card.json"),
        trusted=load_trusted_cards(reg / "trust"),
        out=disclosure,
    )

    def corrected(worklist: Path, name: str) -> list[list[str]]:
        summary = apply_disclosure(
            disclosure,
            identity=load_identity(health / f"{HEALTH}.key", DEMO_PASSPHRASE),
            trusted=load_trusted_cards(health / "trust"),
            worklist=worklist,
            out=tmp_path / f"{name}.csv",
        )
        assert summary.changed == 0 and summary.nik_changed > 0
        return _read(summary.corrected)[1]

    in_place = corrected(demo_flow.worklists[HEALTH].path, "in-place")
    order = sorted(range(len(rows)), key=lambda i: rows[i][header.index(NAME)], reverse=True)
    source = tmp_path / "ckg.csv"
    _write(source, header, [rows[i] for i in order])
    summary = _reconcile(demo_flow, HEALTH, source, tmp_path / "sorted-worklist.xlsx")
    after_sort = corrected(summary.path, "sorted")
    nik = header.index(NIK)
    assert [after_sort[new][nik] for new in range(len(order))] == [in_place[i][nik] for i in order]


def test_apply_leaves_worklist_rows_changed_since_reconcile(
    demo_flow, original, tmp_path: Path
) -> None:
    """Sorting only some columns of a worklist (Excel's "sort selection") scrambles rows:
    the fingerprint catches it, and no NIK is written on such a row."""
    header, rows = read_worklist(demo_flow.worklists[HEALTH].path)
    targets = [n for n, r in enumerate(rows) if r["padan_status"] == Status.NIK_BERBEDA.value]
    assert len(targets) >= 2
    scrambled = [dict(r) for r in rows]
    first, second = targets[:2]
    for column in original[0]:  # swap the original cells only, not padan's columns
        scrambled[first][column], scrambled[second][column] = (
            rows[second][column],
            rows[first][column],
        )
    # Write it back as reconcile would (same verdict columns, same fingerprints).
    lines = [
        WorklistRow(
            [r[h] for h in original[0]],
            r["padan_source"],
            int(r["padan_row"]),
            Status(r["padan_status"]),
            r["padan_match_id"] or None,
            r["padan_dup_group"] or None,
            fingerprint=r["padan_fingerprint"],
        )
        for r in scrambled
    ]
    assert header == [*original[0], *WORKLIST_COLUMNS]
    worklist = write_worklist(tmp_path / "scrambled.csv", original[0], lines).path
    reg, health = demo_flow.folders[REGISTRY], demo_flow.folders[HEALTH]
    disclosure = tmp_path / "koreksi.sealed"
    disclose(
        demo_flow.worklists[REGISTRY].path,
        identity=load_identity(reg / f"{REGISTRY}.key", DEMO_PASSPHRASE),
        recipient=load_card(reg / "trust" / f"{HEALTH}.card.json"),
        trusted=load_trusted_cards(reg / "trust"),
        out=disclosure,
    )
    summary = apply_disclosure(
        disclosure,
        identity=load_identity(health / f"{HEALTH}.key", DEMO_PASSPHRASE),
        trusted=load_trusted_cards(health / "trust"),
        worklist=worklist,
        out=tmp_path / "koreksi.csv",
    )
    assert summary.changed == 2
    corrected = _read(summary.corrected)[1]
    nik = original[0].index(NIK)
    assert corrected[first][nik] == rows[second][NIK]  # left as it was
    assert corrected[second][nik] == rows[first][NIK]
    log = _read(summary.log)[1]
    assert sum(line[6] == ROW_CHANGED for line in log) == 2
