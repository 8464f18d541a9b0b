"""Apply a batch of consumed events to order state, idempotently, in the caller's transaction.

Events are grouped by type and written with bulk statements; each event id is claimed in
`processed_events` first, so a redelivered batch changes nothing. `apply_events` returns the
orders the batch touched, so rules run only for those; the worker stores with `store_events` and
asks `orders_touched_by` in its evaluating transaction.

Everything but the statements is pure and public (grouping, row mappers, the promise fold, the
cancellations and voids of a batch): the backtest's in-memory store applies events with the same
functions, so it cannot drift from the worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence, Set
from datetime import datetime, timedelta, timezone, tzinfo
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.contracts import Envelope
from services.order_watch.orders import service
from services.order_watch.orders.models import CarrierEstimate, Order, PromiseVersion, Shipment, TrackingEvent


async def apply_events(session: AsyncSession, events: Sequence[Envelope[Any]], now: datetime) -> set[str]:
    """Apply the events not seen before; returns the orders they touch (as `orders_touched_by`)."""
    return await orders_touched_by(session, await store_events(session, events, now))


async def store_events(session: AsyncSession, events: Sequence[Envelope[Any]], now: datetime) -> list[Envelope[Any]]:
    """Apply the events not seen before; returns those."""
    fresh_ids = await service.claim_new_events(session, ((e.event_id, e.event_type) for e in events), now)
    by_type = fresh_by_type(events, fresh_ids)
    await _apply_orders(session, by_type, now)
    await _apply_shipments(session, by_type, now)
    await _apply_tracking(session, by_type.get("tracking.updated", []), now)
    return [event for fresh in by_type.values() for event in fresh]


async def orders_touched_by(session: AsyncSession, events: Sequence[Envelope[Any]]) -> set[str]:
    """The orders these events concern: an order or shipment event names its order, a scan is
    found through the shipments on its tracking number — as far as this transaction sees them.

    The worker asks in a transaction after the one that applied the batch: a label another worker
    commits meanwhile is then either seen here, or its own evaluation sees this batch's scans
    (`worker.BatchApplier`)."""
    scans = [event for event in events if event.event_type == "tracking.updated"]
    named = {event.payload.order_id for event in events if event.event_type != "tracking.updated"}
    return named | await service.orders_of_tracking(session, tracking_keys(scans))


def fresh_by_type(events: Iterable[Envelope[Any]], fresh_ids: Set[uuid.UUID]) -> dict[str, list[Envelope[Any]]]:
    """The events not seen before, in event-time order (not arrival order), grouped by event type."""
    by_type: dict[str, list[Envelope[Any]]] = {}
    for event in sorted((e for e in events if e.event_id in fresh_ids), key=lambda e: e.occurred_at):
        by_type.setdefault(event.event_type, []).append(event)
    return by_type


async def _apply_orders(session: AsyncSession, by_type: dict[str, list[Envelope[Any]]], now: datetime) -> None:
    placed = by_type.get("order.placed", [])
    updated = by_type.get("order.updated", [])
    await service.insert_ignore(session, Order, [order_row(e, now) for e in placed])
    await service.insert_ignore(session, PromiseVersion, [version_row(e) for e in placed + updated])
    await _refresh_promises(session, {e.payload.order_id for e in placed + updated}, now)
    await service.cancel_orders(session, cancellations(by_type), now)


async def _refresh_promises(session: AsyncSession, order_ids: set[str], now: datetime) -> None:
    if not order_ids:
        return
    versions = await service.promise_versions(session, order_ids)
    await service.update_orders(
        session, {order_id: {**promise_in_force(rows), "updated_at": now} for order_id, rows in versions.items()}
    )


def promise_in_force(versions: Iterable[Any]) -> dict[str, Any]:
    """The order columns the promise versions set, folded in the order they happened.

    Folding (instead of applying each update as it comes) makes the result independent of
    arrival order: an update that arrives before its order.placed still counts. `versions` are
    `PromiseVersion` rows or anything with their attributes; ties in `occurred_at` keep the
    given order (the database's insertion order).
    """
    current: dict[str, Any] = {}
    for version in sorted(versions, key=attrgetter("occurred_at")):
        current.update(_version_fields(version))
        current["promise_as_of"] = version.occurred_at
    return current


def _version_fields(version: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if version.promised_by is not None:
        fields["promised_by"] = version.promised_by
    if version.paid_service_level is not None:
        fields["paid_service_level"] = version.paid_service_level
    if version.destination is not None:
        fields["destination"] = version.destination
        fields["destination_tz"] = version.destination["time_zone"]
        fields["residential"] = version.destination.get("residential", True)
    return fields


def cancellations(by_type: dict[str, list[Envelope[Any]]]) -> dict[str, datetime]:
    """Order id → its earliest cancellation in the batch; `service.cancel_orders` keeps the earliest
    ever, so how events are batched or ordered cannot change when an order was cancelled."""
    return earliest((e.payload.order_id, e.occurred_at) for e in by_type.get("order.cancelled", []))


def voids(by_type: dict[str, list[Envelope[Any]]]) -> dict[str, datetime]:
    """Shipment id → its earliest void in the batch (`service.void_shipments` keeps the earliest ever)."""
    return earliest((e.payload.shipment_id, e.occurred_at) for e in by_type.get("shipment.voided", []))


def earliest(pairs: Iterable[tuple[str, datetime]]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for key, at in pairs:
        found[key] = min(at, found.get(key, at))
    return found


async def _apply_shipments(session: AsyncSession, by_type: dict[str, list[Envelope[Any]]], now: datetime) -> None:
    labels = by_type.get("shipment.label_created", [])
    await service.insert_ignore(session, Shipment, [shipment_row(e, now) for e in labels])
    await service.void_shipments(session, voids(by_type))


async def _apply_tracking(session: AsyncSession, events: list[Envelope[Any]], now: datetime) -> None:
    if not events:
        return
    await service.insert_ignore(session, TrackingEvent, [tracking_row(e, now) for e in events])
    estimates = [estimate_row(e, now) for e in events if e.payload.estimated_delivery is not None]
    await service.insert_ignore(session, CarrierEstimate, estimates)


def carrier_key(carrier: str) -> str:
    """Carrier names as stored and matched: "UPS" and "ups" are the same carrier."""
    return carrier.lower()


def tracking_keys(events: Iterable[Envelope[Any]]) -> set[tuple[str, str]]:
    """(carrier, tracking number) of each scan as stored: the shipments whose orders the scans touch."""
    return {(carrier_key(e.payload.carrier), e.payload.tracking_number) for e in events}


def order_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    order = event.payload
    return {
        "order_id": order.order_id,
        "customer_id": order.customer.customer_id,
        "customer_name": order.customer.name,
        "customer_tier": order.customer.tier.value,
        "order_value": order.order_value.amount,
        "currency": order.order_value.currency,
        "placed_at": order.placed_at,
        "destination": order.destination.model_dump(mode="json"),
        "destination_tz": order.destination.time_zone,
        "residential": order.destination.residential,
        "paid_service_level": order.paid_service_level.value,
        "promised_by": order.promised_by,
        "promise_as_of": event.occurred_at,
        "lines": [line.model_dump(mode="json") for line in order.lines],
        "ship_from_postal_code": order.ship_from_postal_code,
        "updated_at": now,
    }


def version_row(event: Envelope[Any]) -> dict[str, Any]:
    payload = event.payload
    destination = getattr(payload, "destination", None)
    level = getattr(payload, "paid_service_level", None)
    return {
        "order_id": payload.order_id,
        "event_id": event.event_id,
        "occurred_at": event.occurred_at,
        "promised_by": payload.promised_by,
        "paid_service_level": level.value if level else None,
        "destination": destination.model_dump(mode="json") if destination else None,
        "reason": getattr(payload, "reason", None) or ("placed" if event.event_type == "order.placed" else None),
    }


def shipment_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    label = event.payload
    return {
        "shipment_id": label.shipment_id,
        "order_id": label.order_id,
        "carrier": carrier_key(label.carrier),
        "tracking_number": label.tracking_number,
        "label_service_code": label.label_service_code,
        "label_service_level": label.label_service_level.value if label.label_service_level else None,
        "label_options": [option.value for option in label.label_options],
        "label_created_at": label.label_created_at,
        "ship_from_postal_code": label.ship_from_postal_code,
        "lines": [line.model_dump(mode="json") for line in label.lines],
        "is_reship": label.is_reship,
        "received_at": now,
    }


def tracking_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    """The `tracking_events` row: the columns the rules read, where the scan was, and the scan as received."""
    scan = event.payload
    # The models themselves: the bulk insert encodes JSON columns straight from them (common/bulk.py).
    return {**scan_row(event, now), "location": scan.location, "payload": scan}


def scan_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    """The `tracking_events` columns the rules read (the backtest keeps only these)."""
    scan = event.payload
    return {
        "event_id": event.event_id,
        "carrier": carrier_key(scan.carrier),
        "tracking_number": scan.tracking_number,
        "source": scan.source,
        "status": scan.status.value,
        "exception_reason": scan.exception_reason.value if scan.exception_reason else None,
        "raw_status_code": scan.raw_status_code,
        "description": (scan.description or "")[:500] or None,
        "event_time": scan.event_time,
        "service_level": scan.service_level.value if scan.service_level else None,
        "received_at": now,
    }


def estimate_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    scan = event.payload
    estimate = scan.estimated_delivery
    return {
        "event_id": event.event_id,
        "carrier": carrier_key(scan.carrier),
        "tracking_number": scan.tracking_number,
        "estimated_by": estimate.latest(_scan_zone(scan)),
        "estimate": estimate.model_dump(mode="json"),
        "source": estimate.source.value,
        "event_time": scan.event_time,
        "received_at": now,
    }


def _scan_zone(scan: Any) -> tzinfo:
    """Where a bare estimate date is read when the order (and its destination) may be unknown:
    the scan's zone, else its UTC offset. Rules re-read the stored date at the destination."""
    if scan.time_zone:
        return ZoneInfo(scan.time_zone)
    return timezone(timedelta(minutes=scan.utc_offset_minutes or 0))
