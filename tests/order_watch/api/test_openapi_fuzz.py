"""Schemathesis against both OpenAPI documents over real HTTP: no request gets a 5xx.

Issue 13's bar: whatever a client sends that the documents allow (and much they do not), the
answer is never a server error. The CLI runs in its own process against the apps served on
loopback with the real database, as a client would meet them.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from services.carrier_adapter.app import create_app as create_adapter_app
from services.order_watch.auth.tokens import Role
from tests.support.servers import serving

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


async def schemathesis(url: str, *headers: str) -> tuple[int, str]:
    """Run every operation with deterministic generation; only a server error fails the run."""
    args = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "not_a_server_error"]
    args += ["--max-examples", "25", "--generation-deterministic", "--no-color"]
    for header in headers:
        args += ["--header", header]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


async def test_the_staff_api_never_answers_a_server_error(api):
    code, output = await schemathesis(str(api.client.base_url), f"Authorization: Bearer {api.tokens[Role.FULFILLMENT]}")
    assert code == 0, output[-4000:]
    assert "generated" in output


async def test_the_webhook_server_never_answers_a_server_error(carrier_adapter_settings, sessions):
    async with serving(create_adapter_app(carrier_adapter_settings)) as url:
        code, output = await schemathesis(url)
    assert code == 0, output[-4000:]
