"""The OpenAPI document is complete: every operation has a summary, documented responses, and an
example for what it answers and what it takes; every protected operation declares bearer auth."""

from __future__ import annotations

from typing import Any

import pytest

from services.order_watch.app import create_app
from services.order_watch.settings import OrderWatchSettings

DOCUMENT = create_app(OrderWatchSettings()).openapi()
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]
PUBLIC = {"GET /healthz", "GET /readyz", "GET /metrics"}


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return resolve(DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    if schema.get("type") == "array":
        return resolve(schema["items"])
    return schema


def has_example(content: dict[str, Any]) -> bool:
    return any(
        "example" in media or "examples" in media or "example" in resolve(media.get("schema", {}))
        for media in content.values()
    )


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[name for name, _ in OPERATIONS])
def test_operation_is_documented_with_examples(name: str, operation: dict[str, Any]) -> None:
    assert operation.get("summary"), f"{name} has no summary"
    success = [code for code in operation["responses"] if code.startswith("2")]
    assert success, f"{name} documents no success response"
    for code, response in operation["responses"].items():
        assert has_example(response.get("content", {})), f"{name} {code} has no example"
    body = operation.get("requestBody")
    if body is not None:
        assert has_example(body["content"]), f"{name} request body has no example"
    if name not in PUBLIC:
        assert operation.get("security") == [{"HTTPBearer": []}], f"{name} is not protected"
        assert {"401", "403"} <= set(operation["responses"]), f"{name} does not document 401/403"
