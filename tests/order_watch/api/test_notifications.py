"""Notifications reach real local receivers — a Slack-compatible endpoint, a Standard Webhooks
endpoint (signature checked with the carrier adapter's independent verifier) and an SMTP
server — routed by severity, change and escalation level; a failing receiver is retried with
the same webhook id; the last failed attempt leaves the delivery dead; one alert state is
notified once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from services.carrier_adapter.carriers.base import SignatureError, WebhookRequest
from services.carrier_adapter.carriers.generic.signature import verify
from services.order_watch.escalation.scheduled import run_escalations
from services.order_watch.notifications.models import AlertNotice, Notification
from services.order_watch.notifications.scheduled import notify_round
from services.order_watch.settings import ChannelSettings, RouteSettings
from tests.support.receivers import http_receiver, smtp_receiver

pytestmark = pytest.mark.integration
# The story's reship: next-day air by Thursday's 17:00 cut-off at the Chicago warehouse.
TASK_TO_DO = "reship task to do: UPS Next Day Air Saver by 2026-11-19T23:00:00+00:00"
SECRET = "whsec_" + "bm90aWZpY2F0aW9uLXNpZ25pbmcta2V5LTEyMzQ1Ng=="


def notifying(settings, slack, hook, smtp_port, **extra):
    return settings.model_copy(
        update={
            "notification_channels": {
                "ops-slack": ChannelSettings(kind="slack", url=slack.url),
                "crm-hook": ChannelSettings(kind="webhook", url=hook.url, secret=SECRET),
                "leads-mail": ChannelSettings(kind="email", to=["leads@example.test"]),
            },
            "notification_routes": [
                RouteSettings(channel="ops-slack", teams=["fulfillment"]),
                RouteSettings(channel="crm-hook", severities=["critical"], changes=["raised", "escalated"]),
                RouteSettings(channel="leads-mail", changes=["escalated"], min_escalation_level=1),
                RouteSettings(channel="ops-slack", rules=["carrier_estimate_late"]),
            ],
            "smtp_port": smtp_port,
            "notification_retry_seconds": 30.0,
            **extra,
        }
    )


def verified(request):
    """The body of a webhook whose Standard Webhooks signature checks out (as of when it was sent)."""
    headers = {name.lower(): value for name, value in request["headers"].items()}
    sent_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    verify(WebhookRequest("POST", "/hook", headers, {}, request["body"]), [SECRET], sent_at)
    return json.loads(request["body"])


async def test_routed_signed_retried_and_sent_once_per_alert_state(api):
    with smtp_receiver() as smtp:
        async with http_receiver() as slack, http_receiver(fail_first=1) as hook, httpx.AsyncClient() as client:
            settings = notifying(api.settings, slack, hook, smtp.port)
            order_id = await api.story_order()

            await notify_round(settings, api.sessions, client, api.clock)
            assert [json.loads(r["body"])["text"] for r in slack.accepted] == [
                f"[CRITICAL] Order {order_id}: service_downgrade raised",
                f"[CRITICAL] Order {order_id}: {TASK_TO_DO}",  # the fulfillment route has no change filter
            ]
            assert [r["answered"] for r in hook.received] == [503]
            async with api.sessions() as session:
                (pending,) = await session.scalars(select(Notification).where(Notification.channel == "crm-hook"))
            assert (pending.status, pending.attempts) == ("pending", 1)
            assert "503" in pending.last_error

            await notify_round(settings, api.sessions, client, api.clock)  # the retry is not due yet
            assert len(hook.received) == 1

            api.clock.advance(timedelta(minutes=16))  # unacknowledged past 15 min: escalated to the lead
            assert await run_escalations(settings, api.sessions, api.clock) == 1
            await api.reevaluate(order_id)  # the same alert state again: nothing new to notify
            await notify_round(settings, api.sessions, client, api.clock)

        assert [r["answered"] for r in hook.received] == [503, 200, 200]
        bodies = [verified(request) for request in hook.received]
        assert [body["type"] for body in bodies] == ["alert.raised", "alert.raised", "alert.escalated"]
        assert bodies[2]["data"]["escalation_level"] == 1
        (alert,) = (await api.call("GET", "/alerts", params={"order_id": order_id})).json()
        assert set(bodies[2]["data"]) == set(alert), "a webhook carries the alert as the staff API shows it"
        assert (bodies[2]["data"]["alert_id"], bodies[2]["data"]["team"]) == (alert["alert_id"], "fulfillment")
        ids = [request["headers"]["webhook-id"] for request in hook.received]
        assert ids[0] == ids[1] != ids[2], "a retry keeps its webhook-id so receivers can dedupe"
        tampered = {**hook.received[2], "body": hook.received[2]["body"].replace(b"escalated", b"resolved")}
        with pytest.raises(SignatureError):
            verified(tampered)

        assert [json.loads(r["body"])["text"].split(": ", 1)[1] for r in slack.accepted] == [
            "service_downgrade raised",
            TASK_TO_DO,
            "service_downgrade escalated (escalation level 1)",
        ]
        (mail,) = smtp.messages
        assert mail["Subject"] == f"[CRITICAL] Order {order_id}: service_downgrade escalated (escalation level 1)"
        assert smtp.recipients == [["leads@example.test"]]
        assert "Act by: 2026-11-19T23:00:00+00:00" in mail.get_content()
        page = f"{settings.public_url}/ui/orders/{order_id}"
        assert f"Order page: {page}" in mail.get_content(), "a person clicks through to the UI, not the API"
        assert page in json.loads(slack.accepted[0]["body"])["blocks"][1]["text"]["text"]

    async with api.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AlertNotice)) == 3
        statuses = list(await session.scalars(select(Notification.status)))
    assert sorted(statuses) == ["sent"] * 6


async def test_a_reship_task_to_do_and_one_left_undone_are_notified_on_their_alert(api):
    tasks_only = ["task_created", "task_expired"]
    with smtp_receiver() as smtp:
        async with http_receiver() as slack, http_receiver() as hook, httpx.AsyncClient() as client:
            settings = notifying(api.settings, slack, hook, smtp.port).model_copy(
                update={
                    "notification_routes": [
                        RouteSettings(channel="crm-hook", changes=tasks_only),
                        RouteSettings(channel="leads-mail", changes=["task_expired"]),
                    ]
                }
            )
            order_id = await api.story_order()
            (task,) = (await api.call("GET", "/tasks", params={"order_id": order_id})).json()
            api.clock.set(datetime.fromisoformat(task["act_by"]) + timedelta(hours=1))  # nobody reshipped
            await api.reevaluate(order_id)
            await notify_round(settings, api.sessions, client, api.clock)

    created, expired, replanned = (verified(request) for request in hook.received)
    assert [created["type"], expired["type"], replanned["type"]] == ["task.created", "task.expired", "task.created"]
    assert created["data"]["task"]["task_id"] == expired["data"]["task"]["task_id"] == task["task_id"]
    assert (created["data"]["rule"], created["data"]["order_id"]) == ("service_downgrade", order_id)
    assert expired["data"]["task"]["status"] == "expired"
    assert replanned["data"]["task"]["options"] == ["SATURDAY_DELIVERY"], "the next plan, heard at once"
    (mail,) = smtp.messages
    assert mail["Subject"].startswith(f"[CRITICAL] Order {order_id}: reship task expired undone: UPS Next Day Air")
    assert "Reship: ups UPS Next Day Air Saver, expected" in mail.get_content()
    assert f"Order page: {settings.public_url}/ui/orders/{order_id}" in mail.get_content()


async def test_the_last_failed_attempt_leaves_the_delivery_dead(api):
    with smtp_receiver() as smtp:
        async with http_receiver(fail_first=99) as hook, httpx.AsyncClient() as client:
            settings = notifying(api.settings, hook, hook, smtp.port, notification_max_attempts=3).model_copy(
                update={"notification_routes": [RouteSettings(channel="crm-hook", changes=["raised"])]}
            )
            await api.story_order()
            for _ in range(5):
                await notify_round(settings, api.sessions, client, api.clock)
                api.clock.advance(timedelta(hours=1))
    assert [r["answered"] for r in hook.received] == [503, 503, 503]
    async with api.sessions() as session:
        (dead,) = await session.scalars(select(Notification))
    assert (dead.status, dead.attempts, dead.sent_at) == ("dead", 3, None)
    assert dead.last_error.startswith("HTTP 503")
