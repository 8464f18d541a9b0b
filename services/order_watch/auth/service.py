"""Token data access: create, find by token, list and revoke; never commits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.order_watch.audit.service import record
from services.order_watch.auth.models import ApiToken
from services.order_watch.auth.tokens import Role, mint_token, token_hash


def token_view(token: ApiToken) -> dict[str, str | None]:
    """A token as the audit trail shows it (never the secret or its hash)."""
    return {
        "name": token.name,
        "role": token.role,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_token(session: AsyncSession, name: str, role: Role, actor: str, now: datetime) -> tuple[ApiToken, str]:
    """Add a token; returns the row and the plain token, which is never stored."""
    plain = mint_token()
    token = ApiToken(
        token_id=uuid.uuid4(),
        name=name,
        role=role.value,
        token_hash=token_hash(plain),
        created_at=now,
        created_by=actor,
    )
    session.add(token)
    record(session, "token", str(token.token_id), "created", actor, now, None, token_view(token))
    return token, plain


async def active_token(session: AsyncSession, plain: str) -> ApiToken | None:
    """The unrevoked token with this value, if any."""
    found = await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(plain)))
    return found if found is not None and found.revoked_at is None else None


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list(await session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.name)))


async def revoke_token(session: AsyncSession, token_id: uuid.UUID, actor: str, now: datetime) -> ApiToken | None:
    """Revoke a token (idempotent); None when there is no such token."""
    token = await session.get(ApiToken, token_id, with_for_update=True)
    if token is None or token.revoked_at is not None:
        return token
    before = token_view(token)
    token.revoked_at = now
    record(session, "token", str(token.token_id), "revoked", actor, now, before, token_view(token))
    return token
