"""HTTP request metrics: counted by route template, method and status class; sizes from Content-Length;
/metrics itself not counted; an extra instrumentation sees the path parameters."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY

from services.common.health import health_router
from services.common.http_metrics import Answered
from services.common.ops import instrument_http
from services.common.settings import ServiceSettings


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_requests_are_counted_by_template_with_their_sizes_and_the_extra_instrumentation_sees_them():
    route = f"/things-{uuid.uuid4().hex[:8]}/{{thing_id}}"  # a handler no other test counts
    seen: list[Answered] = []
    app = FastAPI()

    @app.post(route)
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"thing": thing_id}

    app.include_router(health_router(ServiceSettings(), lambda: None))  # type: ignore[arg-type, return-value]
    instrument_http(app, seen.append)
    metrics_before = sample("http_requests_total", method="GET", status="2xx", handler="/metrics")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        ok = await client.post(route.replace("{thing_id}", "a1"), content=b"12345")
        await client.post(route.replace("{thing_id}", "missing"))
        await client.get("/metrics")
    assert ok.status_code == 200
    assert sample("http_requests_total", method="POST", status="2xx", handler=route) == 1
    assert sample("http_requests_total", method="POST", status="4xx", handler=route) == 1
    assert sample("http_request_size_bytes_sum", handler=route) == 5
    assert sample("http_response_size_bytes_sum", handler=route) >= len(ok.content)
    assert sample("http_request_duration_seconds_count", method="POST", handler=route) == 2
    assert sample("http_requests_total", method="GET", status="2xx", handler="/metrics") == metrics_before
    assert [(answered.handler, answered.path_params, answered.status) for answered in seen] == [
        (route, {"thing_id": "a1"}, 200),
        (route, {"thing_id": "missing"}, 404),
    ]
