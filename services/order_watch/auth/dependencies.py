"""FastAPI dependencies that authenticate a bearer token and enforce a role per endpoint.

401 (with `WWW-Authenticate: Bearer`) for a missing, unknown or revoked token; 403 when the
token's role may not call the endpoint. Both as problem+json.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.common.problems import Problem
from services.order_watch.auth import service
from services.order_watch.auth.tokens import ACT_ON_ALERTS, ACT_ON_TASKS, MANAGE, READ, Actor, Role

bearer = HTTPBearer(auto_error=False, description="A token from `order-watch token create`.")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="order-watch"'}


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """The caller behind the bearer token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "Unauthorized", "a bearer token is required", headers=CHALLENGE)
    actor = await service.active_token(request.app.state.statements, credentials.credentials)
    if actor is None:
        raise Problem(401, "Unauthorized", "token revoked or unknown", headers=CHALLENGE)
    return actor


def require(roles: frozenset[Role]) -> Callable[..., Awaitable[Actor]]:
    """A dependency admitting only callers whose role is in `roles`."""

    async def check(actor: Annotated[Actor, Depends(authenticate)]) -> Actor:
        if actor.role not in roles:
            needed = ", ".join(sorted(role.value for role in roles))
            raise Problem(403, "Forbidden", f"role {actor.role.value!r} may not do this; needs one of: {needed}")
        return actor

    return check


Reader = Annotated[Actor, Depends(require(READ))]
AlertActor = Annotated[Actor, Depends(require(ACT_ON_ALERTS))]
TaskActor = Annotated[Actor, Depends(require(ACT_ON_TASKS))]
Admin = Annotated[Actor, Depends(require(MANAGE))]
