"""A small seeded backtest end to end: engine vs both baselines, and the reports it writes."""

from __future__ import annotations

import json
import re

import pytest

from services.order_watch.backtest.alerts import CARRIER_ESTIMATE_BASELINE, DELIVERED_LATE_BASELINE, ENGINE, SYSTEMS
from services.order_watch.backtest.cli import main, run_backtest
from services.order_watch.backtest.report import CHAR_WIDTH, LABELS, bar_chart, render_html, summary_text, write_reports
from services.order_watch.backtest.simulator import DEFAULT_FAILURE_RATES, SimulationConfig, simulate

# Failures three times as often as the default so a small run still has every kind of late order.
RATES = {failure: 3 * rate for failure, rate in DEFAULT_FAILURE_RATES.items()}
CONFIG = SimulationConfig(orders=80, seed=21, days=7, failure_rates=RATES)


@pytest.fixture(scope="module")
def scorecard():
    card, _ = run_backtest(simulate(CONFIG))
    return card


def test_the_report_has_recall_lead_time_and_false_alarms_for_every_system(scorecard):
    assert scorecard["late_orders"] >= 25
    for system in SYSTEMS:
        row = scorecard["systems"][system]
        assert row["recall"] is not None and row["recoverable_recall"] is not None
        assert {"median", "p25", "p75", "histogram"} <= set(row["lead_time_hours"])
        assert {"false_alarms", "false_alarms_per_1000_orders", "alerts_per_1000_orders"} <= set(row)


def test_every_injected_downgrade_is_caught_at_label_time(scorecard):
    downgrades = scorecard["downgrades"]
    assert downgrades["injected"] > 0
    assert downgrades["caught_at_label_time"] == downgrades["injected"]


def test_the_engine_beats_both_baselines_on_recoverable_recall(scorecard):
    systems = scorecard["systems"]
    engine = systems[ENGINE]["recoverable_recall"]
    assert engine > systems[CARRIER_ESTIMATE_BASELINE]["recoverable_recall"]
    assert engine > systems[DELIVERED_LATE_BASELINE]["recoverable_recall"]
    assert systems[DELIVERED_LATE_BASELINE]["recall"] == 0  # by definition: it speaks only after the promise


def test_the_html_report_is_self_contained(scorecard, tmp_path):
    json_path, html_path = write_reports(tmp_path, scorecard, {"kind": "test"})
    page = html_path.read_text()
    assert "<svg" in page and "<script" not in page and "http" not in page.replace("xmlns", "")
    assert json.loads(json_path.read_text())["systems"][ENGINE]["recall"] == scorecard["systems"][ENGINE]["recall"]
    assert "Order Watch engine" in summary_text(scorecard) and render_html(scorecard, {}).startswith("<!doctype html>")


def test_the_report_reads_as_prose_and_keys_its_colours(scorecard):
    page = render_html(scorecard, {"origin_tz": "America/Chicago", "failure_rates": {"lost": 0.01}})
    assert "<th>origin tz</th><td>America/Chicago</td>" in page and "<th>failure rates</th><td>lost 0.01</td>" in page
    assert "{" not in page.split("<body>")[1].split("<svg")[0]  # no raw JSON above the charts
    for label in LABELS.values():
        assert f"{label} (" in page  # each system in the histogram's colour key, with its count


def test_bar_labels_never_run_into_their_bars():
    label = "Baseline: carrier estimate passes promise: false alarms"
    svg = bar_chart("t", [(label, 1.0, "#000"), ("short", 2.0, "#000")])
    bar_starts = {float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)}
    assert bar_starts and min(bar_starts) >= CHAR_WIDTH * len(label)


def test_the_cli_writes_both_reports(tmp_path, capsys):
    assert main(["--orders", "15", "--seed", "2", "--days", "3", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.json").exists() and (tmp_path / "report.html").exists()
    assert "recall" in capsys.readouterr().out


def test_the_cli_reports_bad_csv_rows_and_exits_2(tmp_path, capsys):
    bad = tmp_path / "history.csv"
    bad.write_text("order_id,placed_at,promised_by,paid_service\nX,yesterday,2026-11-17T20:00:00-05:00,NEXT_DAY\n")
    assert main(["--csv", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "row 2, column placed_at" in capsys.readouterr().err
