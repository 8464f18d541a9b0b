"""The closing table of a `make backtest`: one row per world from the reports it wrote.

python -m services.order_watch.backtest.table bench-results/backtest*/
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from services.order_watch.backtest.alerts import CARRIER_ESTIMATE_BASELINE, ENGINE

COLUMNS = ("world", "orders", "alerts", "precision", "on-time alerted", "worst rule", "recall", "baseline recall")


def row(report: dict[str, Any]) -> tuple[str, ...]:
    """A world's line: engine alerts, precision, share of on-time orders alerted (overall and by its
    worst rule), recall before the promise, and the carrier-estimate baseline's recall."""
    engine, baseline = report["systems"][ENGINE], report["systems"][CARRIER_ESTIMATE_BASELINE]
    rules = report["engine_rules"]
    worst = max(rules, key=lambda rule: rules[rule]["on_time_alerted_share"] or 0, default=None)
    worst_text = f"{worst} {_pct(rules[worst]['on_time_alerted_share'])}" if worst else "-"
    return (
        report["meta"].get("world", report["meta"].get("kind", "?")),
        str(report["orders"]),
        str(engine["alerts"]),
        _pct(engine["precision"]),
        _pct(engine["on_time_alerted_share"]),
        worst_text,
        _pct(engine["recall"]),
        _pct(baseline["recall"]),
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def table(reports: list[dict[str, Any]]) -> str:
    rows = [COLUMNS, *(row(report) for report in reports)]
    widths = [max(len(line[index]) for line in rows) for index in range(len(COLUMNS))]
    lines = ("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in rows)
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) / "report.json" for arg in (argv if argv is not None else sys.argv[1:])]
    print(table([json.loads(path.read_text(encoding="utf-8")) for path in paths if path.exists()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
