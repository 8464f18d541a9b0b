"""Staff web UI tests: the real app on a loopback port, real database; Debian's Chromium for browser tests.

Browser tests drive `/usr/bin/chromium` (installed by `make test`), never a downloaded browser;
when it is missing they fail and say so. One browser per module; each test its own context.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect

from tests.order_watch.conftest import Api

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on an HTML page."""
    found = CSRF_FIELD.search(page)
    assert found, "no CSRF field on the page"
    return found.group(1)


@asynccontextmanager
async def signed_in(base_url: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with a UI session, signed in through the sign-in form."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        form = await client.get("/ui/sign-in")
        answer = await client.post("/ui/sign-in", data={"token": token, "csrf": csrf_of(form.text)})
        assert answer.status_code == 303, answer.text
        yield client


@pytest.fixture
def ui(api: Api) -> Api:
    """The order_watch app (API and UI) on a manual clock, with a token per role; no broker needed."""
    return api


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's headless Chromium (a fresh temporary profile per launch), shared by the module's tests."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: browser tests need Debian's Chromium (`make test` installs it)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    expect.set_options(timeout=30_000)  # generous waits for elements; nothing here is a timing assertion
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()
