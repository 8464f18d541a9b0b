"""Finished orders are dropped: the replay's memory follows the orders in flight, not the history.

Counted, not timed: how many orders the store held at once, at one history length and at four
times it (same orders per day), and that dropping them changes no alert — nor the model the
learning pass fits.
"""

from __future__ import annotations

from services.order_watch.backtest.learn import default_split, fit_until, settled_states
from services.order_watch.backtest.partition import replay_parallel
from services.order_watch.backtest.replay import Replay, same_instant
from services.order_watch.backtest.simulator import SimulationConfig, simulate
from services.order_watch.backtest.store import Store
from services.order_watch.learning.fit import fit
from services.order_watch.promise import load_catalog

ORIGIN = "America/Chicago"
PER_DAY = 5


def _stream(days: int):
    return simulate(SimulationConfig(orders=PER_DAY * days, seed=11, days=days))


SHORT, LONG = _stream(40), _stream(160)


def test_dropping_finished_orders_changes_no_alert():
    kept = Replay(ORIGIN).run(iter(SHORT.events))  # an iterator: nothing known of later events, nothing dropped
    dropped_replay = Replay(ORIGIN)
    dropped = dropped_replay.run(SHORT.events)
    assert kept.peak_orders_held == len(SHORT.truths)
    assert dropped.alerts == kept.alerts
    assert dropped.crossings == kept.crossings
    assert (dropped.resolutions, dropped.evaluations, dropped.scheduled_checks) == (
        kept.resolutions,
        kept.evaluations,
        kept.scheduled_checks,
    )


def test_the_orders_held_do_not_grow_with_the_history():
    short_replay, long_replay = Replay(ORIGIN), Replay(ORIGIN)
    short, long = short_replay.run(SHORT.events), long_replay.run(LONG.events)
    assert short.peak_orders_held < len(SHORT.truths) / 3
    assert long.peak_orders_held < len(LONG.truths) / 6
    # Lost, returned and never-shipped orders keep a daily check to the end of the tail, so they stay
    # held (a few per hundred orders); the rest held at once is the same at four times the history.
    never_finishing = len(long_replay.store.orders)
    assert never_finishing < len(LONG.truths) / 20
    assert long.peak_orders_held - never_finishing <= 1.2 * short.peak_orders_held


def test_after_the_tail_only_orders_with_a_pending_check_remain_and_their_scans_with_them():
    replay = Replay(ORIGIN)
    replay.run(LONG.events)
    store = replay.store
    assert set(store.orders) <= set(replay._due)
    assert len(store.orders) < len(LONG.truths) / 10
    held_tracking = {(s.carrier, s.tracking_number) for o in store.orders for s in store.shipments_by_order[o]}
    assert set(store.scans) <= held_tracking
    assert len(store.processed) <= sum(len(rows) for rows in store.scans.values()) + 4 * len(store.orders)


def test_parallel_parts_drop_finished_orders_too():
    result = replay_parallel(LONG.events, ORIGIN, workers=2, min_events_per_worker=1)
    assert result.alerts == replay_parallel(LONG.events, ORIGIN, workers=1).alerts
    assert result.peak_orders_held < len(LONG.truths) / 4


def test_the_learning_pass_forgets_settled_orders_and_fits_the_same_model():
    catalog = load_catalog()
    until = default_split(LONG.events)
    known = [event for event in LONG.events if event.occurred_at <= until]
    store = Store(ORIGIN)  # every order kept to the split, as the learning pass did before
    for batch in same_instant(known):
        store.apply_batch(batch, batch[0].occurred_at)
    kept = fit([store.snapshot(order_id) for order_id in sorted(store.orders)], until, catalog, known[0].occurred_at)
    streamed = fit_until(LONG.events, ORIGIN, until, catalog)
    fields = ("version", "window_from", "window_to", "transit", "first_scan", "gaps", "intermediate_scans")
    assert all(getattr(streamed, name) == getattr(kept, name) for name in fields)
    assert sum(1 for _ in settled_states(known, ORIGIN)) == len(store.orders)


def test_an_order_whose_events_are_all_applied_is_checked_on_a_fresh_snapshot():
    # The rules memoise the facts they ask at `now` on the snapshot: a lost parcel's snapshot kept
    # from daily check to daily check would grow to the end of the tail.
    replay = Replay(ORIGIN)
    replay.run(LONG.events)
    waiting = set(replay.store.orders)
    assert waiting and waiting <= replay._finished
    assert not waiting & set(replay.store._snapshots)
