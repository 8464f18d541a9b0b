"""The demo feed speaks each carrier's dialect faithfully: every simulated scan, posted as UPS,
FedEx or generic, comes back out of the carrier adapter's own mapper as the scan it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.carriers.base import WebhookRequest
from services.common.vocab import ExceptionReason, TrackingStatus
from services.devstack.dialects import EXCEPTION_WORDS, webhook_for
from services.order_watch.backtest.simulator import SimulationConfig, simulate


@pytest.fixture(scope="module")
def scans():
    """Every scan of a 400-order simulation: all four carriers, every status and exception cause."""
    stream = simulate(SimulationConfig(orders=400, seed=1, days=7))
    return [event.payload for event in stream.events if event.event_type == "tracking.updated"]


def through_the_adapter(scan):
    source, body = webhook_for(scan)
    request = WebhookRequest("POST", f"/webhooks/{source}", {}, {}, json.dumps(body).encode())
    (normalized,) = all_sources()[source].normalize(request, datetime.now(UTC)).events
    return source, normalized


def test_every_simulated_status_and_failure_is_in_the_sample(scans):
    statuses = {scan.status for scan in scans}
    assert statuses >= {TrackingStatus.PRE_TRANSIT, TrackingStatus.DELIVERED, TrackingStatus.RETURN_TO_SENDER}
    assert {scan.exception_reason for scan in scans} >= set(EXCEPTION_WORDS)
    assert {scan.carrier for scan in scans} == {"ups", "fedex", "usps", "dhl"}


def test_every_scan_comes_back_as_it_was_sent(scans):
    for scan in scans:
        source, back = through_the_adapter(scan)
        assert source == {"ups": "ups", "fedex": "fedex"}.get(scan.carrier, "generic")
        assert (back.carrier.lower(), back.tracking_number) == (scan.carrier, scan.tracking_number)
        assert back.event_time == scan.event_time
        # UPS and FedEx file weather under "delayed"; everything else keeps its status and cause.
        weather = scan.exception_reason is ExceptionReason.WEATHER and source != "generic"
        assert back.status is (TrackingStatus.DELAYED if weather else scan.status), (source, scan)
        assert back.exception_reason is scan.exception_reason, (source, scan)
        if scan.estimated_delivery is None:
            assert back.estimated_delivery is None, (source, scan)
        else:
            zone = ZoneInfo(scan.time_zone)
            assert back.estimated_delivery.latest(zone).date() == scan.estimated_delivery.date, (source, scan)
