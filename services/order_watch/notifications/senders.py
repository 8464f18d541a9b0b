"""Deliver one notification over the network: Slack-compatible and generic webhooks over HTTP
(one shared httpx client), email over SMTP (stdlib smtplib in a worker thread).

Every sender raises `DeliveryFailed` with a short reason; the caller decides about retries.
"""

from __future__ import annotations

import asyncio
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx

from services.order_watch.notifications import messages
from services.order_watch.settings import ChannelSettings, OrderWatchSettings


class DeliveryFailed(Exception):
    """The receiver did not take the notification (it may next time)."""


async def send(
    client: httpx.AsyncClient,
    settings: OrderWatchSettings,
    channel: ChannelSettings,
    webhook_id: str,
    change: str,
    alert: dict[str, Any],
    now: datetime,
) -> None:
    link = messages.order_page(settings.public_url, alert)
    if channel.kind == "slack":
        await _post(client, channel, {"json": messages.slack_payload(change, alert, link)})
    elif channel.kind == "webhook":
        body = messages.webhook_body(change, alert, now)
        headers = messages.sign_webhook(channel.secret or "", webhook_id, int(now.timestamp()), body)
        await _post(client, channel, {"content": body, "headers": {**headers, "content-type": "application/json"}})
    else:
        message = messages.email_message(change, alert, link, settings.smtp_from, channel.to)
        await asyncio.to_thread(_send_email, settings, message)


async def _post(client: httpx.AsyncClient, channel: ChannelSettings, request: dict[str, Any]) -> None:
    if not channel.url:
        raise DeliveryFailed("channel has no url")
    try:
        response = await client.post(channel.url, **request)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")


def _send_email(settings: OrderWatchSettings, message: EmailMessage) -> None:
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.notification_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
