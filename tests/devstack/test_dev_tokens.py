"""`make run` renews its dev tokens on every start, the admin one included, though the last
active admin token can never be revoked: the new tokens are created before the old are revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.devstack.main import dev_tokens
from services.order_watch.auth.models import ApiToken

pytestmark = pytest.mark.integration


async def test_a_second_start_replaces_every_dev_token(stack, sessions):
    first = await dev_tokens(stack.database_url)
    second = await dev_tokens(stack.database_url)
    assert set(first) == set(second) and not set(first.values()) & set(second.values())
    async with sessions() as session:
        active = list(await session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))))
        revoked = await session.scalars(select(ApiToken.name).where(ApiToken.revoked_at.is_not(None)))
        assert (
            sorted(token.name for token in active)
            == sorted(revoked.all())
            == sorted(f"dev-{name.removeprefix('ORDER_WATCH_TOKEN_').lower()}" for name in second)
        )
