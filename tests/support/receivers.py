"""Real local receivers for outgoing notifications: an HTTP endpoint and an SMTP server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request, Response

from services.devstack.processes import free_port
from tests.support.servers import serving


@dataclass
class HttpReceiver:
    """Every request received; the first `fail_first` answered 503 (a receiver having a bad moment)."""

    url: str = ""
    fail_first: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [request for request in self.received if request["answered"] == 200]


@asynccontextmanager
async def http_receiver(fail_first: int = 0) -> AsyncIterator[HttpReceiver]:
    receiver = HttpReceiver(fail_first=fail_first)
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        status = 503 if len(receiver.received) < receiver.fail_first else 200
        body = await request.body()
        receiver.received.append({"headers": dict(request.headers), "body": body, "answered": status})
        return Response(status_code=status)

    async with serving(app) as base:
        receiver.url = f"{base}/hook"
        yield receiver


@dataclass
class SmtpReceiver:
    port: int
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd hook name
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(port=free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
