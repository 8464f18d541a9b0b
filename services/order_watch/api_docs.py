"""OpenAPI response documents the staff API routes share: problem+json answers with examples."""

from __future__ import annotations

from typing import Any

PROBLEMS: dict[int, tuple[str, str]] = {
    401: ("Missing, unknown or revoked token", "token revoked or unknown"),
    403: ("The token's role may not do this", "role 'sales' may not do this; needs one of: admin, fulfillment"),
    404: ("No such resource", "no case '1f0c6a8e-3b59-4a57-9a51-0d7ad3c2f9e1'"),
    409: ("The current status does not allow this", "cannot resolve a resolved case; only unresolved ones"),
    422: ("A field is missing or invalid", "body.resolution: Input should be 'reshipped', 'customer_informed', …"),
}
TITLES = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status as problem+json with an example (401, 403, 422 always)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted({401, 403, 422, *statuses}):
        description, detail = PROBLEMS[status]
        example = {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail}
        documented[status] = {"description": description, "content": {"application/problem+json": {"example": example}}}
    return documented
