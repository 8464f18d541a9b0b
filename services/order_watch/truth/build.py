"""Assemble an order's truth from its records: pure, given `now` and the carrier catalog."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from services.common.vocab import LIVE_TASK, CaseStatus
from services.order_watch.promise import Catalog
from services.order_watch.reconcile import evaluate
from services.order_watch.reconcile.facts import (
    current_scan,
    delivered_scan,
    expected_arrival,
    is_finished,
    label_level,
    latest_carrier_estimate,
    live_shipments,
    reported_levels,
    shipment_service,
)
from services.order_watch.reconcile.findings import fact
from services.order_watch.reconcile.state import OrderState, ShipmentState
from services.order_watch.truth.schemas import Fact, OrderTruth, OwnedAlert, OwnedTask, ShipmentTruth
from services.order_watch.truth.service import OrderRecords
from services.order_watch.truth.summary import summarize
from services.order_watch.truth.timeline import merged_timeline
from services.order_watch.truth.verdict import judge

ORDER_SOURCE = "order (orders.v1)"


def build_truth(records: OrderRecords, state: OrderState, now: dt.datetime, catalog: Catalog) -> OrderTruth:
    shipments = {s.shipment_id: shipment_truth(state, s, catalog, now) for s in live_shipments(state)}
    primary = _primary(state)
    main = shipments.get(primary.shipment_id) if primary else None
    verdict, reason = judge(state, evaluate(state, now, catalog), _expected(state, catalog, now), now)
    open_alerts = [_owned_alert(alert) for alert in records.alerts if alert.status != CaseStatus.RESOLVED]
    open_tasks = [_owned_task(task) for task in records.tasks if task.status in LIVE_TASK]
    truth = OrderTruth(
        order_id=state.order_id,
        customer_id=state.customer_id,
        customer_name=records.order.customer_name,
        placed_at=state.placed_at,
        destination_time_zone=state.destination_tz,
        verdict=verdict.value,
        reason=reason,
        summary="",
        as_of=now,
        paid_service=Fact(**fact(state.paid_service_level, ORDER_SOURCE, records.order.promise_as_of)),
        label_service=main.label_service if main else None,
        carrier_reported_service=main.carrier_reported_service if main else None,
        promised_by=Fact(**fact(state.promised_by, ORDER_SOURCE, records.order.promise_as_of)),
        carrier_estimate=main.carrier_estimate if main else None,
        projected_delivery=main.projected_delivery if main else None,
        shipments=list(shipments.values()),
        timeline=merged_timeline(records),
        open_alerts=open_alerts,
        open_tasks=open_tasks,
    )
    return truth.model_copy(update={"summary": summarize(truth, state)})


def shipment_truth(order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime) -> ShipmentTruth:
    service = shipment_service(order, shipment, catalog)
    reported = reported_levels(shipment)
    current = current_scan(shipment)
    estimate = latest_carrier_estimate(shipment)
    delivered = delivered_scan(shipment)
    source = f"{shipment.carrier} tracking"
    return ShipmentTruth(
        shipment_id=shipment.shipment_id,
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        is_reship=shipment.is_reship,
        label_service=_fact(
            label_level(shipment, catalog) or service.level,
            f"label {shipment.carrier} {shipment.label_service_code} (shipments.v1)",
            shipment.label_created_at,
        ),
        label_service_name=service.name,
        carrier_reported_service=_fact(reported[-1].service_level, source, reported[-1].event_time)
        if reported
        else None,
        status=_fact(current.status, source, current.event_time) if current else None,
        carrier_estimate=_fact(estimate.estimated_delivery, f"{estimate.source.value} estimate", estimate.event_time)
        if estimate
        else None,
        projected_delivery=None if is_finished(shipment) else _projection(order, shipment, catalog, now),
        delivered_at=_fact(delivered.event_time, source, delivered.event_time) if delivered else None,
    )


def _fact(value: Any, source: str, as_of: dt.datetime | None) -> Fact:
    return Fact(**fact(value, source, as_of))


def _projection(order: OrderState, shipment: ShipmentState, catalog: Catalog, now: dt.datetime) -> Fact:
    """Our own expectation, ignoring the carrier's estimate: from scans, else the label's service."""
    own = expected_arrival(order, dataclasses.replace(shipment, estimates=()), catalog, now)
    return Fact(**{**own.evidence, "source": f"order_watch: {own.evidence['source']}"})


def _primary(order: OrderState) -> ShipmentState | None:
    """The parcel the customer is waiting for: the first original shipment, else the first reship."""
    shipments = sorted(live_shipments(order), key=lambda s: (s.is_reship, s.label_created_at))
    return shipments[0] if shipments else None


def _expected(order: OrderState, catalog: Catalog, now: dt.datetime) -> dt.datetime | None:
    """The earliest a parcel still travelling is expected (a reship may beat the original)."""
    travelling = [s for s in live_shipments(order) if not is_finished(s)]
    return min((expected_arrival(order, s, catalog, now).delivery for s in travelling), default=None)


def _owned_alert(alert: Any) -> OwnedAlert:
    return OwnedAlert.model_validate(alert, from_attributes=True)


def _owned_task(task: Any) -> OwnedTask:
    options = " with Saturday delivery" if "SATURDAY_DELIVERY" in (task.options or []) else ""
    return OwnedTask(
        task_id=task.task_id,
        status=task.status,
        recommendation=f"{task.service_name}{options}",
        owner=task.owner,
        act_by=task.act_by,
        expected_delivery=task.expected_delivery,
    )
