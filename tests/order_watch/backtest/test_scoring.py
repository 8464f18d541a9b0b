"""Each order is scored as the replay forgets it: the same scorecard as scoring every alert kept.

A scoring replay holds an order's alerts (and a spool's truth of it) only while the order is in
flight; the tallies of parts replayed apart add up to the one scorecard. The definitions themselves
are checked on three hand-made orders.
"""

from __future__ import annotations

import datetime as dt

import pytest

from services.order_watch.backtest.alerts import CARRIER_ESTIMATE_BASELINE, ENGINE, AlertRecord
from services.order_watch.backtest.learn import default_split
from services.order_watch.backtest.metrics import Tally, tally_of
from services.order_watch.backtest.partition import replay_parallel
from services.order_watch.backtest.replay import Replay, Scoring
from services.order_watch.backtest.simulator import DEFAULT_FAILURE_RATES, SimulationConfig, simulate, simulate_into
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.truth import Failure, OrderTruth
from services.order_watch.promise import load_catalog

ORIGIN = "America/Chicago"
RATES = {failure: 3 * rate for failure, rate in DEFAULT_FAILURE_RATES.items()}
CONFIG = SimulationConfig(orders=240, seed=23, days=12, failure_rates=RATES)
STREAM = simulate(CONFIG)


def _expected(placed_after: dt.datetime | None) -> Tally:
    """The tally of a replay that kept every alert, over the orders placed after the split."""
    kept = replay_parallel(STREAM.events, ORIGIN, 1)
    assert kept.tally is None and kept.alerts
    placed = {
        event.payload.order_id: event.occurred_at for event in STREAM.events if event.event_type == "order.placed"
    }
    truths = {
        order: truth for order, truth in STREAM.truths.items() if placed_after is None or placed[order] > placed_after
    }
    return tally_of(kept.alerts, kept.crossings, truths, load_catalog())


@pytest.mark.parametrize("split", [False, True], ids=["every order", "after the split"])
def test_scoring_as_orders_are_forgotten_gives_the_scorecard_of_every_alert_kept(split):
    placed_after = default_split(STREAM.events) if split else None
    expected = _expected(placed_after)
    assert expected.population.orders and expected.systems[ENGINE].alerted
    for workers in (1, 2):
        result = replay_parallel(
            STREAM.events, ORIGIN, workers, min_events_per_worker=1, scoring=Scoring(STREAM.truths, placed_after)
        )
        assert result.tally is not None and not result.alerts and not result.crossings
        assert result.tally.card() == expected.card()
        assert result.tally.curve_rows() == expected.curve_rows()


def test_a_spool_carries_the_truths_and_scores_the_same_on_forked_workers():
    placed_after = default_split(STREAM.events)
    expected = _expected(placed_after)
    with Spool(3, run_records=400) as spool:
        stream = simulate_into(spool, CONFIG)
        assert stream.truths is None and spool.truths == CONFIG.orders
        read: dict[str, OrderTruth] = {}
        for batch, _ in spool.batches(truths=read):
            for event in batch:  # an order's truth is read no later than its first event
                assert event.event_type == "tracking.updated" or event.payload.order_id in read
        assert read == STREAM.truths
        for workers in (1, 3):
            result = replay_parallel(
                spool, ORIGIN, workers, min_events_per_worker=1, scoring=Scoring(None, placed_after)
            )
            assert result.tally is not None and result.tally.card() == expected.card()


def test_a_scoring_replay_lets_go_of_every_order_it_scored():
    replay = Replay(ORIGIN, scoring=Scoring(STREAM.truths))
    result = replay.run(STREAM.events)
    assert result.tally is not None and result.tally.population.orders == len(STREAM.truths)
    assert not replay.store.orders and not replay.truths
    assert not replay._alerts_of and not replay._crossings_of


def test_the_definitions_on_three_orders():
    tz = dt.timezone(dt.timedelta(hours=-5))
    promised = dt.datetime(2026, 11, 20, 20, tzinfo=tz)
    late = OrderTruth("L", promised, promised + dt.timedelta(days=1), Failure.STALL, ORIGIN, "America/New_York")
    on_time = OrderTruth("T", promised, promised - dt.timedelta(hours=5), Failure.NONE, ORIGIN, "America/New_York")
    lost = OrderTruth("N", promised, None, Failure.LOST, ORIGIN, "America/New_York")

    def alert(order: str, hours_before: float, system: str = ENGINE, rule: str = "stalled") -> AlertRecord:
        return AlertRecord(system, order, rule, None, promised - dt.timedelta(hours=hours_before))

    tally = Tally()
    catalog = load_catalog()
    tally.add(late, [alert("L", 6), alert("L", 30, rule="projected_late"), alert("L", 2, CARRIER_ESTIMATE_BASELINE)],
              [], catalog)  # fmt: skip
    tally.add(on_time, [alert("T", 10), alert("T", 8)], [], catalog)
    tally.add(lost, [alert("N", -3)], [], catalog)  # after the promise: alerted, but not in time
    card = tally.card()
    engine = card["systems"][ENGINE]
    assert (card["orders"], card["late_orders"], card["never_at_risk_orders"]) == (3, 2, 1)
    assert engine["alerted_orders"] == 3 and engine["alerts"] == 5
    assert engine["precision"] == round(2 / 3, 4) and engine["on_time_alerted_share"] == 1.0
    assert engine["recall"] == 0.5 and engine["lead_time_hours"]["median"] == 30.0  # the first alert counts
    assert (engine["false_alarms"], engine["false_alarm_orders"]) == (2, 1)
    assert card["engine_rules"]["stalled"]["lead_time_hours"]["median"] == 6.0
    assert card["systems"][CARRIER_ESTIMATE_BASELINE]["recall"] == 0.5
    assert set(card["by_failure"]) == {"none", "stall", "lost"} and card["by_failure"]["lost"]["late_orders"] == 1
