"""Escalation policy routes: everyone may read them; admins change them (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.db import transaction
from services.common.problems import Problem
from services.common.vocab import Severity
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import Admin, Reader
from services.order_watch.escalation import service
from services.order_watch.escalation.policies import EscalationPolicy

router = APIRouter(prefix="/escalation/policies", tags=["escalation"])


@router.get(
    "", response_model=list[EscalationPolicy], summary="The escalation policy of each severity", responses=problems()
)
async def list_policies(request: Request, _: Reader) -> list[EscalationPolicy]:
    async with transaction(request.app.state.sessions) as session:
        policies = await service.policies_in_force(session)
    return [policies[severity] for severity in Severity]


@router.put(
    "/{severity}",
    response_model=EscalationPolicy,
    summary="Replace the policy of one severity",
    responses=problems(422),
)
async def put_policy(severity: Severity, body: EscalationPolicy, request: Request, actor: Admin) -> EscalationPolicy:
    if body.severity != severity:
        raise Problem(422, "Unprocessable Content", f"body.severity {body.severity.value!r} differs from the path")
    async with transaction(request.app.state.sessions) as session:
        await service.store_policy(session, body, actor.name, request.app.state.clock.now())
    return body
