"""The honest backtest: learn on the earlier part, score the later; one instant, one batch; worlds
that disagree with the catalog; the threshold curve; plain notices of what the data cannot support."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from services.order_watch.backtest.alerts import ENGINE
from services.order_watch.backtest.cli import run_backtest
from services.order_watch.backtest.importer import parse_history
from services.order_watch.backtest.learn import default_split
from services.order_watch.backtest.replay import Replay, Scoring, same_instant
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.world import load_world

WORLDS = sorted((Path(__file__).parents[3] / "services/order_watch/backtest/worlds").glob("*.json"))
HEADER = "record,order_id,placed_at,promised_by,paid_service,carrier,label_service,shipped_at,delivered_at\n"


def _no_scan_history(orders: int) -> str:
    """A history of hand-over and delivery times only: every fourth order arrives a day late."""
    rows = []
    start = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    for index in range(orders):
        placed = start + dt.timedelta(days=index % 40, minutes=index)
        shipped = placed + dt.timedelta(hours=3)
        delivered = shipped + dt.timedelta(days=3 + (index % 4 == 0) * 3)
        promised = shipped + dt.timedelta(days=5)
        rows.append(f"order,N-{index},{placed.isoformat()},{promised.isoformat()},GROUND,ups,03,"
                    f"{shipped.isoformat()},{delivered.isoformat()}")  # fmt: skip
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def no_scan_card() -> dict:
    card, _ = run_backtest(parse_history(_no_scan_history(240)), workers=1)
    return card


def test_a_history_with_no_scans_never_stalls_and_says_what_it_cannot_support(no_scan_card: dict) -> None:
    assert "stalled" not in no_scan_card["engine_rules"]
    assert any(notice.startswith("no scan rows") for notice in no_scan_card["notices"])
    assert no_scan_card["learning"]["learned"] and no_scan_card["orders"] < 240  # only the later part is scored


def test_label_and_first_scan_at_one_instant_are_one_batch_and_raise_nothing() -> None:
    stream = parse_history(_no_scan_history(60))
    assert any(len(batch) == 2 for batch in same_instant(stream.events))  # the label and its acceptance

    def raised_at_label(replay: Replay) -> list:
        return [a for a in replay.result.of(ENGINE) if a.at == stream.truths[a.order_id].label_at]

    batched = Replay(stream.origin_tz)
    batched.run(stream.events)
    one_by_one = Replay(stream.origin_tz)
    for event in stream.events:  # as the replay did before: a label judged without its scan
        one_by_one.apply([event])
    assert not raised_at_label(batched)
    # Judged alone, a late label no longer says "not scanned" either: its scans get time to arrive.
    assert not raised_at_label(one_by_one)


def test_only_orders_placed_after_the_split_are_scored() -> None:
    stream = simulate(SimulationConfig(orders=60, seed=3, days=6))
    until = default_split(stream.events)
    placed = {
        event.payload.order_id: event.occurred_at for event in stream.events if event.event_type == "order.placed"
    }
    scoring = Scoring(stream.truths, until)
    scored = {order for order, truth in stream.truths.items() if scoring.wanted(truth)}
    assert 0 < len(scored) < len(stream.truths) and scored == {order for order, at in placed.items() if at > until}
    result = Replay(stream.origin_tz, scoring=scoring).run(stream.events)
    assert result.tally is not None and result.tally.population.orders == len(scored)


@pytest.mark.parametrize("path", WORLDS, ids=lambda path: path.stem)
def test_each_shipped_world_simulates_and_disagrees_with_the_catalog(path: Path) -> None:
    world = load_world(path)
    stream = simulate(SimulationConfig(orders=40, seed=5, days=5, world=world))
    assert len(stream.truths) == 40 and stream.description["world"] == world.name
    raw = json.loads(path.read_text())
    assert raw["lanes"], "a world says where it disagrees"
    catalog_world = simulate(SimulationConfig(orders=40, seed=5, days=5))
    assert _journeys(stream) != _journeys(catalog_world), "the same seed travels the same in both worlds"
    if path.stem == "no_hub_scans":
        assert not [e for e in stream.events if e.event_type == "tracking.updated" and e.payload.status == "in_transit"]


def _journeys(stream) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """What every order was promised, and each scan's carrier, status and time."""
    promises = [
        ("promise", e.payload.order_id, str(e.payload.promised_by))
        for e in stream.events
        if e.event_type == "order.placed"
    ]
    scans = [
        (e.payload.carrier, e.payload.status.value, str(e.payload.event_time))
        for e in stream.events
        if e.event_type == "tracking.updated"
    ]
    return sorted(promises + scans)


def test_the_curve_at_the_policy_threshold_matches_the_replay_at_it() -> None:
    world = load_world(next(path for path in WORLDS if path.stem == "unknown_carrier"))
    card, _ = run_backtest(simulate(SimulationConfig(orders=300, seed=9, days=14, world=world)), workers=1)
    at_policy = next(row for row in card["projected_late_curve"] if row["threshold"] == 0.8)
    assert at_policy["engine"]["alerted_orders"] == card["systems"][ENGINE]["alerted_orders"]
    assert at_policy["engine"]["recall"] == card["systems"][ENGINE]["recall"]
    alerted = [row["engine"]["alerted_orders"] for row in card["projected_late_curve"]]
    assert alerted == sorted(alerted, reverse=True)  # a higher threshold never alerts more orders
