"""Sign a payload as a source would and print the curl command that sends it (integrator aid)."""

from __future__ import annotations

import shlex
from datetime import datetime
from urllib.parse import urlencode

from services.carrier_adapter.carriers import all_sources


def curl_command(source_slug: str, body: bytes, secret: str, base_url: str, now: datetime) -> str:
    source = all_sources().get(source_slug)
    if source is None:
        raise SystemExit(f"unknown source {source_slug!r}; known: {', '.join(sorted(all_sources()))}")
    headers, query = source.sign_request(body, secret, now)
    url = f"{base_url.rstrip('/')}/webhooks/{source_slug}" + (f"?{urlencode(query)}" if query else "")
    parts = ["curl", "-sS", "-X", "POST", url, "-H", f"content-type: {source.content_types[0]}"]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-binary", body.decode()]
    return " ".join(shlex.quote(part) for part in parts)
