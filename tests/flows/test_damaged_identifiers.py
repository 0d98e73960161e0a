"""Damaged identifiers never read as fine: an Excel-damaged No. KK or NIK is said so on the
worklist, and a match with a damaged No. KK is never ``COCOK`` — "Tidak perlu tindakan"."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from padan.core.types import Status
from padan.demo import COORDINATOR, DEMO_PASSPHRASE, HEALTH
from padan.link.run import link_run
from padan.owner.encode import encode_files
from padan.owner.reconcile import reconcile_run
from padan.owner.worklist import read_worklist
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import load_identity
from padan.trust.secret import load_secret

DAMAGED = 10


def _excel_number(digits: str) -> int:
    """A 16-digit number as Excel stores it: 15 significant digits, the last one zero."""
    return int(digits[:15] + "0")


def test_excel_damaged_kk_and_nik_are_said_on_the_worklist(demo_flow, tmp_path: Path) -> None:
    health, coordinator = demo_flow.folders[HEALTH], demo_flow.folders[COORDINATOR]
    with (health / "ckg.csv").open(encoding="utf-8-sig", newline="") as handle:
        header, *rows = csv.reader(handle)
    _, lines = read_worklist(demo_flow.worklists[HEALTH].path)
    kk, nik = header.index("NO KK"), header.index("NIK PASIEN")
    cocok = [n for n, line in enumerate(lines) if line["padan_status"] == Status.COCOK.value]
    kk_rows = [n for n in cocok if rows[n][kk][15:] not in ("", "0")][:DAMAGED]
    nik_rows = [n for n in cocok if rows[n][nik][15:] not in ("", "0") and n not in kk_rows]
    nik_rows = nik_rows[:DAMAGED]
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for n, row in enumerate(rows):
        cells: list[object] = list(row)
        if n in kk_rows:
            cells[kk] = _excel_number(row[kk])
        if n in nik_rows:
            cells[nik] = _excel_number(row[nik])
        sheet.append(cells)
    source = tmp_path / "ckg.xlsx"
    book.save(source)

    identity = load_identity(health / f"{HEALTH}.key", DEMO_PASSPHRASE)
    encoded = encode_files(
        [source],
        identity=identity,
        secret=load_secret(health / f"{HEALTH}.secret", identity),
        out=tmp_path / "ckg.padan",
        workers=1,
    )
    link = link_run(
        [coordinator / "siak.padan", encoded.package],
        coordinator=load_identity(coordinator / f"{COORDINATOR}.key", DEMO_PASSPHRASE),
        trusted=load_trusted_cards(coordinator / "trust"),
        out_dir=tmp_path / "run",
        seed=1,
    )
    summary = reconcile_run(
        link.results[0].parent / f"{HEALTH}.result",
        identity=identity,
        keymap=encoded.keymap,
        trusted=load_trusted_cards(health / "trust"),
        inputs=[source],
        out=tmp_path / "worklist.xlsx",
    )
    _, worklist = read_worklist(summary.path)
    assert summary.damaged >= 2 * DAMAGED
    for n in kk_rows:
        line = worklist[n]
        assert line["padan_status"] != Status.COCOK.value
        assert "Tidak perlu tindakan" not in line["padan_keterangan"]
        assert line["padan_keterangan"].startswith("No. KK rusak: kehilangan digit terakhir")
        assert "Excel" in line["padan_keterangan"]
    for n in nik_rows:
        line = worklist[n]
        assert line["padan_status"] != Status.COCOK.value
        assert line["padan_keterangan"].startswith("NIK rusak: ")
        assert "periksa KTP/KK" in line["padan_keterangan"]
    untouched = [worklist[n] for n in cocok if n not in {*kk_rows, *nik_rows}]
    assert untouched and all(line["padan_status"] == Status.COCOK.value for line in untouched)
    assert not any(" rusak: " in line["padan_keterangan"] for line in untouched)
