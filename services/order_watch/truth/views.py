"""Truth routes for sales reps: one order's truth, and lookup by tracking number or customer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import snapshot
from services.common.problems import Problem
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import Reader
from services.order_watch.promise import load_catalog
from services.order_watch.truth import service
from services.order_watch.truth.build import build_truth
from services.order_watch.truth.schemas import OrderTruth, TruthBrief
from services.order_watch.truth.service import OrderRecords

router = APIRouter(tags=["truth"])


async def truth_of(session: AsyncSession, order_id: str, now: datetime, origin_tz: str) -> OrderTruth | None:
    records = await service.load_records(session, order_id)
    return truth_from(records, now, origin_tz) if records is not None else None


def truth_from(records: OrderRecords, now: datetime, origin_tz: str) -> OrderTruth:
    """The truth of an order whose records are loaded already."""
    return build_truth(records, records.state(origin_tz), now, load_catalog())


@router.get(
    "/orders/{order_id}/truth",
    response_model=OrderTruth,
    summary="The truth of an order: verdict, facts with sources, timeline, who acts by when, a summary",
    responses=problems(404),
)
async def order_truth(order_id: str, request: Request, _: Reader) -> OrderTruth:
    now = request.app.state.clock.now()
    async with snapshot(request.app.state.sessions) as session:
        truth = await truth_of(session, order_id, now, request.app.state.settings.origin_time_zone)
    if truth is None:
        raise Problem(404, "Not Found", f"no order {order_id!r}")
    return truth


@router.get(
    "/lookup",
    response_model=list[TruthBrief],
    summary="Find orders by tracking number or customer, each with its verdict and summary (newest first)",
    responses=problems(422),
)
async def lookup(
    request: Request,
    _: Reader,
    tracking_number: Annotated[str | None, Query(examples=["1Z999AA10123456784"])] = None,
    customer_id: Annotated[str | None, Query(examples=["cust-1"])] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> list[TruthBrief]:
    if tracking_number is None and customer_id is None:
        raise Problem(422, "Unprocessable Content", "give tracking_number or customer_id")
    now = request.app.state.clock.now()
    origin_tz = request.app.state.settings.origin_time_zone
    async with snapshot(request.app.state.sessions) as session:
        order_ids = await service.find_orders(
            session, tracking_number=tracking_number, customer_id=customer_id, limit=limit
        )
        truths = [await truth_of(session, order_id, now, origin_tz) for order_id in order_ids]
    fields = set(TruthBrief.model_fields)
    return [TruthBrief.model_validate(truth.model_dump(include=fields)) for truth in truths if truth is not None]
