"""The README stays true: every setting a user can set is documented there, its sample scan is a real body."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.carrier_adapter.carriers.base import WebhookRequest
from services.carrier_adapter.carriers.generic.mapper import normalize
from tests.deploy.test_compose import setting_names

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("variable", sorted(setting_names()))
def test_every_setting_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README or f"`{variable}__" in README, f"{variable} is not documented in README.md"


def test_each_setting_has_one_row_in_the_configuration_table() -> None:
    rows = [line.split("|")[1].strip() for line in README.splitlines() if line.startswith("| `")]
    settings = [row for row in rows if row.strip("`").split("`")[0] in setting_names()]
    duplicated = sorted({row for row in settings if settings.count(row) > 1})
    assert not duplicated, f"documented twice in README.md: {duplicated}"


def test_the_sample_scan_for_carrier_adapter_sign_is_a_generic_webhook_body() -> None:
    sample = "docs/examples/scan.json"
    assert f"--file {sample}" in README
    body = (Path(__file__).resolve().parents[2] / sample).read_bytes()
    request = WebhookRequest("POST", "/webhooks/generic", {}, {}, body)
    (event,) = normalize(request, datetime.now(UTC)).events
    assert (event.status, event.utc_offset_minutes) == ("out_for_delivery", -300)
