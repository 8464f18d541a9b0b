"""Bad input a sender can only fix by changing it gets a 4xx naming the problem, never a 5xx.

Two parts, both over real HTTP against real PostgreSQL: the cases issue 13 found one by one,
each with the field it must name; and a seeded fuzzer that signs mutated recorded payloads of
every source (NUL characters, over-long and huge strings, huge numbers, deep nesting, wrong
types, absurd dates) and counts the answers of 500 or more — which must be none.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.carrier_adapter.app import create_app
from services.carrier_adapter.carriers import all_sources
from services.carrier_adapter.carriers.shippo.signature import HEADER as SHIPPO_HEADER
from tests.support.events import generic_scan
from tests.support.servers import serving

pytestmark = pytest.mark.integration

PAYLOADS = Path(__file__).parent / "carriers" / "payloads"
SECRET = "hostile-input-secret"


@pytest.fixture
async def adapter(carrier_adapter_settings, sessions) -> Iterator[tuple[str, httpx.AsyncClient]]:
    generic = carrier_adapter_settings.secrets_for("generic")[0]
    secrets = {slug: (generic if slug == "generic" else SECRET) for slug in all_sources()}
    settings = carrier_adapter_settings.model_copy(update={"webhook_secrets": secrets})
    async with serving(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield settings, client


async def post_signed(client: httpx.AsyncClient, settings, slug: str, body: bytes, **params: str) -> httpx.Response:
    headers, query = all_sources()[slug].sign_request(body, settings.secrets_for(slug)[0], datetime.now(UTC))
    return await client.post(
        f"/webhooks/{slug}",
        content=body,
        params={**query, **params},
        headers={**headers, "content-type": "application/json"},
    )


def _scan(**fields: Any) -> bytes:
    return json.dumps({**generic_scan("1ZHOSTILE0001", at=datetime.now(UTC)), **fields}).encode()


async def test_a_nul_in_a_field_is_a_422_naming_it(adapter):
    settings, client = adapter
    response = await post_signed(client, settings, "generic", _scan(description="Arrived\u0000 at hub"))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "body.description"


async def test_a_nul_in_the_query_is_a_400_naming_the_parameter(adapter):
    settings, client = adapter
    response = await post_signed(client, settings, "generic", _scan(), note="a\x00b")
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "query.note"


async def test_a_nul_in_the_path_is_a_400_problem_naming_it(adapter):
    _, client = adapter
    response = await client.post("/webhooks/gen%00eric", content=_scan(), headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "path"


@pytest.mark.parametrize("length", [101, 1_000, 900_000])
async def test_an_over_long_tracking_number_is_refused_before_the_database(adapter, length):
    settings, client = adapter
    response = await post_signed(client, settings, "generic", _scan(tracking_number="9" * length))
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "events[0].tracking_number"
    assert "100 characters" in response.json()["detail"]


async def test_json_nested_a_hundred_thousand_deep_is_a_400(adapter):
    settings, client = adapter
    response = await post_signed(client, settings, "generic", b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"


async def test_an_absurd_signature_timestamp_without_credentials_is_a_401(adapter):
    _, client = adapter
    body = _scan()
    generic = await client.post(
        "/webhooks/generic",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": "msg_1",
            "webhook-timestamp": "9" * 400,
            "webhook-signature": "v1,AAAA",
        },
    )
    shippo = await client.post(
        "/webhooks/shippo",
        content=body,
        headers={"content-type": "application/json", SHIPPO_HEADER: f"t={'9' * 400},v1=00"},
    )
    for response in (generic, shippo):
        assert response.status_code == 401, response.text
        assert "unix time" in response.json()["detail"]


async def test_usps_times_a_day_apart_are_a_422_naming_the_field(adapter):
    settings, client = adapter
    envelope = json.loads((PAYLOADS / "usps" / "delivered_history.json").read_text())
    envelope["timestamp"] = datetime.now(UTC).isoformat()
    payload = json.loads(envelope["payload"])  # USPS nests its payload as a JSON string
    scan = _first_scan_with(payload, "eventTimestamp")
    local = datetime.fromisoformat(scan["eventTimestamp"]).replace(tzinfo=None)
    scan.pop("GMTOffset", None)
    scan["GMTTimestamp"] = (local + timedelta(hours=30)).isoformat() + "Z"
    envelope["payload"] = json.dumps(payload)
    response = await post_signed(client, settings, "usps", json.dumps(envelope).encode())
    assert response.status_code == 422, response.text
    assert response.json()["field"].endswith(".GMTTimestamp")


def _first_scan_with(document: Any, key: str) -> dict[str, Any]:
    pending = [document]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            if key in current and isinstance(current[key], str) and "+" not in current[key][10:]:
                return current
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)
    raise AssertionError(f"no scan with a naive {key}")


# --- the fuzzer ---------------------------------------------------------------------------

MUTATIONS = {
    "nul": lambda value: f"{value}\u0000x",
    "long": lambda value: "7" * 300,
    "huge": lambda value: "8" * 200_000,
    "big_int": lambda value: int("9" * 400),
    "float": lambda value: 1e308,
    "negative": lambda value: -1,
    "bool": lambda value: True,
    "null": lambda value: None,
    "object": lambda value: {"x": [value]},
    "deep": lambda value: json.loads("[" * 500 + "]" * 500),
    "far_future": lambda value: "9999-12-31T23:59:59+14:00",
    "year_one": lambda value: "0001-01-01T00:00:00-12:00",
    "bad_date": lambda value: "2026-13-45T25:61:61Z",
}


def _leaves(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _mutated(document: Any, path: tuple[Any, ...], mutation: str) -> Any:
    copy = json.loads(json.dumps(document))
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = MUTATIONS[mutation](parent[path[-1]])
    return copy


def _cases(slug: str, rng: random.Random, per_source: int) -> Iterator[tuple[str, bytes]]:
    files = sorted((PAYLOADS / slug).glob("*.json")) if (PAYLOADS / slug).exists() else []
    documents = [json.loads(path.read_text()) for path in files] or [json.loads(_scan())]
    for _ in range(per_source):
        document = rng.choice(documents)
        mutation = rng.choice(sorted(MUTATIONS))
        if slug == "usps":  # the envelope is signed with its own recent timestamp; mutate what it carries
            inner = json.loads(document["payload"])
            path = rng.choice(list(_leaves(inner)))
            body = {**document, "timestamp": datetime.now(UTC).isoformat()}
            body["payload"] = json.dumps(_mutated(inner, path, mutation))
        else:
            path = rng.choice(list(_leaves(document)))
            body = _mutated(document, path, mutation)
        yield f"{mutation} at {'.'.join(map(str, path))}", json.dumps(body).encode()


@pytest.mark.parametrize("slug", sorted(all_sources()))
async def test_signed_mutated_payloads_never_get_a_5xx(adapter, slug):
    settings, client = adapter
    rng = random.Random(f"hostile-{slug}")
    answers: Counter[int] = Counter()
    failures: list[str] = []
    for label, body in _cases(slug, rng, per_source=60):
        response = await post_signed(client, settings, slug, body)
        answers[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", label
    assert not failures, "\n".join(failures)
    assert sum(answers.values()) == 60
