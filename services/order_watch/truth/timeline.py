"""One timeline of every source about an order — order system, warehouse, carriers, order_watch
itself — in event-time order, each entry with when we received it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from services.common.clock import wall_clock
from services.order_watch.truth.schemas import TimelineEntry
from services.order_watch.truth.service import OrderRecords


def merged_timeline(records: OrderRecords) -> list[TimelineEntry]:
    entries = [*_order_entries(records), *_shipment_entries(records), *_scan_entries(records), *_audit_entries(records)]
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(entries, key=lambda entry: (entry.event_time, entry.received_at or far_future))


def _order_entries(records: OrderRecords) -> list[TimelineEntry]:
    entries = []
    for index, (version, received) in enumerate(records.versions):
        changes = []
        if version.paid_service_level:
            changes.append(f"paid {version.paid_service_level}")
        if version.promised_by:
            changes.append(f"promised by {wall_clock(version.promised_by, records.order.destination_tz)}")
        if version.destination:
            changes.append(f"ship to {version.destination.get('city') or version.destination.get('postal_code')}")
        kind = "order.placed" if index == 0 else "order.updated"
        reason = f" ({version.reason})" if version.reason and version.reason != "placed" else ""
        description = f"{'Order placed' if index == 0 else 'Order updated'}{reason}: {', '.join(changes)}"
        entries.append(
            TimelineEntry(
                event_time=version.occurred_at,
                received_at=received,
                source="orders.v1",
                kind=kind,
                description=description,
            )
        )
    if records.order.cancelled_at is not None:
        entries.append(
            TimelineEntry(
                event_time=records.order.cancelled_at,
                received_at=None,
                source="orders.v1",
                kind="order.cancelled",
                description="Order cancelled",
            )
        )
    return entries


def _shipment_entries(records: OrderRecords) -> list[TimelineEntry]:
    entries = []
    for shipment in records.shipments:
        level = f" ({shipment.label_service_level})" if shipment.label_service_level else ""
        what = "Reship label" if shipment.is_reship else "Label"
        label = f"{shipment.carrier} {shipment.label_service_code}{level}"
        description = f"{what} created: {label}, tracking {shipment.tracking_number}"
        entries.append(
            TimelineEntry(
                event_time=shipment.label_created_at,
                received_at=shipment.received_at,
                source="shipments.v1",
                kind="shipment.label_created",
                description=description,
            )
        )
        if shipment.voided_at is not None:
            entries.append(
                TimelineEntry(
                    event_time=shipment.voided_at,
                    received_at=None,
                    source="shipments.v1",
                    kind="shipment.voided",
                    description=f"Label {shipment.tracking_number} voided",
                )
            )
    return entries


def _scan_entries(records: OrderRecords) -> list[TimelineEntry]:
    estimates = {estimate.event_id: estimate for estimate in records.estimates}
    entries = []
    for scan in records.scans:
        parts = [scan.description or scan.status.replace("_", " ")]
        if scan.location and scan.location.get("city"):
            parts.append(f"at {scan.location['city']}")
        if scan.service_level:
            parts.append(f"service {scan.service_level}")
        estimate = estimates.get(scan.event_id)
        if estimate is not None:
            parts.append(f"estimate {estimate.estimate.get('date') or _customer_day(estimate.estimated_by, records)}")
        entries.append(
            TimelineEntry(
                event_time=scan.event_time,
                received_at=scan.received_at,
                source=f"{scan.carrier} via {scan.source}",
                kind=f"tracking.{scan.status}",
                description=f"{scan.tracking_number}: {'; '.join(parts)}",
            )
        )
    return entries


def _audit_entries(records: OrderRecords) -> list[TimelineEntry]:
    entries = []
    for entry in records.audit:
        after = entry.after or {}
        detail = after.get("note") or after.get("status") or ""
        entries.append(
            TimelineEntry(
                event_time=entry.at,
                received_at=entry.at,
                source=f"order_watch ({entry.actor})",
                kind=f"{entry.entity}.{entry.action}",
                description=f"{entry.entity.capitalize()} {entry.action} by {entry.actor}"
                + (f": {detail}" if detail else ""),
            )
        )
    return entries


def _customer_day(instant: dt.datetime, records: OrderRecords) -> str:
    """An estimate's day where the customer is (a window ending 20:00 in New York is tomorrow in UTC)."""
    return instant.astimezone(ZoneInfo(records.order.destination_tz)).date().isoformat()
