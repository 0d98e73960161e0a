"""The aggregate report: counts that add up, the fitted model, and never a record."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq

from padan.core.types import Status
from padan.demo import COORDINATOR
from padan.formats.package import read_package
from padan.link.report import render_html


def _report(demo_flow) -> dict:
    return json.loads(demo_flow.link.report_json.read_text(encoding="utf-8"))


def test_status_counts_add_up_to_the_records(demo_flow) -> None:
    report = _report(demo_flow)
    for dataset in report["datasets"]:
        assert sum(dataset["status_counts"].values()) == dataset["records"]
        assert dataset["status_counts"][Status.DITOLAK.value] == 0  # never reach the coordinator
    linkage = report["linkage"]
    assert sum(linkage["score_histogram"]["counts"]) == linkage["candidate_pairs"]
    assert 0 < report["threshold"]["match_probability"] < 1


def test_no_record_id_in_either_report_file(demo_flow) -> None:
    texts = [demo_flow.link.report_json.read_text(), demo_flow.link.report_html.read_text()]
    folder = demo_flow.folders[COORDINATOR]
    for name in ("siak.padan", "ckg.padan"):
        _, members, _ = read_package(folder / name, None)
        ids = pq.read_table(io.BytesIO(members["records.parquet"]), columns=["record_id"])
        for record_id in ids.column("record_id").to_pylist()[:200]:
            assert all(record_id.hex() not in text for text in texts)


def test_html_escapes_what_it_shows(demo_flow) -> None:
    report = _report(demo_flow)
    report["datasets"][0]["package"] = "<script>alert(1)</script>.padan"
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
