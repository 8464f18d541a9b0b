"""Rule threshold routes: everyone may read them; admins change them (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.common.db import transaction
from services.common.problems import Problem
from services.common.vocab import Severity
from services.order_watch.api_docs import problems
from services.order_watch.auth.dependencies import Admin, Reader
from services.order_watch.learning.policy import DEFAULT_POLICY, RulePolicy
from services.order_watch.thresholds import service
from services.order_watch.thresholds.schemas import MEANINGS, Threshold, ThresholdValue

router = APIRouter(prefix="/thresholds", tags=["thresholds"])


def _listed(policy: RulePolicy) -> list[Threshold]:
    return [
        Threshold(rule=rule, severity=severity, value=value, meaning=MEANINGS[rule])
        for (rule, severity), value in sorted(
            policy.thresholds.items(), key=lambda item: (item[0][0], item[0][1].value)
        )
    ]


@router.get("", response_model=list[Threshold], summary="Every rule threshold in force", responses=problems())
async def list_thresholds(request: Request, _: Reader) -> list[Threshold]:
    async with transaction(request.app.state.sessions) as session:
        return _listed(await service.policy_in_force(session))


@router.put(
    "/{rule}/{severity}",
    response_model=Threshold,
    summary="Set one rule's threshold at one severity",
    responses=problems(404, 422),
)
async def put_threshold(
    rule: str, severity: Severity, body: ThresholdValue, request: Request, actor: Admin
) -> Threshold:
    if (rule, severity) not in DEFAULT_POLICY.thresholds:
        known = ", ".join(f"{name}/{level.value}" for name, level in sorted(DEFAULT_POLICY.thresholds, key=str))
        raise Problem(404, "Not Found", f"no threshold {rule}/{severity.value}; known: {known}")
    async with transaction(request.app.state.sessions) as session:
        await service.store_threshold(session, rule, severity, body.value, actor.name, request.app.state.clock.now())
    return Threshold(rule=rule, severity=severity, value=body.value, meaning=MEANINGS[rule])
