"""`/docs` and `/redoc` render in Chromium with every request off the app's own origin refused.

Before, Swagger UI came from a CDN and `/docs` was a blank page without internet
(`SwaggerUIBundle is not defined`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.order_watch.conftest import Api

pytestmark = pytest.mark.integration


async def offline_page(browser: Browser, base_url: str, path: str) -> tuple[Page, list[str], list[str]]:
    """Open `path` with the network blocked except the app; returns the page, refused URLs and page errors."""
    own = urlsplit(base_url).netloc
    refused: list[str] = []
    errors: list[str] = []

    async def only_the_app(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            await route.continue_()
        else:
            refused.append(f"{route.request.resource_type} {route.request.url}")
            await route.abort("internetdisconnected")

    context = await browser.new_context()
    await context.route("**/*", only_the_app)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(f"{base_url}{path}")
    return page, refused, errors


async def test_swagger_ui_lists_the_operations_without_internet(browser: Browser, api: Api) -> None:
    base_url = str(api.client.base_url).rstrip("/")
    page, refused, errors = await offline_page(browser, base_url, "/docs")
    await expect(page.get_by_text("/orders/{order_id}/truth")).to_be_visible()
    await expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert await page.locator(".opblock").count() > 20
    assert refused == [] and errors == []
    await page.context.close()


async def test_redoc_renders_without_internet(browser: Browser, api: Api) -> None:
    base_url = str(api.client.base_url).rstrip("/")
    page, refused, errors = await offline_page(browser, base_url, "/redoc")
    await expect(page.get_by_text("Order truth for sales reps").first).to_be_visible()
    await expect(page.get_by_role("heading", name="Acknowledge an open case and take ownership")).to_be_visible()
    # ReDoc's "API docs by Redocly" footer asks for its logo; nothing else leaves the app.
    assert [url for url in refused if not url.startswith("image ")] == [] and errors == []
    await page.context.close()
