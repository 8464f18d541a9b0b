"""The published JSON Schemas match the models; envelopes round-trip; bad lines are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.common.contracts import TOPICS, decode_event
from services.common.contracts.generate import expected_files
from services.common.publish import parse_lines
from tests.support.events import label_created, order_placed


@pytest.mark.parametrize("path", sorted(expected_files()), ids=lambda path: path.name)
def test_schema_file_matches_the_models(path) -> None:
    assert path.exists(), f"{path.name} missing: run `make schemas`"
    assert path.read_text() == expected_files()[path], f"{path.name} drifted from the models: run `make schemas`"


def test_every_topic_has_a_schema_and_a_readme_row() -> None:
    readme = (next(iter(expected_files())).parent / "README.md").read_text()
    for name in TOPICS:
        assert f"`{name}`" in readme


def test_envelope_round_trips_through_json() -> None:
    now = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
    event = order_placed("ORD-1", placed_at=now, promised_by=now + timedelta(days=2))
    decoded = decode_event("orders.v1", event.to_json_bytes())
    assert decoded == event
    assert decoded.event_type == "order.placed"


def test_naive_times_are_refused() -> None:
    now = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
    body = json.loads(order_placed("ORD-1", placed_at=now, promised_by=now).to_json_bytes())
    body["occurred_at"] = "2026-11-18T20:00:00"
    with pytest.raises(ValueError, match="occurred_at"):
        decode_event("orders.v1", json.dumps(body))


def test_publish_reports_bad_lines_by_number_and_keeps_good_ones() -> None:
    now = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
    lines = [
        order_placed("ORD-1", placed_at=now, promised_by=now).model_dump_json(),
        "",
        '{"event_type": "order.placed", "payload": {}}',
        "not json",
        label_created("ORD-1", created_at=now).model_dump_json(),
        '{"event_type": "order.teleported"}',
    ]
    good, bad = parse_lines(lines)
    assert [event.event_type for event in good] == ["order.placed", "shipment.label_created"]
    assert [line.line_number for line in bad] == [3, 4, 6]
    assert "payload" in bad[0].reason or "event_id" in bad[0].reason
    assert "unknown event_type" in bad[2].reason
