"""The UI over plain HTTP: session cookie flags, CSRF on every form post, sign-out, revoked tokens,
read-only sales, and the live stream emitting board rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from services.common.db import transaction
from services.order_watch.auth.service import create_token, revoke_token
from services.order_watch.auth.tokens import Role
from services.order_watch.web.stream import Cursor
from tests.order_watch.web.conftest import csrf_of, signed_in

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


async def open_alert(ui, order_id: str) -> dict:
    (alert,) = (await ui.call("GET", "/alerts", Role.SALES, params={"order_id": order_id})).json()
    return alert


async def test_sign_in_sets_a_strict_http_only_cookie(ui):
    form = await ui.client.get("/ui/sign-in")
    assert form.status_code == 200
    assert "default-src 'self'" in form.headers["content-security-policy"]
    data = {"token": ui.tokens[Role.FULFILLMENT], "csrf": csrf_of(form.text), "next": "/ui/tasks"}
    answer = await ui.client.post("/ui/sign-in", data=data)
    assert (answer.status_code, answer.headers["location"]) == (303, "/ui/tasks")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("ow_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags  # plain http here; https below


async def test_the_cookie_is_secure_over_https(ui):
    https = {"x-forwarded-proto": "https"}  # uvicorn trusts the loopback proxy
    form = await ui.client.get("/ui/sign-in", headers=https)
    nonce = form.headers["set-cookie"].split(";")[0]  # a Secure cookie: the client keeps it for https only
    data = {"token": ui.tokens[Role.SALES], "csrf": csrf_of(form.text)}
    answer = await ui.client.post("/ui/sign-in", data=data, headers={**https, "cookie": nonce})
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("ow_session="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_sign_in_refuses_a_bad_token_and_a_missing_csrf(ui):
    form = await ui.client.get("/ui/sign-in")
    wrong = await ui.client.post("/ui/sign-in", data={"token": "ow_nope", "csrf": csrf_of(form.text)})
    assert wrong.status_code == 401
    assert "unknown or has been revoked" in wrong.text
    forged = await ui.client.post("/ui/sign-in", data={"token": ui.tokens[Role.ADMIN]})
    assert forged.status_code == 403
    assert "ow_session" not in forged.headers.get("set-cookie", "")


async def test_pages_need_a_session(ui):
    answer = await ui.client.get("/ui/cases?severity=critical")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/sign-in?next=/ui/cases%3Fseverity%3Dcritical"
    assert (await ui.client.get("/")).headers["location"] == "/ui/cases"
    assert (await ui.client.get("/ui/stream/alerts")).status_code == 401


async def test_the_former_board_address_leads_to_the_cases_board(ui):
    answer = await ui.client.get("/ui/alerts?severity=critical")
    assert (answer.status_code, answer.headers["location"]) == (308, "/ui/cases?severity=critical")


async def test_a_post_without_the_csrf_token_is_refused(ui):
    order_id = await ui.story_order()
    alert = await open_alert(ui, order_id)
    async with signed_in(str(ui.client.base_url), ui.tokens[Role.FULFILLMENT]) as client:
        board = await client.get("/ui/cases")
        assert order_id in board.text
        path = f"/ui/cases/{alert['alert_id']}/ack"
        missing = await client.post(path, data={"back": "/ui/cases"})
        assert missing.status_code == 403
        assert missing.headers["content-type"] == PROBLEM
        wrong = await client.post(path, data={"csrf": "0" * 64})
        assert wrong.status_code == 403
        assert (await open_alert(ui, order_id))["status"] == "open"
        done = await client.post(path, data={"csrf": csrf_of(board.text), "back": "/ui/cases?status=any"})
        assert (done.status_code, done.headers["location"]) == (303, "/ui/cases?status=any")
        after = await client.get(done.headers["location"])
        assert f"Acknowledged: order {order_id}." in after.text
    acknowledged = await open_alert(ui, order_id)
    assert (acknowledged["status"], acknowledged["owner"]) == ("acknowledged", "fulfillment")
    trail = (await ui.call("GET", f"/orders/{order_id}/audit", Role.SALES)).json()
    assert ("acknowledged", "fulfillment") in [(entry["action"], entry["actor"]) for entry in trail]


async def test_an_invalid_transition_is_a_notice_not_an_error(ui):
    order_id = await ui.story_order()
    alert = await open_alert(ui, order_id)
    async with signed_in(str(ui.client.base_url), ui.tokens[Role.ADMIN]) as client:
        csrf = csrf_of((await client.get("/ui/cases")).text)
        resolve = f"/ui/cases/{alert['alert_id']}/resolve"
        assert (await client.post(resolve, data={"csrf": csrf, "resolution": "false_alarm"})).status_code == 303
        again = await client.post(f"/ui/cases/{alert['alert_id']}/ack", data={"csrf": csrf})
        assert again.status_code == 303
        assert "Not done: cannot acknowledge a resolved case" in (await client.get("/ui/cases")).text
        bad = await client.post(resolve, data={"csrf": csrf, "resolution": "condition_cleared"})
        assert bad.status_code == 422
        gone = await client.post("/ui/tasks/00000000-0000-0000-0000-000000000000/claim", data={"csrf": csrf})
        assert (gone.status_code, gone.headers["content-type"]) == (404, PROBLEM)


async def test_sales_reads_everything_and_may_not_act(ui):
    order_id = await ui.story_order()
    alert = await open_alert(ui, order_id)
    async with signed_in(str(ui.client.base_url), ui.tokens[Role.SALES]) as client:
        board = await client.get("/ui/cases")
        assert order_id in board.text
        assert "/ack" not in board.text and "Acknowledge" not in board.text
        tasks = await client.get("/ui/tasks")
        assert order_id in tasks.text and "/claim" not in tasks.text
        refused = await client.post(f"/ui/cases/{alert['alert_id']}/ack", data={"csrf": csrf_of(board.text)})
        assert refused.status_code == 403
        assert "may only read" in refused.json()["detail"]
        truth = await client.get(f"/ui/orders/{order_id}")
        assert truth.status_code == 200 and "At risk" in truth.text
        assert (await client.get("/ui/orders/NO-SUCH-ORDER")).status_code == 404
    assert (await open_alert(ui, order_id))["status"] == "open"


async def test_search_by_order_tracking_number_and_customer(ui):
    order_id = await ui.story_order()
    async with signed_in(str(ui.client.base_url), ui.tokens[Role.SALES]) as client:
        direct = await client.get("/ui/search", params={"q": order_id})
        assert (direct.status_code, direct.headers["location"]) == (303, f"/ui/orders/{order_id}")
        by_tracking = await client.get("/ui/search", params={"q": f"1Z{order_id[-10:]}"})
        assert f'href="/ui/orders/{order_id}"' in by_tracking.text
        by_customer = await client.get("/ui/search", params={"q": "cust-1"})
        assert f'href="/ui/orders/{order_id}"' in by_customer.text
        nothing = await client.get("/ui/search", params={"q": "nobody"})
        assert "0 orders found" in nothing.text


async def test_sign_out_ends_the_session(ui):
    async with signed_in(str(ui.client.base_url), ui.tokens[Role.FULFILLMENT]) as client:
        board = await client.get("/ui/cases")
        assert (await client.post("/ui/sign-out", data={})).status_code == 403  # sign-out is a form post too
        out = await client.post("/ui/sign-out", data={"csrf": csrf_of(board.text)})
        assert (out.status_code, out.headers["location"]) == (303, "/ui/sign-in")
        assert not client.cookies.get("ow_session")
        assert (await client.get("/ui/cases")).status_code == 303


async def test_a_revoked_token_is_refused_at_once(ui):
    async with transaction(ui.sessions) as session:
        token, plain = create_token(session, "temp-rep", Role.FULFILLMENT, "test", ui.clock.now())
    async with signed_in(str(ui.client.base_url), plain) as client:
        assert (await client.get("/ui/tasks")).status_code == 200
        async with transaction(ui.sessions) as session:
            await revoke_token(session, token.token_id, "test", ui.clock.now())
        refused = await client.get("/ui/tasks")
        assert (refused.status_code, refused.headers["location"]) == (303, "/ui/sign-in?next=/ui/tasks")
        assert (await client.get("/ui/stream/tasks")).status_code == 401


async def events_of(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, dict]]:
    """(event, data) pairs from a server-sent event stream."""
    event = "message"
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))
            event = "message"


async def next_event(events: AsyncIterator[tuple[str, dict]]) -> tuple[str, dict]:
    return await asyncio.wait_for(anext(events), timeout=20)


async def test_the_stream_emits_rows_as_they_change(ui):
    async with (
        signed_in(str(ui.client.base_url), ui.tokens[Role.FULFILLMENT]) as client,
        client.stream("GET", "/ui/stream/alerts") as everything,
        client.stream("GET", "/ui/stream/alerts", params={"rule": "stalled"}) as stalled_only,
    ):
        assert everything.headers["content-type"].startswith("text/event-stream")
        order_id = await ui.story_order()
        event, row = await next_event(events_of(everything.aiter_lines()))
        assert event == "row"
        assert row["dom_id"].startswith("alert-") and order_id in row["html"]
        assert "Acknowledge" in row["html"] and order_id in row["announce"]
        _, elsewhere = await next_event(events_of(stalled_only.aiter_lines()))
        assert (elsewhere["dom_id"], elsewhere["html"]) == (row["dom_id"], "")  # not on that board


async def test_the_stream_ends_when_the_token_is_revoked(ui):
    async with transaction(ui.sessions) as session:
        token, plain = create_token(session, "temp-lead", Role.SALES, "test", ui.clock.now())
    async with signed_in(str(ui.client.base_url), plain) as client, client.stream("GET", "/ui/stream/tasks") as s:
        async with transaction(ui.sessions) as session:
            await revoke_token(session, token.token_id, "test", ui.clock.now())
        event, _ = await next_event(events_of(s.aiter_lines()))
        assert event == "signed-out"


def test_cursor_waits_for_gaps_then_skips_them():
    cursor = Cursor(10)
    assert cursor.take([11, 13], now=0.0) == [11, 13]
    assert cursor.low == 11  # 12 may still commit
    assert cursor.take([11, 13], now=1.0) == []
    assert cursor.take([12, 13, 14], now=2.0) == [12, 14]
    assert (cursor.low, cursor.sent) == (14, set())
    assert cursor.take([16], now=3.0) == [16]
    assert cursor.take([16], now=3.0 + 9) == [] and cursor.low == 14
    assert cursor.take([16], now=3.0 + 10) == [] and cursor.low == 16  # 15 was rolled back
