"""Bearer tokens and roles over real HTTP: 401 without or with a revoked token, 403 for the wrong role."""

from __future__ import annotations

import pytest

from services.order_watch.auth.tokens import Role
from services.order_watch.cli import main as order_watch_cli

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


async def test_no_token_and_unknown_token_are_refused(api):
    missing = await api.client.get("/alerts")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == PROBLEM
    assert missing.headers["www-authenticate"].startswith("Bearer")
    unknown = await api.client.get("/alerts", headers={"authorization": "Bearer ow_not-a-real-token"})
    assert unknown.status_code == 401


async def test_a_revoked_token_is_refused(api):
    created = await api.call("POST", "/tokens", Role.ADMIN, json={"name": "temp-rep", "role": "sales"})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    headers = {"authorization": f"Bearer {token}"}
    assert (await api.client.get("/alerts", headers=headers)).status_code == 200
    revoked = await api.call("DELETE", f"/tokens/{created.json()['token_id']}", Role.ADMIN)
    assert revoked.json()["revoked_at"] is not None
    refused = await api.client.get("/alerts", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "token revoked or unknown"
    listed = await api.call("GET", "/tokens", Role.ADMIN)
    assert "token" not in listed.json()[0] and "token_hash" not in listed.json()[0]


async def test_sales_cannot_resolve_an_alert_or_manage_tokens(api):
    order_id = await api.story_order()
    (alert,) = (await api.call("GET", "/alerts", Role.SALES, params={"order_id": order_id})).json()
    refused = await api.call("POST", f"/alerts/{alert['alert_id']}/resolve", Role.SALES, json={"resolution": "other"})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == PROBLEM
    assert "sales" in refused.json()["detail"]
    assert (await api.call("GET", "/tokens", Role.SALES)).status_code == 403
    assert (await api.call("GET", "/tokens", Role.FULFILLMENT)).status_code == 403
    still_open = await api.call("GET", f"/alerts/{alert['alert_id']}", Role.SALES)
    assert still_open.json()["status"] == "open"


def test_tokens_from_the_command_line(stack, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", stack.database_url)
    order_watch_cli(["token", "create", "cli-user", "fulfillment"])
    printed = capsys.readouterr().out
    token_id = printed.split()[1]
    assert "ow_" in printed
    order_watch_cli(["token", "revoke", token_id])
    order_watch_cli(["token", "list"])
    listing = capsys.readouterr().out
    assert f"revoked {token_id}" in listing
    assert any(token_id in line and "revoked" in line for line in listing.splitlines())
