"""The coordinator's aggregate report (report.json and report.html): counts, never records.

It says how many records got each status, how the threshold was chosen, the fitted
model (m/u per field level), a histogram of pair scores, blocking statistics and
timings. Nothing in it identifies a record.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from padan.core.files import atomic_open
from padan.core.types import Status
from padan.core.version import __version__
from padan.link.model import probability
from padan.link.outcome import LinkOutcome, Stage

BINS = np.arange(-40, 42, 2)


def _stage(stage: Stage | None) -> dict[str, Any] | None:
    if stage is None:
        return None
    counts, _ = np.histogram(np.clip(stage.bits, BINS[0], BINS[-1] - 1e-9), bins=BINS)
    return {
        "candidate_pairs": stage.blocking.candidate_pairs,
        "accepted_pairs": stage.accepted,
        "blocking": {
            "pairs_per_key": stage.blocking.pairs_per_key,
            "blocks_per_key": stage.blocking.blocks_per_key,
            "oversized_blocks": stage.blocking.oversized_blocks,
            "skipped_pairs": stage.blocking.skipped_pairs,
            "records_without_any_key": stage.blocking.keyless_records,
        },
        "model": stage.model.as_dict(),
        "score_histogram": {"bin_edges_bits": BINS.tolist(), "counts": counts.tolist()},
    }


def build_report(outcome: LinkOutcome, run_id: str, seconds: float) -> dict[str, Any]:
    """Aggregate, JSON-ready description of a link run."""
    datasets = []
    for pkg in outcome.packages:
        rows = outcome.rows[str(pkg.path)]
        counts = rows.status_counts()
        datasets.append(
            {
                "package": pkg.path.name,
                "org": pkg.manifest.org,
                "dataset": pkg.manifest.dataset,
                "role": pkg.manifest.role,
                "records": len(rows),
                "status_counts": {s.value: counts.get(s, 0) for s in Status},
            }
        )
    return {
        "format": "padan-report/1",
        "run_id": run_id,
        "tool_version": __version__,
        "threshold": {
            "method": "Fellegi-Sunter model fitted by EM (two-class mixture, no labels); "
            "a pair is accepted when its posterior match probability reaches the threshold",
            "match_probability": float(probability(outcome.threshold_bits)),
            "log_odds_bits": outcome.threshold_bits,
        },
        "datasets": datasets,
        "deduplication": _stage(outcome.dedup),
        "linkage": _stage(outcome.link),
        "timings_seconds": {**outcome.timings, "total": seconds},
    }


def _svg_histogram(stage: dict[str, Any] | None, threshold: float, title: str) -> str:
    if not stage:
        return ""
    counts = stage["score_histogram"]["counts"]
    edges = stage["score_histogram"]["bin_edges_bits"]
    width, height, pad = 640, 200, 30
    top = max(np.log10(np.array(counts) + 1).max(), 1.0)
    bar_w = (width - 2 * pad) / len(counts)
    bars = []
    for k, c in enumerate(counts):
        h = (height - 2 * pad) * np.log10(c + 1) / top
        x = pad + k * bar_w
        colour = "#2a7" if edges[k] >= threshold else "#999"
        bars.append(
            f'<rect x="{x:.1f}" y="{height - pad - h:.1f}" width="{bar_w - 1:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{edges[k]}..{edges[k + 1]} bits: {c}'
            "</title></rect>"
        )
    tx = pad + (threshold - edges[0]) / (edges[-1] - edges[0]) * (width - 2 * pad)
    return (
        f"<h3>{html.escape(title)}</h3>"
        f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
        + "".join(bars)
        + f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{pad}" y2="{height - pad}" stroke="#c00"/>'
        f'<text x="{pad}" y="{height - 8}" font-size="11">{edges[0]} bits</text>'
        f'<text x="{width - pad - 50}" y="{height - 8}" font-size="11">{edges[-1]} bits</text>'
        "</svg><p>Skala log (log scale); garis merah = ambang (red line = threshold).</p>"
    )


def render_html(report: dict[str, Any]) -> str:
    """A self-contained HTML page of the report (Indonesian first, English second)."""
    rows = []
    for d in report["datasets"]:
        cells = "".join(f"<td>{d['status_counts'][s.value]}</td>" for s in Status)
        rows.append(
            f"<tr><td>{html.escape(d['package'])}</td><td>{html.escape(d['org'])}</td>"
            f"<td>{d['role']}</td><td>{d['records']}</td>{cells}</tr>"
        )
    head = "".join(f"<th>{s.value}</th>" for s in Status)
    threshold = report["threshold"]["log_odds_bits"]
    return (
        "<!doctype html><html lang='id'><meta charset='utf-8'>"
        f"<title>Laporan pemadanan padan {html.escape(report['run_id'])}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style>"
        "<h1>Laporan pemadanan (linkage report)</h1>"
        f"<p>Run {html.escape(report['run_id'])} · padan {html.escape(report['tool_version'])}. "
        "Laporan ini hanya berisi jumlah, tanpa data per orang "
        "(aggregate counts only, no record-level data).</p>"
        f"<h2>Status per paket (status per package)</h2><table><tr><th>package</th><th>org</th>"
        f"<th>role</th><th>records</th>{head}</tr>{''.join(rows)}</table>"
        f"<h2>Ambang (threshold)</h2><p>{html.escape(report['threshold']['method'])}: "
        f"p ≥ {report['threshold']['match_probability']:.3f} "
        f"({threshold:.2f} bits).</p>"
        + _svg_histogram(
            report["linkage"],
            threshold,
            "Skor pasangan daftar–registri (list–registry pair scores)",
        )
        + _svg_histogram(
            report["deduplication"],
            threshold,
            "Skor pasangan dalam registri (registry pair scores)",
        )
        + "<h2>Rincian (details)</h2><pre>"
        + html.escape(
            json.dumps(
                {k: report[k] for k in ("deduplication", "linkage", "timings_seconds")}, indent=1
            )
        )
        + "</pre></html>"
    )


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html atomically into ``out_dir``."""
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    with atomic_open(json_path) as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    with atomic_open(html_path) as handle:
        handle.write(render_html(report))
    return json_path, html_path
