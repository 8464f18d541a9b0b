"""Replay a stream through the live rules on a simulated clock, as the worker and scheduler would.

Each event is applied at its event time (the clock jumps there), and the orders it touched are
evaluated at once, like a worker batch. Between events, orders whose `next_check_at` has come
are evaluated at exactly that moment, like the scheduler. Findings are turned into alert
raises, reopenings and resolutions keyed like `alerts.flows` (order, rule, shipment).

Two baselines watch the same stream in the same pass: "alert once delivered late" and "alert
when the carrier's estimate passes the promise". Pure: no I/O; the clock is a `ManualClock`.

A finished order is dropped: once the stream holds no later event for it (its own, or a scan of a
tracking number it was shipped on) and no check of it is pending, nothing can change its alerts
again, so the store and the replay forget it. Memory then follows the orders in flight, not the
length of the history, and the alerts are those of a replay that kept everything.

Given a `Scoring`, the replay also scores each order as it forgets it (`metrics.Tally`): the
order's alerts are held only while it is in flight, and the result carries the tally instead of
every alert of the history.
"""

from __future__ import annotations

import datetime as dt
import gc
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.common.clock import ManualClock
from services.common.contracts import Envelope
from services.common.vocab import TrackingStatus
from services.order_watch.backtest.alerts import (
    CARRIER_ESTIMATE_BASELINE,
    DELIVERED_LATE_BASELINE,
    ENGINE,
    AlertRecord,
    Crossing,
)
from services.order_watch.backtest.metrics import Tally
from services.order_watch.backtest.store import Store
from services.order_watch.backtest.truth import OrderTruth
from services.order_watch.orders.flows import carrier_key
from services.order_watch.promise import Catalog, load_catalog
from services.order_watch.promise.calendar import local_date
from services.order_watch.reconcile import Finding, evaluate, next_check_at

# After the last event, keep the scheduler running this long so silence-based rules can fire.
DEFAULT_TAIL = dt.timedelta(days=14)


@dataclass(frozen=True)
class Scoring:
    """Score each order as the replay forgets it, instead of keeping every alert."""

    truths: Mapping[str, OrderTruth] | None = None
    """every order's truth; None: the stream carries them (a spool's truth records, `Spool.add_truth`)"""
    placed_after: dt.datetime | None = None
    """score only the orders placed after this instant (the learning split); None: every order"""

    def wanted(self, truth: OrderTruth) -> bool:
        if self.placed_after is None:
            return True
        return truth.placed_at is not None and truth.placed_at > self.placed_after


@dataclass
class ReplayResult:
    """Every alert of every system, plus counts of what the replay did."""

    alerts: list[AlertRecord] = field(default_factory=list)
    """every alert, when the replay was not scoring (with a `Scoring`: empty, see `tally`)"""
    tally: Tally | None = None
    """the scored orders' counts, when the replay was scoring"""
    crossings: list[tuple[str, dt.datetime, float]] = field(default_factory=list)
    """(order, when, P(miss)) each time an order's projected_late P(miss) rose above its highest
    so far: enough to tell when the rule would first have fired at any higher threshold."""
    resolutions: int = 0
    events: int = 0
    evaluations: int = 0
    scheduled_checks: int = 0
    peak_orders_held: int = 0
    """The most orders the store held at once (summed over parts): what memory follows."""
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None

    def of(self, system: str) -> list[AlertRecord]:
        return [alert for alert in self.alerts if alert.system == system]


class Replay:
    """Owns the store, the clock, the scheduler queue and the open alerts of one backtest run."""

    def __init__(
        self,
        origin_tz: str,
        catalog: Catalog | None = None,
        clock: ManualClock | None = None,
        scoring: Scoring | None = None,
    ) -> None:
        self.catalog = catalog or load_catalog()
        self.store = Store(origin_tz)
        self.clock = clock
        self.scoring = scoring
        self.result = ReplayResult(tally=Tally() if scoring else None)
        self.truths: dict[str, OrderTruth] = dict(scoring.truths or {}) if scoring else {}
        """the truths of the orders not scored yet (a spool fills it as it is read)"""
        self._alerts_of: dict[str, list[AlertRecord]] = defaultdict(list)
        self._crossings_of: dict[str, list[Crossing]] = defaultdict(list)
        self._open: dict[str, dict[tuple[str, str], bool]] = {}
        self._due: dict[str, dt.datetime] = {}
        # (due in UTC, order id, due): the heap compares UTC instants, which share one tzinfo and so
        # compare without asking each zone for its offset (dues come in every customer's zone).
        self._queue: list[tuple[dt.datetime, str, dt.datetime]] = []
        self._estimate_late: set[tuple[str, str]] = set()
        self._highest_p_miss: dict[str, float] = {}
        self._delivered_late: set[str] = set()
        # Stream position -> the orders whose last event it is (set by `run` over a sequence).
        self._finishing: dict[int, list[str]] = {}
        self._position = 0
        self._finished: set[str] = set()  # all their events applied; dropped once no check is pending

    def run(
        self, events: Iterable[Envelope[Any]], tail: dt.timedelta = DEFAULT_TAIL, until: dt.datetime | None = None
    ) -> ReplayResult:
        """Replay events in order, then let the scheduler run until `until` (default: `tail` past the last event)."""
        if isinstance(events, Sequence):
            self._finishing = last_touches(events)
        return self.run_batches(((batch, None) for batch in same_instant(events)), tail, until)

    def run_batches(
        self,
        batches: Iterable[tuple[list[Envelope[Any]], Sequence[str] | None]],
        tail: dt.timedelta = DEFAULT_TAIL,
        until: dt.datetime | None = None,
    ) -> ReplayResult:
        """`run` over same-instant batches, each with the orders whose last event it holds (a
        spool's finish markers); None: found from the stream positions `run` noted."""
        with no_cycle_collection():
            for batch, finishing in batches:
                if batch:
                    self.apply(batch, finishing)
                else:
                    self._finish(finishing or ())
            if until is None and self.clock is not None:
                until = self.clock.now() + tail
            if until is not None:
                self.run_due(until)
            if self.scoring is not None:
                for order_id in list(self.store.orders):  # the end: nothing will touch them again
                    self._retire(order_id)
        return self.result

    def apply(self, batch: list[Envelope[Any]], finishing: Sequence[str] | None = None) -> None:
        """Run the checks due before the batch's instant, then apply it and evaluate the orders it touched.

        Events of one instant are one batch, as a worker would see a label and its first scan that
        arrived together: the rules never judge a moment that did not exist (a label without the
        scan made at the same instant).
        """
        moment = batch[0].occurred_at
        self.run_due(moment)
        now = self._advance(moment)
        touched = self.store.apply_batch(batch, now)
        self.result.events += len(batch)
        for order_id in sorted(touched):
            self._evaluate(order_id, now)
        for event in batch:
            if event.event_type == "tracking.updated":
                self._watch_baselines(event, now)
        self.result.peak_orders_held = max(self.result.peak_orders_held, len(self.store.orders))
        if finishing is None:
            positions = range(self._position, self._position + len(batch))
            finishing = [order_id for at in positions for order_id in self._finishing.pop(at, ())]
            self._position += len(batch)
        self._finish(finishing)

    def _finish(self, order_ids: Iterable[str]) -> None:
        """Orders whose last event is applied: forgotten now, or once no check of theirs is pending."""
        for order_id in order_ids:
            if order_id in self._due:
                self._finished.add(order_id)
            else:
                self._retire(order_id)

    def run_due(self, until: dt.datetime) -> None:
        """Fire every scheduled check due at or before `until`, each at its own due time."""
        until = until.astimezone(dt.UTC)
        while self._queue and self._queue[0][0] <= until:
            _, order_id, due = heapq.heappop(self._queue)
            if self._due.get(order_id) != due:
                continue  # superseded by a later evaluation
            del self._due[order_id]
            self.result.scheduled_checks += 1
            self._evaluate(order_id, self._advance(due))

    def _advance(self, moment: dt.datetime) -> dt.datetime:
        if self.clock is None:
            self.clock = ManualClock(moment)
            self.result.started_at = moment
        elif moment > self.clock.now():
            self.clock.set(moment)
        now = self.clock.now()
        self.result.ended_at = now
        return now

    def _evaluate(self, order_id: str, now: dt.datetime) -> None:
        state = self.store.snapshot(order_id)
        if state is None:
            return
        self.result.evaluations += 1
        findings = evaluate(state, now, self.catalog)
        self._sync_alerts(order_id, findings, now)
        self._schedule(order_id, next_check_at(state, now, self.catalog, findings))
        if order_id in self._finished:
            # No event will change its rows again, but the rules memoise facts asked at `now` on
            # the snapshot itself: one kept from check to check would grow at every check, and a
            # lost or returned parcel is checked daily to the end of the tail. Built afresh at
            # each check instead, as the scheduler builds it.
            self.store.drop_snapshot(order_id)

    def _schedule(self, order_id: str, due: dt.datetime | None) -> None:
        if due is None:
            self._due.pop(order_id, None)
            if order_id in self._finished:
                self._retire(order_id)
            return
        self._due[order_id] = due
        heapq.heappush(self._queue, (due.astimezone(dt.UTC), order_id, due))

    def _retire(self, order_id: str) -> None:
        """Forget an order nothing can touch again (see the module docstring), once scored when scoring."""
        if self.scoring is not None:
            self._score(order_id)
        for shipment in self.store.shipments_by_order.get(order_id, ()):
            self._estimate_late.discard((order_id, shipment.carrier, shipment.tracking_number))
        self.store.retire(order_id)
        self._finished.discard(order_id)
        self._open.pop(order_id, None)
        self._highest_p_miss.pop(order_id, None)
        self._delivered_late.discard(order_id)

    def _score(self, order_id: str) -> None:
        alerts, crossings = self._alerts_of.pop(order_id, ()), self._crossings_of.pop(order_id, ())
        truth = self.truths.pop(order_id, None)
        tally, scoring = self.result.tally, self.scoring
        assert tally is not None and scoring is not None, "only a scoring replay scores"
        if truth is not None and scoring.wanted(truth):
            tally.add(truth, alerts, crossings, self.catalog)

    def _sync_alerts(self, order_id: str, findings: list[Finding], now: dt.datetime) -> None:
        """Raise new findings, reopen resolved ones, resolve those that disappeared (one alert per rule, shipment)."""
        alerts = self._open.setdefault(order_id, {})
        live = set()
        for finding in findings:
            self._note_p_miss(order_id, finding, now)
            key = (finding.rule, finding.shipment_id or "")
            live.add(key)
            was_open = alerts.get(key)
            if not was_open:
                self._record(ENGINE, finding.rule, order_id, finding.shipment_id, now, finding, was_open is False)
            alerts[key] = True
        for key, is_open in alerts.items():
            if is_open and key not in live:
                alerts[key] = False
                self.result.resolutions += 1

    def _note_p_miss(self, order_id: str, finding: Finding, now: dt.datetime) -> None:
        p_miss = (finding.evidence.get("p_miss") or {}).get("value")
        if p_miss is not None and p_miss > self._highest_p_miss.get(order_id, -1.0):
            self._highest_p_miss[order_id] = p_miss
            if self.scoring is None:
                self.result.crossings.append((order_id, now, p_miss))
            else:
                self._crossings_of[order_id].append((now, p_miss))

    def _record(
        self,
        system: str,
        rule: str,
        order_id: str,
        shipment_id: str | None,
        now: dt.datetime,
        finding: Finding | None = None,
        reopened: bool = False,
    ) -> None:
        record = AlertRecord(
            system=system,
            order_id=order_id,
            rule=rule,
            shipment_id=shipment_id,
            at=now,
            severity=finding.severity.value if finding else "warning",
            act_by=finding.act_by if finding else None,
            reopened=reopened,
        )
        (self.result.alerts if self.scoring is None else self._alerts_of[order_id]).append(record)

    def _watch_baselines(self, event: Envelope[Any], now: dt.datetime) -> None:
        scan = event.payload
        key = (scan.carrier.lower(), scan.tracking_number)
        for order_id in sorted(self.store.orders_by_tracking.get(key, ())):
            row = self.store.order(order_id)
            if row is None:
                continue
            if scan.status is TrackingStatus.DELIVERED and scan.event_time > row.promised_by:
                self._baseline_delivered_late(order_id, now)
            if scan.estimated_delivery is not None:
                self._baseline_estimate(order_id, key, scan.estimated_delivery, row, now)

    def _baseline_delivered_late(self, order_id: str, now: dt.datetime) -> None:
        if order_id not in self._delivered_late:
            self._delivered_late.add(order_id)
            self._record(DELIVERED_LATE_BASELINE, "delivered_late", order_id, None, now)

    def _baseline_estimate(
        self, order_id: str, key: tuple[str, str], estimate: Any, row: Any, now: dt.datetime
    ) -> None:
        """Raise when the newest estimate lands on a later destination date than the promise; clear when back."""
        zone = ZoneInfo(row.destination_tz)
        latest = estimate.latest(zone)
        late = local_date(latest, zone) > local_date(row.promised_by, zone)
        alert_key = (order_id, *key)
        if late and alert_key not in self._estimate_late:
            self._estimate_late.add(alert_key)
            self._record(CARRIER_ESTIMATE_BASELINE, "carrier_estimate_passes_promise", order_id, None, now)
        elif not late:
            self._estimate_late.discard(alert_key)


def last_touches(events: Sequence[Envelope[Any]]) -> dict[int, list[str]]:
    """Stream position -> the orders whose last event it is: an event names its order, and a scan
    touches every order shipped on its tracking number (labels anywhere in the stream count)."""
    orders_of_tracking: dict[tuple[str, str], list[str]] = defaultdict(list)
    for event in events:
        if event.event_type == "shipment.label_created":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            orders_of_tracking[key].append(event.payload.order_id)
    last: dict[str, int] = {}
    for position, event in enumerate(events):
        if event.event_type == "tracking.updated":
            key = (carrier_key(event.payload.carrier), event.payload.tracking_number)
            for order_id in orders_of_tracking.get(key, ()):
                last[order_id] = position
        else:
            last[event.payload.order_id] = position
    finishing: dict[int, list[str]] = defaultdict(list)
    for order_id, position in last.items():
        finishing[position].append(order_id)
    return dict(finishing)


def same_instant(events: Iterable[Envelope[Any]]) -> Iterator[list[Envelope[Any]]]:
    """Consecutive events (of a stream in event-time order) sharing one `occurred_at`, as batches."""
    batch: list[Envelope[Any]] = []
    for event in events:
        if batch and event.occurred_at != batch[0].occurred_at:
            yield batch
            batch = []
        batch.append(event)
    if batch:
        yield batch


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a replay.

    A replay allocates millions of rows, snapshots and findings, and none of them form cycles
    (reference counting frees them; a collection after a 1,000-order replay finds nothing), but
    the collector's full passes over the growing store took a fifth of the run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def replay(
    events: Iterable[Envelope[Any]],
    origin_tz: str,
    catalog: Catalog | None = None,
    tail: dt.timedelta = DEFAULT_TAIL,
    scoring: Scoring | None = None,
) -> ReplayResult:
    """Replay a whole stream and return every system's alerts (or, scoring, their tally)."""
    return Replay(origin_tz, catalog, scoring=scoring).run(events, tail)
