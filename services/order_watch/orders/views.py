"""Order routes: the order as stored, with its shipments, their scans and estimates."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.db import snapshot
from services.common.problems import Problem
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import Reader
from services.order_watch.orders import service
from services.order_watch.orders.schemas import EstimateOut, OrderOut, ShipmentOut, TrackingEventOut

router = APIRouter(tags=["orders"])


@router.get(
    "/orders/{order_id}",
    response_model=OrderOut,
    summary="An order with its shipments, tracking events and carrier estimates",
    responses=problems(404),
)
async def get_order(order_id: str, request: Request, _: Reader) -> OrderOut:
    async with snapshot(request.app.state.sessions) as session:
        order = await service.get_order(session, order_id)
        if order is None:
            raise Problem(404, "Not Found", f"no order {order_id!r}")
        shipments = await service.shipments_of(session, [order_id])
        keys = [(s.carrier, s.tracking_number) for s in shipments]
        scans = await service.tracking_of(session, keys)
        estimates = await service.estimates_of(session, keys)
    out = OrderOut.model_validate(order)
    out.shipments = [
        ShipmentOut.model_validate(shipment).model_copy(
            update={
                "tracking_events": [
                    TrackingEventOut.model_validate(scan)
                    for scan in scans
                    if (scan.carrier, scan.tracking_number) == (shipment.carrier, shipment.tracking_number)
                ],
                "estimates": [
                    EstimateOut.model_validate(estimate)
                    for estimate in estimates
                    if (estimate.carrier, estimate.tracking_number) == (shipment.carrier, shipment.tracking_number)
                ],
            }
        )
        for shipment in shipments
    ]
    return out
