"""Apply a batch of consumed events to order state, idempotently, in the caller's transaction.

Events are grouped by type and written with bulk statements; each event id is claimed in
`processed_events` first, so a redelivered batch changes nothing. Returns the orders the batch
touched, so rules run only for those.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.contracts import Envelope
from services.order_watch.orders import service
from services.order_watch.orders.models import CarrierEstimate, Order, PromiseVersion, Shipment, TrackingEvent


async def apply_events(session: AsyncSession, events: Sequence[Envelope[Any]], now: datetime) -> set[str]:
    fresh_ids = await service.claim_new_events(session, ((e.event_id, e.event_type) for e in events), now)
    fresh = sorted((e for e in events if e.event_id in fresh_ids), key=lambda e: e.occurred_at)
    by_type: dict[str, list[Envelope[Any]]] = {}
    for event in fresh:
        by_type.setdefault(event.event_type, []).append(event)
    touched: set[str] = set()
    touched |= await _apply_orders(session, by_type, now)
    touched |= await _apply_shipments(session, by_type, now)
    touched |= await _apply_tracking(session, by_type.get("tracking.updated", []), now)
    return touched


async def _apply_orders(session: AsyncSession, by_type: dict[str, list[Envelope[Any]]], now: datetime) -> set[str]:
    placed = by_type.get("order.placed", [])
    updated = by_type.get("order.updated", [])
    await service.insert_ignore(session, Order, [_order_row(e, now) for e in placed])
    await service.insert_ignore(session, PromiseVersion, [_version_row(e) for e in placed + updated])
    await _refresh_promises(session, {e.payload.order_id for e in placed + updated}, now)
    cancelled = {e.payload.order_id: e.occurred_at for e in by_type.get("order.cancelled", [])}
    await service.cancel_orders(session, cancelled, now)
    return {e.payload.order_id for e in placed + updated} | set(cancelled)


async def _refresh_promises(session: AsyncSession, order_ids: set[str], now: datetime) -> None:
    """The promise in force is the fold of every version in the order they happened.

    Folding (instead of applying each update as it comes) makes the result independent of
    arrival order: an update that arrives before its order.placed still counts.
    """
    if not order_ids:
        return
    for order_id, versions in (await service.promise_versions(session, order_ids)).items():
        current: dict[str, Any] = {}
        for version in versions:
            current.update(_version_fields(version))
            current["promise_as_of"] = version.occurred_at
        current["updated_at"] = now
        await service.update_order(session, order_id, current)


def _version_fields(version: PromiseVersion) -> dict[str, Any]:
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


async def _apply_shipments(session: AsyncSession, by_type: dict[str, list[Envelope[Any]]], now: datetime) -> set[str]:
    labels = by_type.get("shipment.label_created", [])
    await service.insert_ignore(session, Shipment, [_shipment_row(e, now) for e in labels])
    voided = {e.payload.shipment_id: e.occurred_at for e in by_type.get("shipment.voided", [])}
    await service.void_shipments(session, voided)
    return {e.payload.order_id for e in labels + by_type.get("shipment.voided", [])}


async def _apply_tracking(session: AsyncSession, events: list[Envelope[Any]], now: datetime) -> set[str]:
    if not events:
        return set()
    await service.insert_ignore(session, TrackingEvent, [_tracking_row(e, now) for e in events])
    estimates = [_estimate_row(e, now) for e in events if e.payload.estimated_delivery is not None]
    await service.insert_ignore(session, CarrierEstimate, estimates)
    return await service.orders_of_tracking(session, ((e.payload.carrier, e.payload.tracking_number) for e in events))


def _order_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
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


def _version_row(event: Envelope[Any]) -> dict[str, Any]:
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


def _shipment_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    label = event.payload
    return {
        "shipment_id": label.shipment_id,
        "order_id": label.order_id,
        "carrier": label.carrier.lower(),
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


def _tracking_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    scan = event.payload
    return {
        "event_id": event.event_id,
        "carrier": scan.carrier.lower(),
        "tracking_number": scan.tracking_number,
        "source": scan.source,
        "status": scan.status.value,
        "exception_reason": scan.exception_reason.value if scan.exception_reason else None,
        "raw_status_code": scan.raw_status_code,
        "description": (scan.description or "")[:500] or None,
        "event_time": scan.event_time,
        "service_level": scan.service_level.value if scan.service_level else None,
        "location": scan.location.model_dump(mode="json") if scan.location else None,
        "payload": scan.model_dump(mode="json"),
        "received_at": now,
    }


def _estimate_row(event: Envelope[Any], now: datetime) -> dict[str, Any]:
    scan = event.payload
    estimate = scan.estimated_delivery
    return {
        "event_id": event.event_id,
        "carrier": scan.carrier.lower(),
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
