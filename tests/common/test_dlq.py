"""Dead letters read as an operator needs them: headers parsed, filters, the list and show views,
and what a replay sends. Pure: records are built here as the broker would hand them over."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.structs import ConsumerRecord

from services.common.dlq import (
    REPLAYED_FROM,
    DeadLetter,
    Selection,
    list_lines,
    parse_position,
    replay_headers,
    replay_refusal,
    show_text,
)
from tests.support.events import order_placed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def failure_headers(reason: str, detail: str, source: str = "p.orders.v1:2:40") -> list[tuple[str, bytes]]:
    """The headers `BatchConsumer.dead_letter` appends."""
    return [
        ("dlq.reason", reason.encode()),
        ("dlq.detail", detail.encode()),
        ("dlq.source", source.encode()),
        ("dlq.failed_at", NOW.isoformat().encode()),
    ]


def letter(value: bytes, headers: list[tuple[str, bytes]], *, partition: int = 3, offset: int = 17) -> DeadLetter:
    record = ConsumerRecord("p.orders.v1.dlq", partition, offset, 0, 0, b"order-1", value, None, 7, len(value), headers)
    return DeadLetter.from_record("orders.v1", record)


def placed_bytes() -> tuple[str, bytes]:
    event = order_placed("order-1", placed_at=NOW, promised_by=NOW + timedelta(days=2))
    return str(event.event_id), event.to_json_bytes()


def test_the_failure_headers_and_the_event_are_read_from_a_dead_letter():
    event_id, value = placed_bytes()
    dead = letter(value, [("traceparent", b"00-abc-01"), *failure_headers("unprocessable", "IntegrityError: x")])
    assert (dead.reason, dead.detail, dead.source) == ("unprocessable", "IntegrityError: x", "p.orders.v1:2:40")
    assert dead.failed_at == NOW.isoformat()
    assert (dead.event_id, dead.event_type) == (event_id, "order.placed")
    assert dead.name == "orders.v1 3:17"


def test_an_undecodable_value_has_no_event_and_the_consumers_own_header_wins():
    dead = letter(b"\xff not json", [("dlq.reason", b"forged"), *failure_headers("undecodable", "Invalid JSON")])
    assert dead.reason == "undecodable"
    assert (dead.event_id, dead.event_type) == (None, None)
    assert letter(b"[1, 2]", []).event_id is None


def test_selection_by_topic_reason_and_position():
    bad = letter(b"x", failure_headers("undecodable", "no"), offset=1)
    failed = letter(b"y", failure_headers("unprocessable", "no"), offset=2)
    assert Selection().select([bad, failed]) == [bad, failed]
    assert Selection(reason="unprocessable").select([bad, failed]) == [failed]
    assert Selection(topic="shipments.v1").select([bad, failed]) == []
    asked = Selection("orders.v1", positions=frozenset({(3, 2), (3, 9)}))
    assert asked.select([bad, failed]) == [failed]
    assert asked.missing([failed]) == [(3, 9)]


def test_the_list_is_one_aligned_line_per_dead_letter_with_the_detail_on_one_line():
    event_id, value = placed_bytes()
    long_detail = "1 validation error\n  payload.order_id\n    " + "x" * 300
    lines = list_lines([letter(value, failure_headers("unprocessable", long_detail)), letter(b"?", [], offset=4)])
    assert len(lines) == 3
    assert lines[0].split() == ["TOPIC", "AT", "REASON", "FAILED_AT", "EVENT_TYPE", "EVENT_ID", "SOURCE", "DETAIL"]
    first, second = lines[1].split(maxsplit=7), lines[2].split(maxsplit=7)
    assert first[:7] == [
        "orders.v1",
        "3:17",
        "unprocessable",
        NOW.isoformat(),
        "order.placed",
        event_id,
        "p.orders.v1:2:40",
    ]
    assert first[7].startswith("1 validation error payload.order_id x") and first[7].endswith("…")
    assert len(first[7]) == 100
    assert second == ["orders.v1", "3:4", "-", "-", "-", "-", "-", "-"]
    assert lines[1].index("1 validation") == lines[0].index("DETAIL")


def test_show_prints_the_value_as_json_and_every_header():
    event_id, value = placed_bytes()
    shown = json.loads(show_text(letter(value, [("tag", b"a"), ("tag", b"b"), *failure_headers("undecodable", "?")])))
    assert shown["value"]["event_id"] == event_id
    assert shown["headers"]["tag"] == ["a", "b"]
    assert shown["headers"]["dlq.reason"] == "undecodable"
    assert (shown["topic"], shown["partition"], shown["offset"], shown["key"]) == ("orders.v1", 3, 17, "order-1")
    assert json.loads(show_text(letter(b"\xff not json", [])))["value"] == "\\xff not json"


def test_a_replay_keeps_the_original_headers_and_names_where_it_came_from():
    dead = letter(b"{}", [("traceparent", b"00-abc-01"), ("dlq.replayed_from", b"old"), *failure_headers("x", "y")])
    assert replay_headers(dead) == [("traceparent", b"00-abc-01"), (REPLAYED_FROM, b"orders.v1.dlq:3:17")]


def test_only_what_this_version_decodes_is_worth_replaying():
    _, value = placed_bytes()
    assert replay_refusal(letter(value, [])) is None
    assert replay_refusal(letter(b'{"event_type": "order.placed"}', [])) == (
        "still undecodable: order.placed.event_id: Field required"
    )
    assert replay_refusal(letter(b"\xff", [])).startswith("still undecodable: ")


@pytest.mark.parametrize("text", ["3", "a:1", "1:", ":1", "-1:2", "1:2:3"])
def test_a_position_is_partition_colon_offset(text):
    assert parse_position("3:17") == (3, 17)
    with pytest.raises(ValueError, match="PARTITION:OFFSET"):
        parse_position(text)
