"""Use cases: accept one webhook delivery durably; re-normalize stored deliveries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.carriers.base import (
    CarrierSource,
    Normalized,
    PayloadError,
    WebhookRequest,
    event_dedupe_key,
)
from services.carrier_adapter.webhooks import service
from services.carrier_adapter.webhooks.group_commit import GroupCommit
from services.carrier_adapter.webhooks.models import Delivery
from services.common.contracts.tracking import TrackingUpdated
from services.common.db import transaction

# Credentials must not be stored with the raw delivery; signatures may stay (they are not secrets).
SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization")
SECRET_HINTS = ("key", "token", "credential", "password", "secret")


@dataclass(frozen=True)
class Accepted:
    duplicate: bool
    new_events: int
    total_events: int


def scrub(values: Mapping[str, str]) -> dict[str, str]:
    """Drop credential-bearing headers or query parameters before storing a delivery."""
    return {name: value for name, value in values.items() if not _names_a_secret(name)}


@lru_cache(maxsize=1024)  # senders repeat the same few names on every delivery
def _names_a_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or any(hint in lowered for hint in SECRET_HINTS)


def keyed_scans(events: list[TrackingUpdated]) -> list[tuple[str, TrackingUpdated]]:
    """Each scan with its dedupe key; the delivery's estimate rides on each parcel's newest scan.

    Senders repeat old scans just to carry a revised estimate (FedEx, UPS Track API, EasyPost
    `tracker.updated`). The estimate is the carrier's *current* one, so it belongs to the newest
    scan and is part of that scan's key: a revised estimate is published, an unchanged repeat
    is not. Older scans in the same delivery are kept without it.
    """
    newest: dict[tuple[str, str], TrackingUpdated] = {}
    for event in events:
        parcel = (event.carrier, event.tracking_number)
        if parcel not in newest or event.event_time >= newest[parcel].event_time:
            newest[parcel] = event
    keyed: list[tuple[str, TrackingUpdated]] = []
    for event in events:
        key = event_dedupe_key(event)
        if event.estimated_delivery is not None:
            if newest[(event.carrier, event.tracking_number)] is event:
                key += "|eta:" + event.estimated_delivery.model_dump_json()
            else:
                event = event.model_copy(update={"estimated_delivery": None})
        keyed.append((key, event))
    return keyed


MAX_DELIVERY_ID = 200  # the key column holds 300; a longer id is kept as its digest


def delivery_key(request: WebhookRequest, normalized: Normalized) -> str:
    """The sender's delivery id where it has one (its digest if absurdly long), else a digest of
    the exact bytes."""
    delivery_id = normalized.delivery_id
    if delivery_id and len(delivery_id) > MAX_DELIVERY_ID:
        return "id-sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()
    if delivery_id:
        return f"id:{delivery_id}"
    return "sha256:" + hashlib.sha256(request.body).hexdigest()


async def accept_webhook(
    store: GroupCommit,
    source: CarrierSource,
    request: WebhookRequest,
    normalized: Normalized,
    *,
    content_type: str,
    now: datetime,
) -> Accepted:
    """Store the raw delivery, its new scans and their outbox rows (with whatever other webhooks
    arrived at the same time, in one statement): it is durable when this returns."""
    rows = service.delivery_rows(
        {
            "source": source.slug,
            "dedupe_key": delivery_key(request, normalized),
            "received_at": now,
            "content_type": content_type,
            "headers": scrub(request.headers),
            "query": scrub(request.query),
            "body": request.body,
            "event_count": len(normalized.events),
        },
        keyed_scans(normalized.events),
    )
    stored = await store.store(rows)
    return Accepted(
        duplicate=stored.delivery_id is None, new_events=stored.new_events, total_events=len(normalized.events)
    )


@dataclass
class RenormalizeReport:
    deliveries: int = 0
    new_events: int = 0
    revised_events: int = 0
    failed_deliveries: int = 0


async def renormalize(
    sessions: async_sessionmaker[AsyncSession], now: datetime, *, source: str | None = None, batch: int = 200
) -> RenormalizeReport:
    """Run today's mappers over every stored delivery: add scans never seen, revise changed ones.

    Unchanged scans are left alone, so running it twice publishes nothing the second time.
    """
    report = RenormalizeReport()
    sources = all_sources()
    after_id = 0
    while True:
        async with transaction(sessions) as session:
            deliveries = await service.deliveries_batch(session, after_id, batch, source)
            for delivery in deliveries:
                await _renormalize_one(session, sources.get(delivery.source), delivery, now, report)
        if not deliveries:
            return report
        after_id = deliveries[-1].id


async def _renormalize_one(
    session: AsyncSession, source: CarrierSource | None, delivery: Delivery, now: datetime, report: RenormalizeReport
) -> None:
    report.deliveries += 1
    if source is None:
        report.failed_deliveries += 1
        return
    request = WebhookRequest("POST", f"/webhooks/{delivery.source}", delivery.headers, delivery.query, delivery.body)
    try:
        normalized = source.normalize(request, delivery.received_at)
    except PayloadError:
        report.failed_deliveries += 1
        return
    keyed = dict(keyed_scans(normalized.events))
    stored = await service.stored_events(session, list(keyed))
    for key, event in keyed.items():
        row = stored.get(key)
        if row is not None and row.payload != event.model_dump(mode="json"):
            await service.revise_event(session, row, event, now)
            report.revised_events += 1
    fresh = [(key, event) for key, event in keyed.items() if key not in stored]
    report.new_events += await service.insert_new_events(session, delivery.id, fresh, now)
