"""The last active admin token cannot be revoked — over HTTP, from the command line, and when two
admins revoke each other at the same moment (one request must never lock every admin out)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from services.common.db import transaction
from services.order_watch.auth import service
from services.order_watch.auth.models import ApiToken
from services.order_watch.auth.tokens import Role
from services.order_watch.cli import main as order_watch_cli

pytestmark = pytest.mark.integration


async def active_admins(sessions) -> list[str]:
    async with sessions() as session:
        query = select(ApiToken.name).where(ApiToken.role == Role.ADMIN.value, ApiToken.revoked_at.is_(None))
        return sorted(await session.scalars(query))


async def token_id_of(sessions, name: str) -> str:
    async with sessions() as session:
        return str(await session.scalar(select(ApiToken.token_id).where(ApiToken.name == name)))


async def second_admin(api) -> tuple[str, dict[str, str]]:
    created = (await api.call("POST", "/tokens", Role.ADMIN, json={"name": "second-admin", "role": "admin"})).json()
    return created["token_id"], {"authorization": f"Bearer {created['token']}"}


async def test_the_only_admin_token_cannot_be_revoked_and_keeps_working(api):
    own_id = await token_id_of(api.sessions, "admin")
    refused = await api.call("DELETE", f"/tokens/{own_id}", Role.ADMIN)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == (
        f"token {own_id} is the last active admin token; create another admin token before revoking it"
    )
    assert (await api.call("GET", "/tokens", Role.ADMIN)).status_code == 200
    assert await active_admins(api.sessions) == ["admin"]


async def test_with_a_second_admin_either_may_go_but_not_both(api):
    second_id, second = await second_admin(api)
    first_id = await token_id_of(api.sessions, "admin")
    revoked = await api.client.delete(f"/tokens/{first_id}", headers=second)
    assert revoked.status_code == 200, revoked.text
    assert (await api.client.delete(f"/tokens/{second_id}", headers=second)).status_code == 409
    assert await active_admins(api.sessions) == ["second-admin"]
    sales_id = await token_id_of(api.sessions, "sales")
    assert (await api.client.delete(f"/tokens/{sales_id}", headers=second)).status_code == 200


async def test_two_admins_revoking_each_other_at_once_leave_one(api):
    second_id, second = await second_admin(api)
    first_id = await token_id_of(api.sessions, "admin")
    answers = await asyncio.gather(
        api.client.delete(f"/tokens/{second_id}", headers=api.auth(Role.ADMIN)),
        api.client.delete(f"/tokens/{first_id}", headers=second),
    )
    statuses = sorted(answer.status_code for answer in answers)
    # The loser is refused as the last admin (409), or, if the winner committed before it even
    # authenticated, as a revoked token (401): never both revoked.
    assert statuses[0] == 200 and statuses[1] in (401, 409), [answer.text for answer in answers]
    assert len(await active_admins(api.sessions)) == 1


async def test_a_revocation_waits_for_a_concurrent_one_and_then_sees_it(api):
    """The lock on the admin rows, step by step: the second revoker blocks, then counts one admin."""
    second_id, _ = await second_admin(api)
    first_id = await token_id_of(api.sessions, "admin")
    now = api.clock.now()
    async with transaction(api.sessions) as first:
        await service.revoke_token(first, first_id, "second-admin", now)

        async def revoke_the_other() -> None:
            async with transaction(api.sessions) as other:
                await service.revoke_token(other, second_id, "admin", now)

        racing = asyncio.create_task(revoke_the_other())
        await asyncio.sleep(0.5)
        assert not racing.done(), "the second revocation did not wait for the first"
    with pytest.raises(service.LastAdminToken):
        await racing
    assert await active_admins(api.sessions) == ["second-admin"]


async def test_the_command_line_refuses_with_one_line_and_exit_code_2(api, stack, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    own_id = await token_id_of(api.sessions, "admin")
    capsys.readouterr()
    with pytest.raises(SystemExit) as refused:
        await asyncio.to_thread(order_watch_cli, ["token", "revoke", own_id])
    assert refused.value.code == 2
    assert capsys.readouterr().err == (
        f"refused: token {own_id} is the last active admin token; create another admin token before revoking it\n"
    )
    assert await active_admins(api.sessions) == ["admin"]
