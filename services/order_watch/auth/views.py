"""Token routes for admins: list, create (the token is shown once), revoke (never the last admin token)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from services.common.db import transaction
from services.common.problems import PROBLEM_JSON, Problem
from services.order_watch.api_docs import problems
from services.order_watch.auth import service
from services.order_watch.auth.dependencies import Admin
from services.order_watch.auth.schemas import NewTokenOut, TokenIn, TokenOut

router = APIRouter(prefix="/tokens", tags=["tokens"])
LAST_ADMIN_EXAMPLE = {
    "type": "about:blank",
    "title": "Conflict",
    "status": 409,
    "detail": "token 0b6f7a52-55a3-4f3e-9a43-1c1f3b9d2e77 is the last active admin token; "
    "create another admin token before revoking it",
}
REVOKE_RESPONSES = {
    **problems(404),
    409: {
        "description": "The last active admin token: revoking it would lock every admin out",
        "content": {PROBLEM_JSON: {"example": LAST_ADMIN_EXAMPLE}},
    },
}


@router.get("", response_model=list[TokenOut], summary="Every token, revoked ones included", responses=problems())
async def list_tokens(request: Request, _: Admin) -> list[TokenOut]:
    async with transaction(request.app.state.sessions) as session:
        tokens = await service.list_tokens(session)
    return [TokenOut.model_validate(token) for token in tokens]


@router.post(
    "", response_model=NewTokenOut, status_code=201, summary="Create a token for a role", responses=problems(422)
)
async def create_token(body: TokenIn, request: Request, actor: Admin) -> NewTokenOut:
    async with transaction(request.app.state.sessions) as session:
        token, plain = service.create_token(session, body.name, body.role, actor.name, request.app.state.clock.now())
    return NewTokenOut.model_validate({**TokenOut.model_validate(token).model_dump(), "token": plain})


@router.delete("/{token_id}", response_model=TokenOut, summary="Revoke a token at once", responses=REVOKE_RESPONSES)
async def revoke_token(token_id: uuid.UUID, request: Request, actor: Admin) -> TokenOut:
    try:
        async with transaction(request.app.state.sessions) as session:
            token = await service.revoke_token(session, token_id, actor.name, request.app.state.clock.now())
    except service.LastAdminToken as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    if token is None:
        raise Problem(404, "Not Found", f"no token {str(token_id)!r}")
    return TokenOut.model_validate(token)
