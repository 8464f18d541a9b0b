"""A made-up shop history for learning tests: UPS Ground parcels from Chicago to New York."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from services.common.vocab import ServiceLevel, TrackingStatus
from services.order_watch.reconcile import OrderState
from tests.order_watch.reconcile.builders import CATALOG, chi, label, ny, order, scan

UPS_GROUND = CATALOG.service("ups", "03")
MONDAY = dt.date(2026, 11, 2)


def parcel(
    index: int,
    transit_days: int | None,
    *,
    shipped_on: dt.date = MONDAY,
    hub_scans: bool = True,
    promised_days: int = 5,
    carrier: str = "ups",
    out_for_delivery: bool = False,
) -> OrderState:
    """A ground order shipped on `shipped_on` (17:30 Chicago) and delivered `transit_days` delivery
    days later at 14:00 New York (None: still travelling); a hub scan each night when `hub_scans`,
    and out for delivery at 08:00 New York on its delivery day when `out_for_delivery`."""
    accepted = chi(shipped_on.year, shipped_on.month, shipped_on.day, 17, 30)
    scans = [scan(f"P{index}-A", accepted, TrackingStatus.ACCEPTED)]
    days = transit_days if transit_days is not None else 3
    arrival = UPS_GROUND.calendar.add_delivery_days(shipped_on, days)
    if hub_scans:
        day = shipped_on + dt.timedelta(days=1)
        while day < arrival:
            scans.append(scan(f"P{index}-H{day}", chi(day.year, day.month, day.day, 2, 0), TrackingStatus.IN_TRANSIT))
            day += dt.timedelta(days=1)
    if transit_days is not None:
        if out_for_delivery:
            out = ny(arrival.year, arrival.month, arrival.day, 8, 0)
            scans.append(scan(f"P{index}-O", out, TrackingStatus.OUT_FOR_DELIVERY))
        scans.append(scan(f"P{index}-D", ny(arrival.year, arrival.month, arrival.day, 14, 0), TrackingStatus.DELIVERED))
    promised_on = UPS_GROUND.calendar.add_delivery_days(shipped_on, promised_days)
    shipment = label(f"S{index}", carrier=carrier, created=accepted - dt.timedelta(hours=3), scans=tuple(scans))
    return replace(
        order(shipment),
        order_id=f"H-{index}",
        paid_service_level=ServiceLevel.GROUND,
        placed_at=accepted - dt.timedelta(hours=5),
        promised_by=ny(promised_on.year, promised_on.month, promised_on.day, 20, 0),
    )


def history(transits: list[int | None], **kwargs) -> list[OrderState]:
    """One parcel per transit, shipped on successive weeks' Mondays."""
    return [parcel(i, days, shipped_on=MONDAY + dt.timedelta(weeks=i % 3), **kwargs) for i, days in enumerate(transits)]
