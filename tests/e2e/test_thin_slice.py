"""End to end through the real broker and PostgreSQL: order, label and a signed webhook meet."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.carrier_adapter.carriers import all_sources
from services.common.publish import send
from tests.support.events import generic_scan, label_created, order_placed, unique_order_id
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.system import running_system

pytestmark = pytest.mark.integration


def signed(body: bytes, secret: str) -> dict[str, str]:
    headers, _ = all_sources()["generic"].sign_request(body, secret, datetime.now(UTC))
    return {**headers, "content-type": "application/json"}


async def test_order_label_and_webhook_meet_in_get_order(carrier_adapter_settings, order_watch_settings, sessions):
    order_id = unique_order_id()
    now = datetime.now(UTC)
    tracking_number = "1ZTHINSLICE0001"
    secret = carrier_adapter_settings.secrets_for("generic")[0]
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions) as system:
        await send(
            order_watch_settings,
            [
                order_placed(order_id, placed_at=now - timedelta(hours=2), promised_by=now + timedelta(days=2)),
                label_created(order_id, created_at=now - timedelta(hours=1), tracking_number=tracking_number),
            ],
        )
        body = json.dumps(generic_scan(tracking_number, at=now - timedelta(minutes=5), status="accepted")).encode()
        response = await system.client.post(
            f"{system.adapter_url}/webhooks/generic", content=body, headers=signed(body, secret)
        )
        assert response.status_code == 202, response.text

        async def order_with_scan():
            answer = await system.client.get(f"{system.order_watch_url}/orders/{order_id}", headers=system.auth())
            if answer.status_code != 200:
                return None
            shipments = answer.json()["shipments"]
            return answer.json() if shipments and shipments[0]["tracking_events"] else None

        order = await eventually(order_with_scan)
    assert order["order_id"] == order_id
    assert order["paid_service_level"] == "NEXT_DAY"
    (shipment,) = order["shipments"]
    assert shipment["tracking_number"] == tracking_number
    assert shipment["label_service_code"] == "03"
    (scan,) = shipment["tracking_events"]
    assert scan["status"] == "accepted"
    assert scan["source"] == "generic"


async def test_duplicate_webhook_is_acknowledged_and_published_once(
    carrier_adapter_settings, order_watch_settings, sessions
):
    secret = carrier_adapter_settings.secrets_for("generic")[0]
    body = json.dumps(generic_scan("1ZDUPLICATE0001", at=datetime.now(UTC), status="in_transit")).encode()
    headers = signed(body, secret)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions) as system:
        first = await system.client.post(f"{system.adapter_url}/webhooks/generic", content=body, headers=headers)
        again = await system.client.post(f"{system.adapter_url}/webhooks/generic", content=body, headers=headers)
        assert (first.status_code, again.status_code) == (202, 200)
        assert first.json() == {"status": "stored", "kind": "tracking", "events": 1, "new_events": 1}
        records = await read_topic(carrier_adapter_settings, "tracking.v1", expect=1)
    assert len(records) == 1
    assert records[0].key == b"ups:1ZDUPLICATE0001"


async def test_webhook_errors_are_problem_documents(carrier_adapter_settings, order_watch_settings, sessions):
    secret = carrier_adapter_settings.secrets_for("generic")[0]
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions) as system:
        url = f"{system.adapter_url}/webhooks/generic"
        malformed = b'{"carrier": "ups", '
        bad_json = await system.client.post(url, content=malformed, headers=signed(malformed, secret))
        good = json.dumps(generic_scan("1ZERR", at=datetime.now(UTC))).encode()
        bad_signature = await system.client.post(url, content=good, headers=signed(good, "whsec_d3Jvbmc="))
        missing_field = json.dumps({"carrier": "ups", "tracking_number": "1ZERR", "status": "in_transit"}).encode()
        unprocessable = await system.client.post(url, content=missing_field, headers=signed(missing_field, secret))
        unknown_source = await system.client.post(f"{system.adapter_url}/webhooks/nope", content=good)
        wrong_type = await system.client.post(
            url, content=good, headers={**signed(good, secret), "content-type": "text/plain"}
        )
        metrics = (await system.client.get(f"{system.adapter_url}/metrics")).text
    for response, status in (
        (bad_json, 400),
        (bad_signature, 401),
        (unprocessable, 422),
        (unknown_source, 404),
        (wrong_type, 415),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    assert "malformed JSON" in bad_json.json()["detail"]
    assert unprocessable.json()["field"] == "events[0].event_time"
    assert 'carrier_adapter_webhooks_rejected_total{reason="bad_signature",source="generic"}' in metrics


async def test_undecodable_message_goes_to_the_dead_letter_topic_and_the_worker_carries_on(
    carrier_adapter_settings, order_watch_settings, sessions
):
    from aiokafka import AIOKafkaProducer

    order_id = unique_order_id()
    now = datetime.now(UTC)
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions) as system:
        producer = AIOKafkaProducer(bootstrap_servers=order_watch_settings.kafka_bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(
                order_watch_settings.topic("orders.v1"), b"\xff not json", key=order_id.encode()
            )
            await producer.send_and_wait(
                order_watch_settings.topic("orders.v1"), b'{"event_type": "order.placed"}', key=order_id.encode()
            )
        finally:
            await producer.stop()
        await send(order_watch_settings, [order_placed(order_id, placed_at=now, promised_by=now + timedelta(days=2))])

        async def stored():
            answer = await system.client.get(f"{system.order_watch_url}/orders/{order_id}", headers=system.auth())
            return answer.status_code == 200

        await eventually(stored)
        dead = await read_topic(order_watch_settings, "orders.v1.dlq", expect=2)
    assert sorted(record.value for record in dead) == sorted([b"\xff not json", b'{"event_type": "order.placed"}'])
    for record in dead:
        headers = dict(record.headers)
        assert headers["dlq.reason"] == b"undecodable"
        assert headers["dlq.source"].startswith(order_watch_settings.topic("orders.v1").encode())


async def test_health_and_readiness(carrier_adapter_settings, order_watch_settings, sessions):
    async with running_system(carrier_adapter_settings, order_watch_settings, sessions) as system:
        for base in (system.adapter_url, system.order_watch_url):
            assert (await system.client.get(f"{base}/healthz")).json() == {"status": "ok"}
            ready = await system.client.get(f"{base}/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {"database": "ok", "broker": "ok"}
            assert (await system.client.get(f"{base}/metrics")).status_code == 200
