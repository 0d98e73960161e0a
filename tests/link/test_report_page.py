"""report.html a person can read: charts with axes, counts and legends, folded details,
Indonesian with English, self-contained; rendered in a real browser when Chromium exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from padan.core.types import STATUS_LABELS, Status
from padan.link.charts import level_labels, score_chart, status_chart, weights_chart
from padan.link.report import render_html
from padan.owner.worklist import read_worklist

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page_html(demo_flow) -> str:
    return (demo_flow.link.report_json.parent / "report.html").read_text(encoding="utf-8")


def test_page_is_self_contained_and_has_no_json_dump(page_html: str) -> None:
    assert "<script" not in page_html.lower()
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", page_html)  # no CDN, no link out
    assert "<pre" not in page_html  # the raw JSON dump is gone
    assert page_html.count("<details") >= 3  # details folded
    assert "max-width:960px" in page_html  # fits a 1000 px window


def test_page_speaks_indonesian_with_english(page_html: str) -> None:
    for indonesian, english in [
        ("Laporan pemadanan", "linkage report"),
        ("Sebaran skor", "score distribution"),
        ("Bobot tiap kolom", "weight of each field"),
        ("Apa arti “bit”?", "what is a bit?"),
    ]:
        assert indonesian in page_html and english in page_html
    # The threshold is explained in words, not only as "(0.00 bits)".
    assert "dianggap <b>orang yang sama</b> bila peluangnya minimal <b>50%</b>" in page_html


def test_charts_have_axes_counts_and_legends(demo_flow) -> None:
    report = demo_flow.link.report
    statuses = status_chart(report)
    registry = report["datasets"][0]
    assert f">{registry['status_counts']['TIDAK_DITEMUKAN']:,}".replace(",", "\u2009") in statuses
    assert "Jumlah catatan (records)" in statuses  # axis title
    assert "siak.padan (registry)" in statuses  # legend
    scores = score_chart(report, "linkage")
    assert "ambang (threshold)" in scores and "di atas ambang (above threshold)" in scores
    assert "Skor pasangan dalam bit" in scores and ">+20<" in scores  # x axis and its ticks
    weights = weights_chart(report, "linkage")
    assert "Tanggal lahir (birth date)" in weights and "sama (exact)" in weights
    for heading in (">bit<", ">m<", ">u<"):
        assert heading in weights
    assert score_chart({**report, "linkage": None}, "linkage") == ""


def test_every_status_has_short_labels_in_both_languages() -> None:
    assert set(STATUS_LABELS) == set(Status)
    assert all(label_id and label_en for label_id, label_en in STATUS_LABELS.values())


def test_level_labels_follow_the_schema_cut_points() -> None:
    assert level_labels([0.99, 0.85], 3) == [
        "sama (exact)",
        "mirip (similar) ≥ 0.85",
        "lain (other) < 0.85",
    ]
    assert level_labels([0.99], 2)[-1] == "beda (different)"
    assert level_labels(None, 2) == ["tingkat (level) 0", "tingkat (level) 1"]


def test_page_holds_no_record_level_data(demo_flow, page_html: str) -> None:
    assert not re.search(r"\d{16}", page_html)  # no NIK or KK
    _, rows = read_worklist(demo_flow.worklists["dinkes-serang"].path)
    match_ids = {row["padan_match_id"] for row in rows if row["padan_match_id"]}
    assert match_ids and not any(match_id in page_html for match_id in match_ids)
    assert render_html(demo_flow.link.report) == page_html  # the page is the report dict


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_page_renders_in_chromium_at_1000px(demo_flow, artifacts: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    page_path = demo_flow.link.report_json.parent / "report.html"
    problems: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(page_path.as_uri())
            for details in page.query_selector_all("details"):
                details.evaluate("element => { element.open = true; }")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            svgs = page.evaluate(
                "[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width)"
            )
            page.screenshot(path=str(artifacts / "report-1000px.png"), full_page=True)
        finally:
            browser.close()
    assert overflow <= 0, f"page is {overflow} px wider than the 1000 px window"
    assert problems == []
    assert len(svgs) >= 4 and all(0 < width <= 960 for width in svgs)
    assert (artifacts / "report-1000px.png").stat().st_size > 10_000
