"""Learn on the earlier part of a history, score only the later part.

`learn_until` splits the stream in time (default: when half of its orders had been placed). The
model is fitted on what was known at that instant — the events up to it, applied through the
backtest's store, so parcels still travelling then are censored, not dropped — and the replay
runs the whole stream with it (orders placed before the split are in flight and still touch the
store), but only orders placed after the split are scored (`replay.Scoring.placed_after`). Each
order is handed to the fit once the learning part holds nothing more for it, then forgotten, so the
learning pass holds the orders in flight, not half the history. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from services.common.contracts import Envelope
from services.order_watch.backtest.replay import last_touches, same_instant
from services.order_watch.backtest.spool import Spool
from services.order_watch.backtest.store import Store
from services.order_watch.learning.fit import fit
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.promise import Catalog
from services.order_watch.reconcile.state import OrderState


def placed_instants(events: Sequence[Envelope[Any]] | Spool) -> list[dt.datetime]:
    """When the stream's orders were placed: one instant per order.placed event, in stream order."""
    if isinstance(events, Spool):
        return events.placed  # noted as it was written
    return [event.occurred_at for event in events if event.event_type == "order.placed"]


def default_split(events: Sequence[Envelope[Any]] | Spool) -> dt.datetime:
    """The instant by which half of the stream's orders had been placed."""
    placed = sorted(placed_instants(events))
    if not placed:
        raise ValueError("the history has no orders to split")
    return placed[(len(placed) - 1) // 2]


def fit_until(
    events: Sequence[Envelope[Any]] | Spool, origin_tz: str, until: dt.datetime, catalog: Catalog
) -> DeliveryModel:
    """The model of everything the stream had shown by `until`."""
    if isinstance(events, Spool):
        first = events.first_at if events.first_at is not None and events.first_at <= until else None
        return fit(spooled_settled_states(events, origin_tz, until), until, catalog, window_from=first)
    known = [event for event in events if event.occurred_at <= until]
    first = known[0].occurred_at if known else None
    return fit(settled_states(known, origin_tz), until, catalog, window_from=first)


def settled_states(events: Sequence[Envelope[Any]], origin_tz: str) -> Iterator[OrderState]:
    """Each order's snapshot after the last of `events` that touches it, as soon as that event is
    applied; the order is then forgotten. The fit only counts observations per cell, so the order
    the snapshots come in does not change the model."""
    store, finishing, position = Store(origin_tz), last_touches(events), 0
    for batch in same_instant(events):
        store.apply_batch(batch, batch[0].occurred_at)
        for at in range(position, position + len(batch)):
            for order_id in finishing.pop(at, ()):
                state = store.snapshot(order_id)
                if state is not None:
                    yield state
                store.retire(order_id)
        position += len(batch)


def spooled_settled_states(spool: Spool, origin_tz: str, until: dt.datetime) -> Iterator[OrderState]:
    """`settled_states` of a spool's events up to `until`. An order whose last event in the whole
    stream comes by `until` is handed over at its finish marker, as `settled_states` does at its last
    known event; the others — in flight at `until` — once the known part is applied (the fit does
    not depend on the order snapshots come in)."""
    store = Store(origin_tz)
    for batch, finishing in spool.batches():
        if batch and batch[0].occurred_at > until:
            break
        if batch:
            store.apply_batch(batch, batch[0].occurred_at)
        for order_id in finishing:
            state = store.snapshot(order_id)
            if state is not None:
                yield state
            store.retire(order_id)
    for order_id in list(store.orders):
        state = store.snapshot(order_id)
        if state is not None:
            yield state
        store.retire(order_id)
