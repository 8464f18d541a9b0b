"""Staff lists a page at a time: following `Link: rel="next"` walks the whole list in its order,
each row once, including alerts without an act-by and ties in every sort column but the id."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert

from services.order_watch.alerts.models import Alert
from services.order_watch.auth.tokens import Role

pytestmark = pytest.mark.integration


async def walk(api, path: str, params: dict[str, str]) -> list[dict]:
    """Every row of a list, page by page, by following each page's next link."""
    rows: list[dict] = []
    response = await api.call("GET", path, Role.SALES, params=params)
    while True:
        assert response.status_code == 200, response.text
        rows += response.json()
        if "next" not in response.links:
            return rows
        response = await api.call("GET", response.links["next"]["url"], Role.SALES)


async def test_alert_pages_walk_the_whole_list_once_in_order(api):
    now = api.clock.now()
    rows = [
        {
            "alert_id": uuid.uuid4(),
            "order_id": f"ORD-PAGE-{index}",
            "rule": "stalled",
            "shipment_key": "",
            "status": "open" if index % 4 else "acknowledged",
            "severity": "warning",
            "priority": index % 3,
            "summary": "stalled",
            "evidence": {},
            "act_by": None if index % 5 == 0 else now + timedelta(hours=index % 4),
            "escalation_level": 0,
            "opened_at": now - timedelta(minutes=index % 2),
            "updated_at": now,
            "version": 1,
        }
        for index in range(23)
    ]
    async with api.sessions() as session, session.begin():
        await session.execute(insert(Alert.__table__), rows)

    everything = (await api.call("GET", "/alerts", Role.SALES, params={"limit": 1000})).json()
    paged = await walk(api, "/alerts", {"limit": "4"})
    assert [a["alert_id"] for a in paged] == [a["alert_id"] for a in everything]
    assert len(paged) == len(rows)
    assert [a["act_by"] is None for a in paged if a["priority"] == 0][-1]  # no act-by sorts last
    open_only = await walk(api, "/alerts", {"limit": "5", "status": "open"})
    assert [a["alert_id"] for a in open_only] == [a["alert_id"] for a in everything if a["status"] == "open"]


async def test_task_pages_walk_the_whole_list_once_in_order(api):
    for _ in range(5):
        await api.story_order()
    everything = (await api.call("GET", "/tasks", Role.SALES)).json()
    assert len(everything) == 5
    paged = await walk(api, "/tasks", {"limit": "2"})
    assert [t["task_id"] for t in paged] == [t["task_id"] for t in everything]


async def test_a_cursor_not_made_for_the_list_is_a_422(api):
    for path in ("/alerts", "/tasks"):
        response = await api.call("GET", path, Role.SALES, params={"cursor": "not-a-cursor"})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "cursor" in response.json()["detail"]


async def test_a_page_answers_each_row_as_its_own_route_does(api):
    """A list page is serialized from plain rows in one call; each row must read exactly as the
    one-row route answers it (same fields, in the same order, same values and time formats)."""
    order_ids = [await api.story_order() for _ in range(3)]
    cases = (await api.call("GET", "/cases", Role.SALES, params={"status": "open"})).json()
    assert sorted(case["order_id"] for case in cases) == sorted(order_ids)
    assert all(case["findings"] and case["evidence"] for case in cases)
    for case in cases:
        detail = (await api.call("GET", f"/cases/{case['alert_id']}", Role.SALES)).json()
        alone = {name: value for name, value in detail.items() if name not in ("history", "notes")}
        assert list(case.items()) == list(alone.items())
    tasks = (await api.call("GET", "/tasks", Role.SALES)).json()
    assert len(tasks) == 3
    for task in tasks:
        alone = (await api.call("GET", f"/tasks/{task['task_id']}", Role.SALES)).json()
        assert list(task.items()) == list(alone.items())
