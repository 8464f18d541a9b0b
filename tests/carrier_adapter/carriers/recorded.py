"""Feeding a source its recorded payloads: one helper for every source's mapper tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.carriers.base import Normalized, WebhookRequest
from services.common.contracts.tracking import TrackingUpdated

PAYLOADS = Path(__file__).parent / "payloads"


@dataclass(frozen=True)
class Recorded:
    """A source's recorded payloads, normalized as if received at `received_at`."""

    slug: str
    received_at: datetime

    def load(self, name: str) -> dict[str, Any]:
        return json.loads((PAYLOADS / self.slug / name).read_text())

    def request(
        self, body: bytes, headers: dict[str, str] | None = None, query: dict[str, str] | None = None
    ) -> WebhookRequest:
        return WebhookRequest("POST", f"/webhooks/{self.slug}", headers or {}, query or {}, body)

    def normalize_file(self, name: str) -> Normalized:
        return self.normalize_body((PAYLOADS / self.slug / name).read_bytes())

    def normalize_document(self, document: dict[str, Any]) -> Normalized:
        return self.normalize_body(json.dumps(document).encode())

    def normalize_body(self, body: bytes) -> Normalized:
        return all_sources()[self.slug].normalize(self.request(body), self.received_at)


def assert_event(event: TrackingUpdated, expected: dict[str, Any]) -> None:
    """Every field of the event, compared one by one (a missing expectation is an error)."""
    assert set(expected) == set(TrackingUpdated.model_fields)
    for name, value in expected.items():
        assert getattr(event, name) == value, name
