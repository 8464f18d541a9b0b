"""Learn on the earlier part of a history, score only the later part.

`learn_until` splits the stream in time (default: when half of its orders had been placed). The
model is fitted on what was known at that instant — the events up to it, applied through the
backtest's store, so parcels still travelling then are censored, not dropped — and the replay
runs the whole stream with it (orders placed before the split are in flight and still touch the
store), but only orders placed after the split are scored. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from services.common.contracts import Envelope
from services.order_watch.backtest.replay import same_instant
from services.order_watch.backtest.store import Store
from services.order_watch.backtest.truth import OrderTruth
from services.order_watch.learning.fit import fit
from services.order_watch.learning.model import DeliveryModel
from services.order_watch.promise import Catalog


def placed_times(events: Sequence[Envelope[Any]]) -> dict[str, dt.datetime]:
    """When each order of the stream was placed."""
    return {event.payload.order_id: event.occurred_at for event in events if event.event_type == "order.placed"}


def default_split(events: Sequence[Envelope[Any]]) -> dt.datetime:
    """The instant by which half of the stream's orders had been placed."""
    placed = sorted(placed_times(events).values())
    if not placed:
        raise ValueError("the history has no orders to split")
    return placed[(len(placed) - 1) // 2]


def fit_until(events: Sequence[Envelope[Any]], origin_tz: str, until: dt.datetime, catalog: Catalog) -> DeliveryModel:
    """The model of everything the stream had shown by `until`."""
    store = Store(origin_tz)
    first = None
    for batch in same_instant(event for event in events if event.occurred_at <= until):
        first = first or batch[0].occurred_at
        store.apply_batch(batch, batch[0].occurred_at)
    snapshots = (store.snapshot(order_id) for order_id in sorted(store.orders))
    return fit((state for state in snapshots if state is not None), until, catalog, window_from=first)


def later_part(
    truths: Mapping[str, OrderTruth], placed: Mapping[str, dt.datetime], until: dt.datetime
) -> dict[str, OrderTruth]:
    """The orders placed after the split: the only ones scored."""
    return {order_id: truth for order_id, truth in truths.items() if placed.get(order_id, until) > until}
