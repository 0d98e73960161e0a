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
from padan.core.types import STATUS_LABELS, Status
from padan.core.version import __version__
from padan.link.charts import STAGE_TITLES, grouped, score_chart, status_chart, weights_chart
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
    schema = outcome.packages[0].schema
    return {
        "format": "padan-report/1",
        "run_id": run_id,
        "tool_version": __version__,
        # The similarity cut points name each field's comparison levels in the charts.
        "schema": {
            "name": schema.name,
            "fields": list(schema.fields),
            # Filter fields: Dice cut points; token fields: the token kinds of each level.
            "levels": {
                **{f.name: list(f.levels) for f in schema.filters},
                **{f.name: [list(level) for level in f.levels] for f in schema.token_fields},
            },
        },
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


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;
 background:#f6f7f9;line-height:1.45}
main{max-width:960px;margin:0 auto;padding:16px 20px 40px;background:#fff}
h1{font-size:1.6em;margin:.4em 0 .2em}h2{font-size:1.25em;margin:1.6em 0 .4em;
 border-bottom:2px solid #dde7f0;padding-bottom:.2em}h3{font-size:1.05em;margin:1.2em 0 .3em}
p,li{max-width:75ch}.en{color:#555}.meta{color:#555;font-size:.92em;overflow-wrap:anywhere}
.note{background:#eef5ee;border-left:4px solid #2e8b57;padding:.5em .8em}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:.6em 0}
.card{flex:1 1 200px;border:1px solid #dde7f0;border-radius:6px;padding:.5em .8em}
.card b{display:block;font-size:1.5em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.4em 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left}th{background:#eef2f6}
details{margin:.6em 0;border:1px solid #d0d7de;border-radius:6px;padding:.3em .8em}
summary{cursor:pointer;font-weight:600}
svg{display:block;margin:.4em 0}
"""


_ROLES = {"registry": "registri (registry)", "list": "daftar (list)"}
OWNER_ONLY = frozenset({Status.DITOLAK, Status.BERUBAH})
"""Statuses only an owner's reconcile gives: always 0 at the coordinator."""


def _esc(value: object) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _status_section(report: dict[str, Any]) -> str:
    datasets = report["datasets"]
    rows = [
        [f"{s.value} · {STATUS_LABELS[s][0]} ({STATUS_LABELS[s][1]})"]
        + [grouped(d["status_counts"].get(s.value, 0)) for d in datasets]
        for s in Status
        if s not in OWNER_ONLY
    ]
    rows.append(["Jumlah (total)", *(grouped(d["records"]) for d in datasets)])
    header = ["Status", *(f"{d['package']} ({d['role']})" for d in datasets)]
    cards = "".join(
        f"<div class='card'>{_esc(d['org'])} · {_esc(d['dataset'])}"
        f"<b>{grouped(d['records'])}</b>catatan (records) · "
        f"{_esc(_ROLES.get(d['role'], d['role']))}</div>"
        for d in datasets
    )
    return (
        "<h2>Status per paket <span class='en'>(status per package)</span></h2>"
        f"<div class='cards'>{cards}</div>"
        "<p>Setiap catatan mendapat satu status; pemilik data melihat status barisnya sendiri "
        "di daftar kerja (worklist). <span class='en'>Every record gets one status; each owner "
        "sees its own rows' statuses in its worklist.</span> DITOLAK dan BERUBAH hanya ada di "
        "daftar kerja pemilik <span class='en'>(rejected and changed rows never reach the "
        "coordinator)</span>.</p>"
        + status_chart(report)
        + "<details><summary>Tabel angka (the numbers as a table)</summary>"
        + _table(header, rows)
        + "</details>"
    )


def _threshold_words(report: dict[str, Any]) -> str:
    threshold = report["threshold"]
    bits, p = threshold["log_odds_bits"], threshold["match_probability"]
    odds = 2 ** abs(bits)
    if abs(bits) < 0.05:
        odds_id, odds_en = "sama besar", "even"
    elif bits > 0:
        odds_id = f"{odds:.1f} kali lebih besar daripada beda orang"
        odds_en = f"{odds:.1f} times more likely than different people"
    else:
        odds_id = f"{odds:.1f} kali lebih kecil daripada beda orang"
        odds_en = f"{odds:.1f} times less likely than different people"
    return (
        f"<p class='note'>Sepasang catatan dianggap <b>orang yang sama</b> bila peluangnya "
        f"minimal <b>{p:.0%}</b>, yaitu skor ≥ <b>{bits:+.1f} bit</b> (peluang sama orang "
        f"{odds_id}). Garis merah putus-putus di grafik adalah ambang ini; pasangan di "
        f"kanannya (hijau) dapat diterima. <span class='en'>A pair is taken as the same person "
        f"when its match probability is at least {p:.0%}, i.e. a score of {bits:+.1f} bits "
        f"or more (odds {odds_en}). The dashed red line is this threshold; pairs to its "
        f"right (green) can be accepted.</span></p>"
    )


def _bits_explained() -> str:
    examples = [(0, "50%"), (1, "67%"), (3.3, "91%"), (6.6, "99%"), (10, "99.9%"), (20, "≈100%")]
    rows = [
        [f"{b:+g} bit" if b else "0 bit", f"{grouped(round(2**b))} : 1", p] for b, p in examples
    ]
    return (
        "<details><summary>Apa arti “bit”? <span class='en'>(what is a bit?)</span></summary>"
        "<p>Skor dan bobot ditulis dalam <b>bit</b>: log₂ dari perbandingan peluang "
        "“orang yang sama” terhadap “orang berbeda”. 0 bit = sama kuat (50%), setiap +1 bit "
        "melipatgandakan peluang itu, setiap −1 bit membaginya dua. Skor sepasang catatan "
        "adalah jumlah bobot semua kolomnya ditambah bobot awal (prior). "
        "<span class='en'>Scores and weights are in <b>bits</b>: log₂ of the odds “same "
        "person” against “different people”. 0 bits = even (50%); each +1 bit doubles the "
        "odds, each −1 bit halves them. A pair's score is the sum of its fields' weights "
        "plus the prior.</span></p>"
        + _table(["Skor (score)", "Peluang (odds)", "Peluang cocok (probability)"], rows)
        + "</details>"
    )


def _score_section(report: dict[str, Any]) -> str:
    parts = [
        "<h2>Sebaran skor <span class='en'>(score distribution)</span></h2>",
        _threshold_words(report),
    ]
    for stage in ("linkage", "deduplication"):
        data = report.get(stage)
        if not data:
            continue
        parts.append(f"<h3>{_esc(STAGE_TITLES[stage])}</h3>")
        parts.append(
            f"<p>{grouped(data['candidate_pairs'])} pasangan kandidat dibandingkan, "
            f"{grouped(data['accepted_pairs'])} diterima. <span class='en'>"
            f"{grouped(data['candidate_pairs'])} candidate pairs compared, "
            f"{grouped(data['accepted_pairs'])} accepted.</span> Pasangan di atas ambang "
            "bisa lebih banyak daripada yang diterima: satu catatan dipasangkan dengan paling "
            "banyak satu orang <span class='en'>(more pairs may pass the threshold than are "
            "accepted: a record is paired with one person at most)</span>. Skor di luar ±40 "
            "bit dihitung di batang paling tepi <span class='en'>(scores beyond ±40 bits are "
            "counted in the outermost bars)</span>.</p>"
        )
        parts.append(score_chart(report, stage))
    parts.append(_bits_explained())
    return "".join(parts)


def _weights_section(report: dict[str, Any]) -> str:
    stage = "linkage" if report.get("linkage") else "deduplication"
    if not report.get(stage):
        return ""
    other = "deduplication" if stage == "linkage" else None
    folded = ""
    if other and report.get(other):
        folded = (
            f"<details><summary>Bobot untuk {_esc(STAGE_TITLES[other])}</summary>"
            + weights_chart(report, other)
            + "</details>"
        )
    return (
        "<h2>Bobot tiap kolom <span class='en'>(weight of each field)</span></h2>"
        "<p>Model Fellegi–Sunter dipelajari dari data itu sendiri (EM, tanpa label). Untuk "
        "setiap kolom dan tingkat kemiripan: <b>m</b> = seberapa sering tingkat itu muncul "
        "pada pasangan orang yang sama, <b>u</b> = pada pasangan orang berbeda; bobot = "
        "log₂(m/u). Batang hijau menambah skor, merah menguranginya. <span class='en'>The "
        "Fellegi–Sunter model is learnt from the data (EM, no labels). For each field and "
        "similarity level: <b>m</b> = how often it occurs for the same person, <b>u</b> = "
        "for different people; weight = log₂(m/u). Green bars raise a pair's score, red bars "
        "lower it.</span> “Mirip” adalah kemiripan Dice antara filter Bloom (0–1) "
        "<span class='en'>(Dice similarity of the fields' Bloom filters)</span>.</p>"
        + weights_chart(report, stage)
        + folded
    )


def _details_section(report: dict[str, Any]) -> str:
    stages = [s for s in ("linkage", "deduplication") if report.get(s)]
    keys = sorted({k for s in stages for k in report[s]["blocking"]["pairs_per_key"]})
    blocking_rows = []
    for key in keys:
        row: list[object] = [key]
        for s in stages:
            b = report[s]["blocking"]
            row += [
                grouped(b["blocks_per_key"].get(key, 0)),
                grouped(b["pairs_per_key"].get(key, 0)),
                grouped(b["oversized_blocks"].get(key, 0) + b["skipped_pairs"].get(key, 0)),
            ]
        blocking_rows.append(row)
    blocking_header = ["Kunci blok (blocking key)"]
    for s in stages:
        short = "link" if s == "linkage" else "dedup"
        blocking_header += [f"{short}: blok", f"{short}: pasangan", f"{short}: dilewati"]
    model_rows = [
        [
            STAGE_TITLES[s],
            f"{report[s]['model']['prior']:.3g}",
            report[s]["model"]["iterations"],
            grouped(report[s]["candidate_pairs"]),
            grouped(report[s]["blocking"]["records_without_any_key"]),
        ]
        for s in stages
    ]
    timings = [[name, f"{seconds:.2f}"] for name, seconds in report["timings_seconds"].items()]
    return (
        "<h2>Rincian <span class='en'>(details)</span></h2>"
        "<details><summary>Model dan ambang (model and threshold)</summary>"
        f"<p>{_esc(report['threshold']['method'])}.</p>"
        + _table(
            ["Tahap (stage)", "λ prior", "Iterasi EM", "Pasangan (pairs)", "Tanpa kunci"],
            model_rows,
        )
        + "</details><details><summary>Blocking: pasangan kandidat per kunci (candidate "
        "pairs per blocking key)</summary><p>Hanya catatan yang berbagi kunci blok "
        "dibandingkan; blok terlalu besar dilewati. <span class='en'>Only records sharing a "
        "blocking key are compared; oversized blocks are skipped (“dilewati”).</span></p>"
        + _table(blocking_header, blocking_rows)
        + "</details><details><summary>Waktu (timings, seconds)</summary>"
        + _table(["Langkah (step)", "Detik (s)"], timings)
        + "</details><p class='meta'>Semua angka ini juga ada di report.json "
        "(every number is also in report.json).</p>"
    )


def render_html(report: dict[str, Any]) -> str:
    """A self-contained HTML page of the report: inline CSS and SVG, no script, no
    external file; Indonesian first, English second; aggregate numbers only."""
    return (
        "<!doctype html><html lang='id'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        "<link rel='icon' href='data:,'>"
        f"<title>Laporan pemadanan padan {_esc(report['run_id'])}</title>"
        f"<style>{_CSS}</style></head><body><main>"
        "<h1>Laporan pemadanan <span class='en'>(linkage report)</span></h1>"
        f"<p class='meta'>Run {_esc(report['run_id'])} · padan {_esc(report['tool_version'])}"
        f" · skema (schema) {_esc(report.get('schema', {}).get('name', '?'))}</p>"
        "<p class='note'>Laporan ini hanya berisi jumlah, tanpa data per orang. "
        "<span class='en'>This report holds aggregate counts only, no record-level data."
        "</span></p>"
        + _status_section(report)
        + _score_section(report)
        + _weights_section(report)
        + _details_section(report)
        + "</main></body></html>"
    )


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html atomically into ``out_dir``."""
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    with atomic_open(json_path) as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    with atomic_open(html_path) as handle:
        handle.write(render_html(report))
    return json_path, html_path
