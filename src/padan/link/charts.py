"""Charts of a link report as inline SVG: status counts, score distribution, field weights.

Each function takes the report dict (``report.json``, see :mod:`padan.link.report`) and
returns an ``<svg>`` element as text, so ``report.html`` and the coordinator's service
draw the same pictures from the same aggregate numbers. No script, no external file:
the SVG scales to its container (``viewBox``) and carries its own axes, counts and
legend, in Indonesian with English.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from padan.core.types import STATUS_LABELS, Status

WIDTH = 920
"""Drawing width in SVG units; the page shows it at most this many pixels wide."""

FONT = "font-family='system-ui,sans-serif'"
INK, MUTED, GRID = "#222", "#666", "#ddd"
ACCEPTED, BELOW, THRESHOLD = "#2e8b57", "#9aa5b1", "#c0392b"
FOR_MATCH, AGAINST_MATCH = "#2e8b57", "#c0392b"
DATASET_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#bcbd22")

FIELD_NAMES: Mapping[str, str] = {
    "name": "Nama (name)",
    "birth_date": "Tanggal lahir (birth date)",
    "sex": "Jenis kelamin (sex)",
    "nik": "NIK",
    "kk": "No. KK (family card)",
    "birth_place": "Tempat lahir (birth place)",
    "mother_name": "Nama ibu (mother's name)",
    "address": "Alamat (address)",
    "address_numbers": "Nomor alamat (RT/RW, house no.)",
}
"""How the linkage schema's field names read in the report."""

STAGE_TITLES: Mapping[str, str] = {
    "linkage": "daftar ↔ registri (list ↔ registry)",
    "deduplication": "dalam registri, NIK ganda (within the registry, duplicates)",
}


def compact(count: float) -> str:
    """A count short enough to print above a narrow bar: 950, 1.2k, 3.4M."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= size:
            value = count / size
            digits = 0 if value >= 100 or value == int(value) else 1
            return f"{value:.{digits}f}{suffix}"
    return f"{count:.0f}"


def grouped(count: int) -> str:
    """A count with thin-space thousands (``12 345``), read alike in Indonesian and English."""
    return f"{count:,}".replace(",", "\u2009")


def _share(value: float) -> str:
    """A probability as a percentage that never shows a small one as 0.0%."""
    if value >= 0.001 or value == 0:
        return f"{value:.1%}"
    return "<0.1%"


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 × 10^k) giving about ``ticks`` ticks over ``span``."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: int = 12,
    anchor: str = "start",
    colour: str = INK,
    weight: str = "normal",
    extra: str = "",
) -> str:
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
        f"fill='{colour}' font-weight='{weight}' {extra}>{escape(text)}</text>"
    )


def _svg(height: float, label: str, parts: Iterable[str]) -> str:
    return (
        f"<svg viewBox='0 0 {WIDTH} {height:.0f}' width='100%' role='img' "
        f"aria-label='{escape(label, quote=True)}' {FONT} "
        "xmlns='http://www.w3.org/2000/svg' style='max-width:100%;height:auto'>"
        f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>"
    )


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    """Coloured squares with labels in one row from (x, y)."""
    parts = []
    for colour, label in items:
        parts.append(f"<rect x='{x:.1f}' y='{y - 10:.1f}' width='12' height='12' fill='{colour}'/>")
        parts.append(_text(x + 17, y, label))
        x += 30 + 6.6 * len(label)
    return parts


# --- status counts ---------------------------------------------------------------------


def status_chart(report: Mapping[str, Any]) -> str:
    """Horizontal bars: records per status, one bar per package, counts at the bar ends."""
    datasets = report["datasets"]
    statuses = [s for s in Status if any(d["status_counts"].get(s.value, 0) for d in datasets)] or [
        Status.TIDAK_DITEMUKAN
    ]
    left, right, top = 300, 90, 46
    bar = 14
    group = max(bar * len(datasets) + 14, 50)  # room for the code and both labels
    plot_w = WIDTH - left - right
    height = top + group * len(statuses) + 40
    largest = max(
        (d["status_counts"].get(s.value, 0) for d in datasets for s in statuses), default=0
    )
    step = _nice_step(largest or 1)
    top_value = step * math.ceil((largest or 1) / step)
    scale = plot_w / top_value
    colours = [DATASET_COLOURS[k % len(DATASET_COLOURS)] for k in range(len(datasets))]
    parts = _legend(
        left,
        16,
        [(c, f"{d['package']} ({d['role']})") for c, d in zip(colours, datasets, strict=True)],
    )
    axis_y = top + group * len(statuses) - 6
    tick = 0.0
    while tick <= top_value + 1e-9:
        x = left + tick * scale
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top - 6}' y2='{axis_y:.1f}' stroke='{GRID}'/>"
        )
        parts.append(
            _text(x, axis_y + 16, grouped(int(tick)), size=11, anchor="middle", colour=MUTED)
        )
        tick += step
    parts.append(
        _text(
            left + plot_w / 2,
            axis_y + 33,
            "Jumlah catatan (records)",
            size=12,
            anchor="middle",
            colour=MUTED,
        )
    )
    for row, status in enumerate(statuses):
        y0 = top + row * group
        label_id, label_en = STATUS_LABELS.get(status, (status.value, status.value))
        parts.append(_text(left - 10, y0 + 11, status.value, size=12, anchor="end", weight="bold"))
        parts.append(_text(left - 10, y0 + 24, label_id, size=11, anchor="end"))
        parts.append(_text(left - 10, y0 + 36, label_en, size=10, anchor="end", colour=MUTED))
        for k, d in enumerate(datasets):
            count = d["status_counts"].get(status.value, 0)
            share = count / d["records"] if d["records"] else 0.0
            y = y0 + k * bar
            w = count * scale
            parts.append(
                f"<rect x='{left}' y='{y:.1f}' width='{max(w, 0.5):.1f}' height='{bar - 2}' "
                f"fill='{colours[k]}'><title>{escape(d['package'])}: {status.value} "
                f"{grouped(count)}</title></rect>"
            )
            parts.append(
                _text(left + w + 4, y + bar - 4, f"{grouped(count)} ({share:.0%})", size=11)
            )
    parts.append(f"<line x1='{left}' x2='{left}' y1='{top - 6}' y2='{axis_y:.1f}' stroke='{INK}'/>")
    return _svg(height, "Jumlah catatan per status (records per status)", parts)


# --- score distribution ----------------------------------------------------------------


def score_chart(report: Mapping[str, Any], stage: str) -> str:
    """Histogram of candidate-pair scores (bits), log count axis, threshold line, legend."""
    data = report.get(stage)
    if not data:
        return ""
    counts = data["score_histogram"]["counts"]
    edges = data["score_histogram"]["bin_edges_bits"]
    threshold = report["threshold"]["log_odds_bits"]
    left, right, top, bottom = 64, 20, 52, 58
    plot_w, plot_h = WIDTH - left - right, 220
    height = top + plot_h + bottom
    decades = max(1, math.ceil(math.log10(max(max(counts, default=0), 1) + 1)))
    span = edges[-1] - edges[0]

    def x_of(bits: float) -> float:
        return left + (bits - edges[0]) / span * plot_w

    def y_of(count: float) -> float:
        return top + plot_h - plot_h * math.log10(count + 1) / decades

    parts = _legend(
        left,
        18,
        [
            (ACCEPTED, "di atas ambang (above threshold)"),
            (BELOW, "di bawah ambang (below threshold)"),
            (THRESHOLD, "ambang (threshold)"),
        ],
    )
    for power in range(decades + 1):  # log axis: 1, 10, 100, ...
        y = y_of(10**power - 1) if power else y_of(0)
        value = 10**power if power else 0
        parts.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' stroke='{GRID}'/>"
        )
        parts.append(_text(left - 6, y + 4, compact(value), size=11, anchor="end", colour=MUTED))
    bar_w = plot_w / len(counts)
    for k, count in enumerate(counts):
        low, high = edges[k], edges[k + 1]
        colour = ACCEPTED if low >= threshold else BELOW
        y = y_of(count)
        x = left + k * bar_w
        parts.append(
            f"<rect x='{x + 0.5:.1f}' y='{y:.1f}' width='{bar_w - 1:.1f}' "
            f"height='{top + plot_h - y:.1f}' fill='{colour}'><title>{low} … {high} bit: "
            f"{grouped(count)}</title></rect>"
        )
        if count:
            parts.append(_text(x + bar_w / 2, y - 3, compact(count), size=9, anchor="middle"))
    base = top + plot_h
    parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{base}' y2='{base}' stroke='{INK}'/>")
    parts.append(f"<line x1='{left}' x2='{left}' y1='{top}' y2='{base}' stroke='{INK}'/>")
    tick = edges[0]
    while tick <= edges[-1]:
        x = x_of(tick)
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{base}' y2='{base + 4}' stroke='{INK}'/>"
        )
        parts.append(
            _text(
                x, base + 17, f"{tick:+g}" if tick else "0", size=11, anchor="middle", colour=MUTED
            )
        )
        tick += 10
    parts.append(
        _text(
            left + plot_w / 2,
            base + 36,
            "Skor pasangan dalam bit (pair score, bits): ← beda orang · "
            "orang yang sama → (← different people · same person →)",
            size=12,
            anchor="middle",
            colour=MUTED,
        )
    )
    parts.append(
        _text(
            14,
            top + plot_h / 2,
            "Pasangan (pairs), skala log",
            size=11,
            anchor="middle",
            colour=MUTED,
            extra=f"transform='rotate(-90 14 {top + plot_h / 2:.1f})'",
        )
    )
    tx = x_of(min(max(threshold, edges[0]), edges[-1]))
    parts.append(
        f"<line x1='{tx:.1f}' x2='{tx:.1f}' y1='{top - 8}' y2='{base}' "
        f"stroke='{THRESHOLD}' stroke-width='2' stroke-dasharray='5 3'/>"
    )
    parts.append(_text(tx + 5, top + 4, f"ambang {threshold:+.1f} bit", size=11, colour=THRESHOLD))
    title = f"Skor pasangan kandidat, {STAGE_TITLES.get(stage, stage)}"
    return _svg(height, title, parts)


# --- field weights (Fellegi–Sunter m/u) --------------------------------------------------


def level_labels(cuts: Sequence[float] | Sequence[Sequence[str]] | None, levels: int) -> list[str]:
    """Readable names of a field's comparison levels from its similarity cut points, or
    (a token field) from the token kinds that agree at each level."""
    if not cuts or len(cuts) + 1 != levels:
        return [f"tingkat (level) {k}" for k in range(levels)]
    if not isinstance(cuts[0], int | float):
        kinds = [" / ".join(level) for level in cuts]  # type: ignore[arg-type]
        return [f"sama (equal): {k}" for k in kinds] + ["beda (different)"]
    labels = [f"mirip (similar) ≥ {cut:.2f}" if cut < 0.99 else "sama (exact)" for cut in cuts]
    last = "beda (different)" if cuts[-1] >= 0.99 else f"lain (other) < {cuts[-1]:.2f}"
    return [*labels, last]


def weights_chart(report: Mapping[str, Any], stage: str) -> str:
    """Match weight (bits) of every comparison level of every field, as diverging bars,
    with m and u: Splink's match-weights chart for the fitted Fellegi–Sunter model."""
    data = report.get(stage)
    if not data:
        return ""
    model = data["model"]
    schema = report.get("schema", {})
    cuts = schema.get("levels", {})
    # report.json sorts its keys: the schema's field list keeps the schema's order.
    order = [f for f in schema.get("fields", []) if f in model["fields"]]
    names = order + [f for f in model["fields"] if f not in order]
    rows: list[tuple[str, str, float, float | None, float | None]] = []
    prior = model["prior"]
    prior_bits = math.log2(prior / (1 - prior)) if 0 < prior < 1 else 0.0
    rows.append(("Awal (prior)", "sebelum kolom (before fields)", prior_bits, None, None))
    for name in names:
        field = model["fields"][name]
        labels = level_labels(cuts.get(name), len(field["bits"]))
        for k, (bits, m, u) in enumerate(zip(field["bits"], field["m"], field["u"], strict=True)):
            rows.append((FIELD_NAMES.get(name, name) if k == 0 else "", labels[k], bits, m, u))
    left, right, top, row_h = 340, 170, 56, 18
    plot_w = WIDTH - left - right
    height = top + row_h * len(rows) + 46
    limit = 25.0  # bars beyond ±25 bits are drawn to the edge; the number says the rest
    mid = left + plot_w / 2
    scale = plot_w / 2 / limit
    columns = {"bit": WIDTH - right + 52, "m": WIDTH - right + 110, "u": WIDTH - 6}
    parts = _legend(
        left,
        18,
        [
            (FOR_MATCH, "mendukung cocok (evidence for)"),
            (AGAINST_MATCH, "menentang cocok (evidence against)"),
        ],
    )
    for name, x in columns.items():
        parts.append(_text(x, top - 8, name, size=11, anchor="end", colour=MUTED, weight="bold"))
    bottom = top + row_h * len(rows)
    for tick in range(-20, 21, 10):
        x = mid + tick * scale
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{top - 4}' y2='{bottom}' "
            f"stroke='{GRID if tick else INK}'/>"
        )
        parts.append(
            _text(
                x,
                bottom + 15,
                f"{tick:+d}" if tick else "0",
                size=11,
                anchor="middle",
                colour=MUTED,
            )
        )
    parts.append(
        _text(
            mid,
            bottom + 34,
            "Bobot dalam bit (weight, bits): +1 bit = dua kali "
            "lebih mungkin orang yang sama (twice as likely the same person)",
            size=12,
            anchor="middle",
            colour=MUTED,
        )
    )
    for r, (field_label, level, bits, m, u) in enumerate(rows):
        y = top + r * row_h
        if field_label and r:
            parts.append(f"<line x1='0' x2='{WIDTH}' y1='{y:.1f}' y2='{y:.1f}' stroke='{GRID}'/>")
        parts.append(_text(4, y + 13, field_label, size=12, weight="bold"))
        parts.append(_text(left - 8, y + 13, level, size=11, anchor="end", colour=MUTED))
        shown = max(-limit, min(limit, bits))
        x = mid + min(shown, 0) * scale
        colour = FOR_MATCH if bits >= 0 else AGAINST_MATCH
        parts.append(
            f"<rect x='{x:.1f}' y='{y + 3}' width='{max(abs(shown) * scale, 0.5):.1f}' "
            f"height='{row_h - 6}' fill='{colour}'><title>{escape(level)}: {bits:+.2f} bit"
            "</title></rect>"
        )
        parts.append(_text(columns["bit"], y + 13, f"{bits:+.1f}", size=11, anchor="end"))
        if m is not None and u is not None:
            for name, value in (("m", m), ("u", u)):
                parts.append(
                    _text(
                        columns[name], y + 13, f"{value:.1%}", size=11, anchor="end", colour=MUTED
                    )
                )
    return _svg(height, f"Bobot per kolom, {STAGE_TITLES.get(stage, stage)}", parts)
