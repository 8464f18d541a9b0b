"""What a notification says, per channel kind, and how a generic webhook is signed. Pure.

Generic webhooks follow Standard Webhooks (standardwebhooks.com): `webhook-id` (stable across
retries, so receivers can dedupe), `webhook-timestamp`, and `webhook-signature: v1,<base64
HMAC-SHA256 of "{id}.{timestamp}.{body}">` keyed with the base64 part of a `whsec_` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

from services.common.clock import utc_iso

EVENT_TYPES = {
    "raised": "alert.raised",
    "escalated": "alert.escalated",
    "reopened": "alert.reopened",
    "recovering": "alert.recovering",
    "resolved": "alert.resolved",
    "assigned": "alert.assigned",
    "task_created": "task.created",
    "task_expired": "task.expired",
}
TASK_HEADLINES = {"task_created": "reship task to do", "task_expired": "reship task expired undone"}


def order_page(public_url: str, alert: dict[str, Any]) -> str:
    """The staff web UI page of the alert's order: a person clicking from Slack or email signs in there
    (the API's alert endpoint wants a bearer token a browser does not have)."""
    return f"{public_url.rstrip('/')}/ui/orders/{quote(alert['order_id'], safe='')}"


def headline(change: str, alert: dict[str, Any]) -> str:
    prefix = f"[{alert['severity'].upper()}] Order {alert['order_id']}"
    if "task" in alert:
        task = alert["task"]
        return f"{prefix}: {TASK_HEADLINES.get(change, change)}: {task['service_name']} by {_instant(task['act_by'])}"
    level = f" (escalation level {alert['escalation_level']})" if alert["escalation_level"] else ""
    return f"{prefix}: {alert['rule']} {change}{level}"


def body_lines(alert: dict[str, Any], link: str) -> list[str]:
    if "task" in alert:
        task = alert["task"]
        return [
            task["reason"],
            f"Reship: {task['carrier']} {task['service_name']}"
            + (f" with {', '.join(task['options'])}" if task["options"] else "")
            + f", expected {_instant(task['expected_delivery'])}",
            f"Act by: {_instant(task['act_by'])} · task {task['status']} · owner {task['owner'] or 'nobody yet'}",
            f"Alert: {alert['rule']} · team {alert['team']} · priority {alert['priority']}",
            f"Order page: {link}",
        ]
    return [
        alert["summary"],
        f"Owner: {alert['owner'] or 'nobody yet'} · team {alert['team']} · priority {alert['priority']}",
        f"Act by: {_instant(alert['act_by']) if alert['act_by'] else 'no deadline'}",
        f"Order page: {link}",
    ]


def _instant(value: str) -> str:
    """An ISO 8601 instant in UTC with its offset spelled out (`+00:00`, where JSON says `Z`): every
    message gives times alike, whether they were read back from the database or just computed."""
    return utc_iso(datetime.fromisoformat(value))


def slack_payload(change: str, alert: dict[str, Any], link: str) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` for every client, `blocks` for the rich view."""
    title = headline(change, alert)
    return {
        "text": title,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(body_lines(alert, link))}},
        ],
    }


def webhook_body(change: str, alert: dict[str, Any], at: datetime) -> bytes:
    payload = {"type": EVENT_TYPES.get(change, f"alert.{change}"), "timestamp": at.isoformat(), "data": alert}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def sign_webhook(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers for a body."""
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def email_message(change: str, alert: dict[str, Any], link: str, sender: str, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = headline(change, alert)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content("\n".join(body_lines(alert, link)) + "\n")
    return message
