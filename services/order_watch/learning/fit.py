"""Fit a delivery model from order snapshots as they stood at the end of the history.

The snapshots are the rules' own `OrderState`s, so the same fit serves PostgreSQL
(`order-watch learn`), a CSV import and the backtest's earlier half. Pure: `as_of` is the end
of what the history knows; anything still travelling then is censored there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from zoneinfo import ZoneInfo

from services.common.vocab import TrackingStatus
from services.order_watch.learning.distribution import distribution
from services.order_watch.learning.model import (
    ROUTINE_SCANS,
    DeliveryModel,
    Key,
    exception_keys,
    first_scan_keys,
    gap_key,
    lane,
    paid_keys,
    rounds_key,
    shipment_keys,
)
from services.order_watch.learning.transit import transit_observation
from services.order_watch.promise import Catalog, business_time_between
from services.order_watch.promise.calendar import local_date
from services.order_watch.reconcile.facts import (
    carried_level,
    delivered_scan,
    exception_reason,
    exception_stage,
    first_carrier_scan,
    is_gone,
    live_shipments,
    ordered_scans,
    shipment_calendar,
    shipment_service,
)
from services.order_watch.reconcile.state import OrderState, ScanState, ShipmentState

# Statuses after which silence is measured: the ones `stalled` watches.
# The statuses whose silence `stalled` watches; the gaps after them are what is learned.
MOVING = frozenset({TrackingStatus.ACCEPTED, TrackingStatus.IN_TRANSIT, TrackingStatus.OUT_FOR_DELIVERY})
HOUR = 3600.0


@dataclass
class _Tally:
    """Observations by cell while fitting: (duration, ended) pairs."""

    transit: dict[Key, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    first_scan: dict[Key, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    gaps: dict[Key, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    intermediate: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    rounds: dict[Key, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    rounds_seen: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    exceptions: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


def fit(
    orders: Iterable[OrderState], as_of: dt.datetime, catalog: Catalog, window_from: dt.datetime | None = None
) -> DeliveryModel:
    """The model of every live shipment in `orders`, as known at `as_of`."""
    tally = _Tally()
    for order in orders:
        for shipment in live_shipments(order):
            _observe(tally, order, shipment, as_of, catalog)
    tables = {name: _fitted(getattr(tally, name)) for name in ("transit", "first_scan", "gaps", "rounds")}
    intermediate = {carrier: (pair[0], pair[1]) for carrier, pair in sorted(tally.intermediate.items())}
    rounds_seen = {carrier: (pair[0], pair[1]) for carrier, pair in sorted(tally.rounds_seen.items())}
    exceptions = {key: (pair[0], pair[1]) for key, pair in sorted(tally.exceptions.items())}
    content = json.dumps(
        [{name: sorted(map(repr, t.items())) for name, t in tables.items()}, intermediate, rounds_seen,
         sorted(map(repr, exceptions.items()))]
    )  # fmt: skip
    version = f"{as_of.astimezone(dt.UTC):%Y%m%dT%H%MZ}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"
    return DeliveryModel(
        version, as_of, window_from, as_of, **tables, intermediate_scans=intermediate, rounds_seen=rounds_seen,
        exception_outcomes=exceptions,
    )  # fmt: skip


def _fitted(table: dict[Key, list[tuple[float, bool]]]) -> dict:
    return {key: distribution(observations) for key, observations in sorted(table.items())}


def _observe(tally: _Tally, order: OrderState, shipment: ShipmentState, as_of: dt.datetime, catalog: Catalog) -> None:
    service = shipment_service(order, shipment, catalog)
    level = carried_level(order, shipment, catalog)
    accepted, delivered = first_carrier_scan(shipment), delivered_scan(shipment)
    for key in first_scan_keys(shipment.carrier, shipment.label_service_code, level):
        latency = _business_hours(order, shipment, catalog, shipment.label_created_at, accepted, as_of)
        tally.first_scan[key].append(latency)
    if accepted is None:
        return
    on_lane = lane(order.origin_tz, order.destination_region, order.destination_tz)
    keys = (*shipment_keys(shipment.carrier, shipment.label_service_code, level, on_lane),
            *paid_keys(order.paid_service_level, on_lane))  # fmt: skip
    delivered_at = delivered.event_time if delivered else None
    observed = transit_observation(
        service, order.origin_tz, order.destination_tz, accepted.event_time, delivered_at, _last_seen(shipment, as_of)
    )
    for key in keys:
        tally.transit[key].append(observed)
    _observe_gaps(tally, order, shipment, catalog)
    _observe_exceptions(tally, order, shipment, as_of)
    if delivered is not None:
        pair = tally.intermediate[shipment.carrier.strip().lower()]
        between = [
            scan
            for scan in ordered_scans(shipment)
            if scan.status in ROUTINE_SCANS and accepted.event_time < scan.event_time < delivered.event_time
        ]
        pair[0] += bool(between)
        pair[1] += 1
        _observe_rounds(tally, order, shipment, delivered)


def _last_seen(shipment: ShipmentState, as_of: dt.datetime) -> dt.datetime:
    """Until when an undelivered parcel is known to have been travelling: `as_of`, or the carrier's
    last word when it went back to the sender or was reported lost."""
    scans = ordered_scans(shipment)
    last = scans[-1] if scans else None
    if last is not None and (last.status is TrackingStatus.RETURN_TO_SENDER or last.exception_reason is not None):
        return min(last.event_time, as_of)
    return as_of


def _observe_rounds(tally: _Tally, order: OrderState, shipment: ShipmentState, delivered: ScanState) -> None:
    """The destination-local hour the parcel went out for delivery on the day it was delivered."""
    carrier = shipment.carrier.strip().lower()
    day = local_date(delivered.event_time, order.destination_tz)
    rounds = [
        scan.event_time
        for scan in ordered_scans(shipment)
        if scan.status is TrackingStatus.OUT_FOR_DELIVERY
        and scan.event_time <= delivered.event_time
        and local_date(scan.event_time, order.destination_tz) == day
    ]
    seen = tally.rounds_seen[carrier]
    seen[1] += 1
    if rounds:
        seen[0] += 1
        local = rounds[-1].astimezone(ZoneInfo(order.destination_tz))
        tally.rounds[rounds_key(carrier)].append((round(local.hour + local.minute / 60, 2), True))


def _observe_exceptions(tally: _Tally, order: OrderState, shipment: ShipmentState, as_of: dt.datetime) -> None:
    """Per kind of exception the parcel had (reason and stage, each once), whether it was delivered
    after it. Its end is known when it was delivered, went back or was lost, or is past its promise
    undelivered (a person should have acted); a parcel still travelling in time is left out."""
    delivered = delivered_scan(shipment)
    if delivered is None and not is_gone(shipment) and as_of <= order.promised_by:
        return
    kinds = set()
    for scan in ordered_scans(shipment):
        reason = exception_reason(scan)
        if reason is not None and (delivered is None or scan.event_time < delivered.event_time):
            kinds.add((reason, exception_stage(shipment, scan)))
    cells = {key for reason, stage in kinds for key in exception_keys(shipment.carrier, reason, stage)}
    for key in cells:
        pair = tally.exceptions[key]
        pair[0] += delivered is not None
        pair[1] += 1


def _observe_gaps(tally: _Tally, order: OrderState, shipment: ShipmentState, catalog: Catalog) -> None:
    """Per status, the longest silence after a scan of that status, of a parcel that kept its promise,
    in hours of the carrier's working days (around the clock: see `business_time_between`).

    Per parcel, not per gap: an alert is per parcel, so "p99" must mean that 99 in 100 parcels
    never went that long without a scan, not that 99 in 100 gaps were shorter (a parcel has many
    gaps, and would then stall falsely several times in a hundred). Only parcels delivered by
    the promise: a normal silence is one that ended well — the silence before a late or lost
    parcel is what the rule is there to notice, and learning it as normal would teach it not to.
    """
    delivered = delivered_scan(shipment)
    if delivered is None or delivered.event_time > order.promised_by:
        return
    scans = ordered_scans(shipment)
    calendar = shipment_calendar(order, shipment, catalog)
    longest: dict[TrackingStatus, float] = {}
    for scan, following in pairwise(scans):
        if scan.status in MOVING:
            hours = business_time_between(
                calendar, scan.event_time, following.event_time, order.destination_tz, whole_days=True
            )
            longest[scan.status] = max(longest.get(scan.status, 0.0), round(hours.total_seconds() / HOUR, 1))
    for status, hours in longest.items():
        tally.gaps[gap_key(shipment.carrier, status)].append((hours, True))


def _business_hours(
    order: OrderState,
    shipment: ShipmentState,
    catalog: Catalog,
    start: dt.datetime,
    scan: ScanState | None,
    as_of: dt.datetime,
) -> tuple[float, bool]:
    end = scan.event_time if scan is not None else as_of
    calendar = shipment_calendar(order, shipment, catalog)
    hours = business_time_between(calendar, start, end, order.origin_tz).total_seconds() / HOUR
    return round(hours, 1), scan is not None
