"""The staff web UI in Debian's Chromium, against the whole running system (broker, worker, relays).

A fulfillment person signs in, watches a downgraded order's alert arrive on the open board
without a reload, acknowledges it, reads the order's verdict, claims and completes the reship;
a sales rep sees the same boards with no act buttons and is refused when posting anyway.
Screenshots of every page go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from services.common.clock import ManualClock
from services.common.publish import send
from services.order_watch.auth.tokens import Role
from tests.order_watch.conftest import LABEL_TIME
from tests.order_watch.web.conftest import SCREENSHOTS
from tests.support.events import story_events, unique_order_id
from tests.support.system import System, running_system

pytestmark = pytest.mark.integration
WAIT_MS = 30_000  # generous: the alert travels broker → worker → database → stream
LAPTOP = {"width": 1366, "height": 900}
NEW_YORK = ZoneInfo("America/New_York")
TABLET = {"width": 820, "height": 1180}


@pytest.fixture
async def system(carrier_adapter_settings, order_watch_settings, sessions) -> AsyncIterator[System]:
    clock = ManualClock(LABEL_TIME)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions, clock) as running:
        yield running


async def publish_downgrade(settings, order_id: str, tracking_number: str) -> None:
    """PRODUCT.md story 1: paid next-day on Wednesday, promised Friday; the label is UPS Ground."""
    await send(settings, story_events(order_id, tracking_number))


@pytest.fixture
async def contexts(browser: Browser, system: System) -> AsyncIterator[list[BrowserContext]]:
    """Browser contexts of one test, closed before the system stops (open live boards hold connections)."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        await context.close()


async def new_page(
    contexts: list[BrowserContext], browser: Browser, system: System, viewport: dict[str, int] = LAPTOP
) -> Page:
    """A page in a fresh context (its own cookies) on the order_watch server."""
    context = await browser.new_context(base_url=system.order_watch_url, viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    contexts.append(context)
    return await context.new_page()


async def sign_in(page: Page, token: str, screenshot: str | None = None) -> None:
    await page.goto("/ui/cases")
    await expect(page.get_by_role("heading", name="Sign in to Order Watch")).to_be_visible()
    await page.get_by_label("Token").fill(token)
    if screenshot:
        await page.screenshot(path=SCREENSHOTS / screenshot, full_page=True)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    await expect(page.locator("[data-connection]")).to_contain_text("Live")


def alert_row(page: Page, order_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#alerts tr[data-order="{order_id}"]').filter(has_text="service downgrade")


async def assert_no_sideways_scroll(page) -> None:
    """A laptop-wide board fits its window: long words wrap, nothing hides off to the right."""
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the window"


async def test_fulfillment_watches_an_alert_arrive_acts_and_reads_the_truth(
    browser, system, contexts, order_watch_settings
):
    page = await new_page(contexts, browser, system)
    await sign_in(page, system.tokens[Role.FULFILLMENT], screenshot="sign-in.png")

    # The board is open; the order and its downgraded label arrive through the broker.
    await page.evaluate("window.stillTheSamePage = true")
    order_id, tracking_number = unique_order_id(), "1ZWEBUI0000000001"
    await publish_downgrade(order_watch_settings, order_id, tracking_number)
    row = alert_row(page, order_id)
    await expect(row).to_be_visible()
    assert await page.evaluate("window.stillTheSamePage") is True, "the alert must arrive without a reload"
    await expect(row).to_contain_text("Paid next-day, shipped UPS Ground")
    await expect(row.locator(".countdown")).to_contain_text(re.compile(r"left|overdue"))
    await expect(page.locator("[data-announce]")).to_contain_text(order_id)
    await page.screenshot(path=SCREENSHOTS / "alerts-board.png", full_page=True)
    await assert_no_sideways_scroll(page)

    # A post without the CSRF token is refused, even with the session cookie.
    alert_id = (await row.get_attribute("id") or "").removeprefix("alert-")
    forged = await page.request.post(f"/ui/cases/{alert_id}/ack", form={"back": "/ui/cases"})
    assert forged.status == 403

    await row.get_by_role("button", name=re.compile("Acknowledge")).click()
    await expect(page.get_by_role("status").filter(has_text="Acknowledged")).to_contain_text(order_id)
    await expect(row.locator(".status")).to_have_text("acknowledged")
    await expect(row.locator(".owner")).to_have_text("fulfillment")

    await row.get_by_role("link", name=order_id).click()
    await expect(page.get_by_role("heading", name=f"Order {order_id}")).to_be_visible()
    await expect(page.locator("[data-verdict]")).to_have_text("At risk")
    await expect(page.locator(".verdict")).to_contain_text("Paid next-day, shipped UPS Ground")
    await expect(page.locator(".audit")).to_contain_text("fulfillment")
    await page.screenshot(path=SCREENSHOTS / "order-truth.png", full_page=True)

    await page.get_by_role("link", name="Tasks", exact=True).click()
    task = page.locator(f'#tasks tr[data-order="{order_id}"]')
    await expect(task).to_contain_text("UPS Next Day Air")
    await page.screenshot(path=SCREENSHOTS / "tasks-board.png", full_page=True)
    await assert_no_sideways_scroll(page)
    await task.get_by_role("button", name=re.compile("Claim")).click()
    await expect(task.locator(".owner")).to_have_text("fulfillment")
    await task.get_by_label("New tracking number").fill("1ZRESHIP000000001")
    await task.get_by_role("button", name=re.compile("Complete")).click()
    await expect(page.get_by_role("status").filter(has_text="Completed")).to_contain_text("1ZRESHIP000000001")
    await expect(task).to_have_count(0)  # no longer live

    await page.get_by_label("Find an order by order id, tracking number or customer").fill(tracking_number)
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_role("link", name=order_id)).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "search.png", full_page=True)


async def test_a_sales_rep_reads_everything_and_sees_no_act_buttons(browser, system, contexts, order_watch_settings):
    order_id = unique_order_id()
    await publish_downgrade(order_watch_settings, order_id, "1ZWEBUI0000000002")
    page = await new_page(contexts, browser, system, TABLET)
    await sign_in(page, system.tokens[Role.SALES])
    row = alert_row(page, order_id)
    await page.reload()
    await expect(row).to_be_visible()
    board = page.locator("#alerts")
    await expect(board.get_by_role("button")).to_have_count(0)
    await expect(board.get_by_role("columnheader", name="Act", exact=True)).to_have_count(0)
    await expect(page.get_by_text("read only")).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "alerts-board-sales-tablet.png", full_page=True)

    csrf = await page.locator('form[action="/ui/sign-out"] input[name="csrf"]').input_value()
    alert_id = (await row.get_attribute("id") or "").removeprefix("alert-")
    refused = await page.request.post(f"/ui/cases/{alert_id}/ack", form={"csrf": csrf})
    assert refused.status == 403

    await page.get_by_role("link", name="Tasks", exact=True).click()
    await expect(page.locator(f'#tasks tr[data-order="{order_id}"]')).to_be_visible()
    await expect(page.locator("#tasks").get_by_role("button")).to_have_count(0)
    await page.goto(f"/ui/orders/{order_id}")
    await expect(page.locator("[data-verdict]")).to_have_text("At risk")
    await expect(page.locator("main form")).to_have_count(0)
    # Promises are the customer's (New York) days and hours, as in every alert's words.
    await expect(page.locator(".trio dd").filter(has_text="order (orders.v1)")).to_contain_text(
        ["next day", "Fri Nov 20, 20:00 EST"]
    )
    await page.screenshot(path=SCREENSHOTS / "order-truth-sales-tablet.png", full_page=True)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Order Watch")).to_be_visible()


async def test_the_laptop_board_puts_the_unowned_case_first_and_shows_it_whole(
    browser, system, contexts, order_watch_settings
):
    """At 1366 px: an unowned critical case sorts above an owned one; no summary is cut; the row
    names the service ("UPS Ground") and shows both act-by times (PRODUCT.md story 1, promised
    Monday: two-day by Thursday is the cheapest rescue, next-day on Friday the last chance)."""
    owned, unowned = unique_order_id(), unique_order_id()
    for order_id, tracking in ((owned, "1ZWEBUI0000000003"), (unowned, "1ZWEBUI0000000004")):
        order, label = story_events(order_id, tracking)
        monday = order.payload.model_copy(update={"promised_by": datetime(2026, 11, 23, 20, 0, tzinfo=NEW_YORK)})
        await send(order_watch_settings, [order.model_copy(update={"payload": monday}), label])
    page = await new_page(contexts, browser, system)
    await sign_in(page, system.tokens[Role.FULFILLMENT])
    for order_id in (owned, unowned):
        await expect(alert_row(page, order_id)).to_be_visible()
    await alert_row(page, owned).get_by_role("button", name=re.compile("Acknowledge")).click()
    await expect(alert_row(page, owned).locator(".owner")).to_have_text("fulfillment")

    await page.reload()
    rows = page.locator("#alerts tbody tr")
    orders = [await row.get_attribute("data-order") for row in await rows.all()]
    assert orders.index(unowned) < orders.index(owned), orders
    row = alert_row(page, unowned)
    await expect(row.locator(".owner")).to_contain_text("nobody")
    await expect(row).to_contain_text("Paid next-day, shipped UPS Ground")
    await expect(row.locator(".due")).to_contain_text("Last chance")
    await expect(row.locator(".due time").first).to_contain_text("Fri Nov 20, 17:00 CST")
    await expect(row.locator(".due .cheapest")).to_contain_text("Thu Nov 19, 17:00 CST")
    for summary in await page.locator("#alerts .summary").all():
        text = await summary.inner_text()
        assert text.endswith("."), text  # a sentence, not cut before its point
        cut = await summary.evaluate("s => s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1")
        assert not cut, text
    await page.screenshot(path=SCREENSHOTS / "cases-board-laptop.png", full_page=True)
    await assert_no_sideways_scroll(page)
