"""What a client gets when the server is at fault or its database is down, over real HTTP.

An outage is `503` with `Retry-After` (the same request will succeed later); a bug of ours is
`500` with a correlation id in the body and the `x-request-id` header, and one log line with
the same id — not a stack per request.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.carrier_adapter.app import create_app as create_adapter_app
from services.carrier_adapter.carriers import all_sources
from services.common.db import database, transaction
from services.common.migrations import upgrade
from services.common.problems import install_problem_handlers
from services.devstack.postgres import EmbeddedPostgres
from services.devstack.processes import free_port
from services.order_watch.app import create_app as create_order_watch_app
from services.order_watch.auth.service import create_token
from services.order_watch.auth.tokens import Role
from tests.support.events import generic_scan
from tests.support.servers import serving

pytestmark = pytest.mark.integration


async def test_a_bug_is_a_500_with_a_correlation_id_and_one_log_line(caplog):
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/broken")
    async def broken() -> None:
        raise KeyError("a bug of ours")

    caplog.set_level(logging.ERROR)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        first = await client.get("/broken")
        second = await client.get("/broken", headers={"x-request-id": "req-42"})
    assert first.status_code == 500
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["correlation_id"] == first.headers["x-request-id"]
    assert second.json()["correlation_id"] == "req-42"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(record.exc_info is None for record in errors)  # a line each, no stack
    assert "req-42" in errors[1].getMessage() and "KeyError" in errors[1].getMessage()


@pytest.fixture
def stopped_postgres(tmp_path: Path):
    postgres = EmbeddedPostgres(tmp_path / "pg", free_port(), fast_and_unsafe=True)
    postgres.start()
    for package in ("services.carrier_adapter", "services.order_watch"):
        upgrade(package, postgres.url)
    try:
        yield postgres
    finally:
        postgres.stop()


async def test_while_the_database_is_down_both_services_answer_503_with_retry_after(
    stopped_postgres, carrier_adapter_settings, order_watch_settings
):
    adapter = carrier_adapter_settings.model_copy(update={"database_url": stopped_postgres.url})
    staff = order_watch_settings.model_copy(update={"database_url": stopped_postgres.url})
    body = json.dumps(generic_scan("1ZOUTAGE0001", at=datetime.now(UTC))).encode()
    secret = adapter.secrets_for("generic")[0]

    async def post_scan(client: httpx.AsyncClient) -> httpx.Response:
        headers, _ = all_sources()["generic"].sign_request(body, secret, datetime.now(UTC))
        return await client.post(
            "/webhooks/generic", content=body, headers={**headers, "content-type": "application/json"}
        )

    async with (
        serving(create_adapter_app(adapter)) as adapter_url,
        serving(create_order_watch_app(staff)) as staff_url,
        httpx.AsyncClient(base_url=adapter_url) as webhooks,
        httpx.AsyncClient(base_url=staff_url) as api,
    ):
        stopped_postgres.stop()
        refused = await post_scan(webhooks)
        lookup = await api.get(
            "/lookup", params={"tracking_number": "1ZOUTAGE0001"}, headers={"authorization": "Bearer ow_x"}
        )
        stopped_postgres.start()
        accepted = await post_scan(webhooks)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"].isdigit()
    assert lookup.status_code == 503, lookup.text
    assert lookup.headers["retry-after"].isdigit()
    assert accepted.status_code == 202, accepted.text  # the sender's retry, once the database is back


async def test_the_staff_apis_token_check_survives_a_database_restart(stopped_postgres, order_watch_settings):
    """The token of every request is checked on a pool of plain connections (auth.service): the
    connections a restart dropped cost an outage answer at most, never a 500 or a refused token."""
    staff = order_watch_settings.model_copy(update={"database_url": stopped_postgres.url})
    async with database(stopped_postgres.url) as db, transaction(db.sessions) as session:
        _, plain = create_token(session, "restart", Role.SALES, "test", datetime.now(UTC))
    bearer = {"authorization": f"Bearer {plain}"}
    async with serving(create_order_watch_app(staff)) as url, httpx.AsyncClient(base_url=url) as api:
        before = await api.get("/alerts", headers=bearer)  # the pool now holds a connection
        stopped_postgres.stop()
        during = await api.get("/alerts", headers=bearer)
        stopped_postgres.start()
        after = [(await api.get("/alerts", headers=bearer)).status_code for _ in range(5)]
    assert before.status_code == 200, before.text
    assert during.status_code == 503 and during.headers["retry-after"].isdigit(), during.text
    assert set(after) <= {200, 503} and after[-1] == 200 and after.count(503) <= 1, after
