"""Backtest reports: `report.json` (the scorecard) and a self-contained `report.html`.

The HTML has inline SVG charts — lead-time histogram, recall by rule, alert volume — and inline
CSS only: no scripts, no fonts, no network. `render_html` and `summary_text` are pure;
`write_reports` is the only function that touches the file system.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from services.order_watch.backtest.alerts import CARRIER_ESTIMATE_BASELINE, DELIVERED_LATE_BASELINE, ENGINE, SYSTEMS

LABELS = {
    ENGINE: "Order Watch engine",
    DELIVERED_LATE_BASELINE: "Baseline: alert once delivered late",
    CARRIER_ESTIMATE_BASELINE: "Baseline: carrier estimate passes promise",
}
COLORS = {ENGINE: "#2563eb", DELIVERED_LATE_BASELINE: "#9ca3af", CARRIER_ESTIMATE_BASELINE: "#f59e0b"}
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#111827;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{border-bottom:1px solid #e5e7eb;padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}h2{margin-top:2rem}.note{color:#4b5563}svg{max-width:100%}
table.run{width:auto;color:#4b5563}
table.run th,table.run td{text-align:left;font-weight:normal;padding:.15rem .75rem .15rem 0}
"""


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} h"


def summary_text(scorecard: dict[str, Any], throughput: dict[str, Any] | None = None) -> str:
    """A plain-text table of the headline numbers per system."""
    lines = [
        f"orders {scorecard['orders']}, late {scorecard['late_orders']}, "
        f"never at risk {scorecard['never_at_risk_orders']}",
        f"{'system':44} {'recall':>8} {'recov.':>8} {'lead med':>9} {'alerts/1k':>10} {'false/1k':>9} "
        f"{'precision':>9} {'on-time':>8}",
    ]
    rows = [(LABELS[system], scorecard["systems"][system]) for system in SYSTEMS]
    rows += [(f"  rule {rule}", row) for rule, row in scorecard["engine_rules"].items()]
    for label, row in rows:
        lines.append(
            f"{label:44} {_pct(row['recall']):>8} {_pct(row['recoverable_recall']):>8} "
            f"{_hours(row['lead_time_hours']['median']):>9} {row['alerts_per_1000_orders']:>10.1f} "
            f"{row['false_alarms_per_1000_orders']:>9.1f} {_pct(row['precision']):>9} "
            f"{_pct(row['on_time_alerted_share']):>8}"
        )
    learning = scorecard.get("learning", {})
    if learning.get("learned"):
        lines.append(
            f"learned until {learning['learn_until']} from {learning['learned_orders']} orders "
            f"({learning['delivered_parcels']} delivered parcels), model {learning['model_version']}"
        )
    lines += [f"notice: {notice}" for notice in scorecard.get("notices", ())]
    downgrades = scorecard["downgrades"]
    lines.append(f"downgrades caught at label time: {downgrades['caught_at_label_time']}/{downgrades['injected']}")
    if throughput:
        rate, workers = throughput["events_per_second"], throughput.get("workers", 1)
        lines.append(f"replay: {throughput['events']} events in {throughput['seconds']:.2f} s "
                     f"({rate:.0f} events/s on {workers} processes)")  # fmt: skip
    return "\n".join(lines)


# Rough width of one character of the charts' 11–12 px labels, to size the label column.
CHAR_WIDTH = 6.6


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], unit: str = "", width: int = 640) -> str:
    """A horizontal bar chart as inline SVG: (label, value, color) per bar; the label column is as
    wide as the longest label, so labels never run into their bars."""
    row, top = 26, 30
    longest = max((len(label) for label, _, _ in bars), default=0)
    left = int(min(width - 200, max(160, CHAR_WIDTH * longest + 12)))
    peak = max((value for _, value, _ in bars), default=0) or 1
    height = top + row * len(bars) + 10
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
             f'<text x="0" y="18" font-weight="600">{html.escape(title)}</text>']  # fmt: skip
    for index, (label, value, color) in enumerate(bars):
        y = top + index * row
        length = (width - left - 70) * value / peak
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{html.escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="16" fill="{color}"/>')
        parts.append(f'<text x="{left + length + 4:.1f}" y="{y + 15}" font-size="12">{value:.1f}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_chart(title: str, series: dict[str, list[dict[str, Any]]], width: int = 640, height: int = 240) -> str:
    """Grouped columns: one group per lead-time bin, one column per system, and a colour key."""
    bins = next(iter(series.values()), [])
    legend_row = 16
    height += legend_row * len(series)
    left, bottom, top = 40, 30 + legend_row * len(series), 30
    peak = max((b["count"] for bins_ in series.values() for b in bins_), default=0) or 1
    group = (width - left) / max(1, len(bins))
    column = group * 0.8 / max(1, len(series))
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
             f'<text x="0" y="18" font-weight="600">{html.escape(title)}</text>']  # fmt: skip
    plot = height - bottom - top
    for index, bin_ in enumerate(bins):
        x0 = left + index * group
        upper = "+" if bin_["to_hours"] is None else f"–{bin_['to_hours']}"
        label_y = top + plot + 16
        parts.append(f'<text x="{x0 + 2:.1f}" y="{label_y}" font-size="11">{bin_["from_hours"]}{upper} h</text>')
        for offset, (system, counts) in enumerate(series.items()):
            count = counts[index]["count"]
            bar = plot * count / peak
            x = x0 + offset * column
            y = top + plot - bar
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{column - 1:.1f}" height="{bar:.1f}" '
                         f'fill="{COLORS.get(system, "#6b7280")}"><title>{count}</title></rect>')  # fmt: skip
    for index, (system, counts) in enumerate(series.items()):
        y = height - legend_row * (len(series) - index) + 2
        total = sum(b["count"] for b in counts)
        label = f"{LABELS.get(system, system)} ({total} late orders alerted before the promise)"
        parts.append(f'<rect x="{left}" y="{y}" width="10" height="10" fill="{COLORS.get(system, "#6b7280")}"/>'
                     f'<text x="{left + 16}" y="{y + 9}" font-size="11">{html.escape(label)}</text>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def _systems_table(scorecard: dict[str, Any]) -> str:
    columns = ("system", "recall", "recoverable recall", "lead time median", "lead p25–p75", "alerts / 1,000",
               "false alarms", "false alarms / 1,000")  # fmt: skip
    head = "<tr>" + "".join(f"<th>{column}</th>" for column in columns) + "</tr>"
    rows = []
    for system in SYSTEMS:
        row = scorecard["systems"][system]
        lead = row["lead_time_hours"]
        rows.append(
            f"<tr><td>{LABELS[system]}</td><td>{_pct(row['recall'])}</td><td>{_pct(row['recoverable_recall'])}</td>"
            f"<td>{_hours(lead['median'])}</td><td>{_hours(lead['p25'])} – {_hours(lead['p75'])}</td>"
            f"<td>{row['alerts_per_1000_orders']:.1f}</td><td>{row['false_alarms']}</td>"
            f"<td>{row['false_alarms_per_1000_orders']:.1f}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _failure_table(scorecard: dict[str, Any]) -> str:
    head = "<tr><th>failure</th><th>orders</th><th>late</th>" + "".join(
        f"<th>{html.escape(LABELS[s])}<br>recall / recoverable</th>" for s in SYSTEMS
    ) + "</tr>"  # fmt: skip
    rows = []
    for failure, row in scorecard["by_failure"].items():
        cells = "".join(f"<td>{_pct(row[s]['recall'])} / {_pct(row[s]['recoverable_recall'])}</td>" for s in SYSTEMS)
        rows.append(
            f"<tr><td>{html.escape(failure)}</td><td>{row['orders']}</td><td>{row['late_orders']}</td>{cells}</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _learning_section(scorecard: dict[str, Any]) -> str:
    """What was learned, what the data cannot support, and what each projected_late threshold costs."""
    notices = "".join(f"<li>{html.escape(notice)}</li>" for notice in scorecard.get("notices", ()))
    rules = "".join(
        f"<tr><td>{html.escape(rule)}</td><td>{row['alerts']}</td><td>{_pct(row['precision'])}</td>"
        f"<td>{_pct(row['on_time_alerted_share'])}</td><td>{_pct(row['recall'])}</td></tr>"
        for rule, row in scorecard["engine_rules"].items()
    )
    curve = "".join(
        f"<tr><td>{point['threshold']:.2f}</td><td>{_pct(point['engine']['precision'])}</td>"
        f"<td>{_pct(point['engine']['on_time_alerted_share'])}</td><td>{_pct(point['engine']['recall'])}</td>"
        f"<td>{_pct(point['projected_late']['precision'])}</td><td>{_pct(point['projected_late']['recall'])}</td></tr>"
        for point in scorecard.get("projected_late_curve", ())
    )
    parts = [f"<h2>What the data cannot support</h2><ul>{notices}</ul>" if notices else ""]
    parts.append(
        "<h2>Per rule</h2><table><tr><th>rule</th><th>alerts</th><th>precision</th><th>on-time orders alerted</th>"
        f"<th>recall</th></tr>{rules}</table>"
    )
    if curve:
        parts.append(
            "<h2>What each projected_late threshold would have cost</h2><table><tr><th>P(miss) threshold</th>"
            "<th>engine precision</th><th>on-time orders alerted</th><th>engine recall</th>"
            f"<th>projected_late precision</th><th>projected_late recall</th></tr>{curve}</table>"
        )
    return "".join(parts)


def _run_table(meta: dict[str, Any]) -> str:
    """What was replayed and how fast, one row per setting (nested settings on one line)."""
    rows = "".join(
        f"<tr><th>{html.escape(name.replace('_', ' '))}</th><td>{html.escape(_setting(value))}</td></tr>"
        for name, value in meta.items()
    )
    return f'<table class="run">{rows}</table>'


def _setting(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{name.replace('_', ' ')} {_setting(item)}" for name, item in value.items())
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value >= 1 else f"{value:g}"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def render_html(scorecard: dict[str, Any], meta: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    systems = scorecard["systems"]
    recall_bars = [(f"{rule} (engine rule)", 100 * (row["recall"] or 0), COLORS[ENGINE])
                   for rule, row in scorecard["engine_rules"].items()]  # fmt: skip
    recall_bars += [(LABELS[s], 100 * (systems[s]["recall"] or 0), COLORS[s]) for s in SYSTEMS]
    volume_bars = [(LABELS[s], systems[s]["alerts_per_1000_orders"], COLORS[s]) for s in SYSTEMS]
    volume_bars += [
        (f"{LABELS[s]}: false alarms", systems[s]["false_alarms_per_1000_orders"], "#dc2626") for s in SYSTEMS
    ]
    histogram = {s: systems[s]["lead_time_hours"]["histogram"] for s in SYSTEMS}
    downgrades = scorecard["downgrades"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Order Watch backtest</title><style>{CSS}</style></head><body>
<h1>Order Watch backtest</h1>
{_run_table(meta)}
<p>{scorecard["orders"]} orders, {scorecard["late_orders"]} late (delivered after the promise or never),
{scorecard["never_at_risk_orders"]} never at risk. Downgrades caught at label time:
{downgrades["caught_at_label_time"]} of {downgrades["injected"]}.</p>
<h2>Engine vs baselines</h2>{_systems_table(scorecard)}
<p class="note">Recall: late orders alerted before the promise passed. Recoverable recall: alerted while a replacement
shipped at that moment could still meet the promise. Lead time: promise minus first alert. False alarm: an alert on an
order delivered on time with nothing wrong.</p>
<h2>Lead time before the promise</h2>{histogram_chart("Late orders by lead time of the first alert", histogram)}
<h2>Recall by rule</h2>{bar_chart("Late orders alerted before the promise", recall_bars, "%")}
<h2>Alert volume</h2>{bar_chart("Alerts per 1,000 orders", volume_bars)}
<h2>By failure mode</h2>{_failure_table(scorecard)}
{_learning_section(scorecard)}
</body></html>
"""


def write_reports(out_dir: Path, scorecard: dict[str, Any], meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write report.json and report.html into `out_dir` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(json.dumps({"meta": meta, **scorecard}, indent=2, default=str) + "\n", encoding="utf-8")
    html_path.write_text(render_html(scorecard, meta), encoding="utf-8")
    return json_path, html_path
