"""`GET /orders/{order_id}/audit`: who changed what about an order's alerts and tasks, and when."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.db import transaction
from services.order_watch.api_docs import problems
from services.order_watch.audit.schemas import AuditEntryOut
from services.order_watch.audit.service import trail_of_order
from services.order_watch.auth.dependencies import Reader

router = APIRouter(tags=["audit"])


@router.get(
    "/orders/{order_id}/audit",
    response_model=list[AuditEntryOut],
    summary="The audit trail of an order: every change by a person or the system, oldest first",
    responses=problems(),
)
async def order_audit(order_id: str, request: Request, _: Reader) -> list[AuditEntryOut]:
    async with transaction(request.app.state.sessions) as session:
        entries = await trail_of_order(session, order_id)
    return [AuditEntryOut.model_validate(entry) for entry in entries]
