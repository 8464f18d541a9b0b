"""History CSV import: the documented example converts; bad lines are named by row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.common.vocab import TrackingStatus
from services.order_watch.backtest.importer import HistoryError, parse_history, read_history
from services.order_watch.backtest.truth import Failure

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "history.csv"
HEADER = "order_id,placed_at,promised_by,paid_service,carrier,label_service,shipped_at,delivered_at\n"
GOOD = (
    "B-1,2026-11-16T10:00:00-06:00,2026-11-17T20:00:00-05:00,NEXT_DAY,ups,01,"
    "2026-11-16T14:00:00-06:00,2026-11-17T10:00:00-05:00\n"
)


def _problems(text: str) -> list[str]:
    with pytest.raises(HistoryError) as caught:
        parse_history(text)
    return caught.value.problems


def test_the_documented_example_imports_with_outcomes_as_truth():
    stream = read_history(EXAMPLE)
    assert set(stream.truths) == {f"A-100{n}" for n in range(1, 7)}
    assert not stream.truths["A-1001"].late and stream.truths["A-1002"].late
    assert stream.truths["A-1006"].delivered_at is None and stream.truths["A-1006"].late
    assert all(truth.failure is Failure.UNKNOWN for truth in stream.truths.values())
    times = [event.occurred_at for event in stream.events]
    assert times == sorted(times)
    scans = [
        e.payload
        for e in stream.events
        if e.event_type == "tracking.updated" and e.payload.tracking_number == "100000001003"
    ]
    assert [scan.status for scan in scans][-2:] == [TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.DELIVERED]


def test_import_is_reproducible():
    assert [e.event_id for e in read_history(EXAMPLE).events] == [e.event_id for e in read_history(EXAMPLE).events]


def test_a_bad_time_names_its_row_and_column():
    bad = GOOD.replace("2026-11-17T20:00:00-05:00", "next friday")
    assert _problems(HEADER + GOOD.replace("B-1", "B-0") + bad) == [
        "row 3, column promised_by: not an ISO 8601 date-time: 'next friday'"
    ]


def test_a_time_without_offset_is_refused():
    naive = GOOD.replace("2026-11-16T10:00:00-06:00", "2026-11-16T10:00:00")
    assert _problems(HEADER + naive) == [
        "row 2, column placed_at: needs a UTC offset (e.g. 2026-11-18T14:00:00-06:00): '2026-11-16T10:00:00'"
    ]


def test_unknown_service_level_lists_the_allowed_ones():
    (problem,) = _problems(HEADER + GOOD.replace("NEXT_DAY", "OVERNIGHT"))
    assert problem.startswith("row 2, column paid_service: unknown value 'OVERNIGHT'; expected one of: SAME_DAY")


def test_every_problem_is_reported_at_once():
    rows = HEADER + ",2026-11-16T10:00:00-06:00,,NEXT_DAY,,01,,\n" + GOOD + GOOD
    assert _problems(rows) == [
        "row 2, column order_id: is required",
        "row 2, column promised_by: is required",
        "row 2, column carrier: is required when label_service is given",
        "row 2, column shipped_at: is required when label_service is given",
        "row 4, column order_id: duplicate order (first on row 3)",
    ]


def test_a_missing_required_column_is_named():
    assert _problems("order_id,placed_at,paid_service\n") == ["row 1, column promised_by: missing from the header"]


def test_scan_rows_need_a_known_order_and_a_valid_status():
    text = (
        "record," + HEADER.replace("\n", ",scan_at,scan_status\n")
        + "order," + GOOD.replace("\n", ",,\n")
        + "scan,B-9,,,,,,,,2026-11-16T18:00:00-06:00,accepted\n"
        + "scan,B-1,,,,,,,,2026-11-16T18:00:00-06:00,teleported\n"
    )  # fmt: skip
    problems = _problems(text)
    assert "row 4, column scan_status: unknown value 'teleported'; expected one of: pre_transit" in problems[0]
    assert problems[1] == "row 3, column order_id: scan for an order with no valid order row: 'B-9'"


def _without_ids(stream) -> list[tuple]:
    return sorted((e.event_type, e.occurred_at, e.payload.model_dump_json()) for e in stream.events)


def test_rows_in_any_order_give_the_same_history():
    # The importer reads the file twice and keeps only per-order notes: a scan row may come before
    # its order row, and the orders' events and truths are those of the file in its usual order.
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    shuffled = header + "".join(sorted(rows, key=lambda line: not line.startswith("scan")))
    usual, scans_first = read_history(EXAMPLE), parse_history(shuffled)
    assert shuffled != EXAMPLE.read_text(encoding="utf-8")
    assert _without_ids(scans_first) == _without_ids(usual)
    assert scans_first.truths == usual.truths
    assert scans_first.description["scan_rows"] == usual.description["scan_rows"] > 0


def test_a_scan_before_an_order_without_a_label_is_named_by_its_row():
    text = (
        "record," + HEADER.replace("\n", ",scan_at,scan_status\n")
        + "scan,B-2,,,,,,,,2026-11-16T18:00:00-06:00,accepted\n"
        + "order,B-2,2026-11-16T10:00:00-06:00,2026-11-19T20:00:00-05:00,GROUND,,,,,,\n"
    )  # fmt: skip
    assert _problems(text) == ["row 2, column order_id: scan for order 'B-2', which has no label_service"]
