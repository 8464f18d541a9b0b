"""Small pieces every command-line entry point shares: logging, the event loop, uvicorn, and one-line
errors for what an operator can fix (a setting, an unreachable database or broker)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import NoReturn, TypeVar

import uvicorn
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from services.common.kafka import TopicsMissing
from services.common.lifecycle import run_until_stopped
from services.common.logs import configure_logging
from services.common.ops import Ops, PortTaken, serving_ops
from services.common.settings import ServiceSettings

EXIT_OPERATOR_ERROR = 2  # argparse's code for a usage error: the command cannot run as configured
S = TypeVar("S", bound=ServiceSettings)
UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL}
DEV_HINT = "for `make run`'s stack: `. .devstack/env`"


def serve_http(app: FastAPI, settings: ServiceSettings, host: str, port: int) -> None:
    configure_logging(settings.log_level)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, proxy_headers=True)


def run_daemon(settings: ServiceSettings, main: Callable[[asyncio.Event], Awaitable[None]], ops: Ops) -> None:
    """Run a long-lived loop until SIGINT/SIGTERM, with its operations port open the whole time."""
    configure_logging(settings.log_level)

    async def with_ops(stop: asyncio.Event) -> None:
        async with serving_ops(settings, ops):
            await main(stop)

    asyncio.run(run_until_stopped(with_ops))


def run_command(prog: str, settings_type: type[S], command: Callable[[S], None]) -> None:
    """Run `command` with settings from the environment; what an operator can fix is one line, exit code 2."""
    # A one-shot command explains a broker failure in its own line; aiokafka's log lines would only
    # repeat it (a daemon's configure_logging sets this back to WARNING).
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        settings = settings_type()
    except ValidationError as exc:
        fail(prog, invalid_settings(exc, settings_type))
    try:
        command(settings)
    except Exception as exc:
        reason = explain(exc, settings, prog)
        if reason is None:
            raise
        fail(prog, reason)


def fail(prog: str, reason: str) -> NoReturn:
    print(f"{prog}: {reason}", file=sys.stderr)
    sys.exit(EXIT_OPERATOR_ERROR)


def invalid_settings(exc: ValidationError, settings_type: type[ServiceSettings]) -> str:
    prefix = settings_type.model_config.get("env_prefix", "")
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        info = settings_type.model_fields.get(field)
        alias = getattr(info.validation_alias, "choices", None) if info else None
        variable = str(alias[0]) if alias else f"{prefix}{field}".upper()
        problems.append(f"{variable}: {error['msg']} (got {error.get('input')!r})")
    return "invalid setting " + "; ".join(problems)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from or during."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]


def explain(exc: BaseException, settings: ServiceSettings, prog: str) -> str | None:
    """One sentence naming the setting to check, for failures an operator can fix; None for a bug."""
    chain = list(causes(exc))
    taken = next((e for e in chain if isinstance(e, PortTaken)), None)
    if taken is not None:
        return str(taken)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    missing_topics = next((e for e in chain if isinstance(e, TopicsMissing)), None)
    if missing_topics is not None:
        return f"{missing_topics}; create them with `ow-topics` (a restarted embedded broker forgets its topics)"
    if any(isinstance(e, KafkaConnectionError | KafkaTimeoutError) for e in chain):
        where = settings.kafka_bootstrap_servers
        return f"cannot reach the Kafka broker at {where} ({_origin('KAFKA_BOOTSTRAP_SERVERS')})"
    missing_table = next((e for e in chain if isinstance(e, ProgrammingError) and "does not exist" in str(e)), None)
    if missing_table is not None:
        return f"the database has no {prog.replace('-', '_')} schema yet: run `{prog} migrate` first"
    reason = next((_database_reason(e) for e in chain if _database_reason(e)), None)
    if reason is not None:
        url = make_url(settings.database_url)
        where = f"{url.host}:{url.port or 5432}/{url.database}"
        return f"cannot reach PostgreSQL at {where} ({_origin('DATABASE_URL')}): {reason}"
    return None


def _database_reason(exc: BaseException) -> str | None:
    import asyncpg

    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
        return "the user or password was refused"
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return "no such database"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError) or getattr(exc, "errno", None) in UNREACHABLE:
        return exc.strerror or str(exc) or type(exc).__name__  # type: ignore[union-attr]
    return None


def _origin(variable: str) -> str:
    if variable in os.environ:
        return f"from {variable}"
    return f"{variable} is not set, so the default was tried; {DEV_HINT}"


def topics_main() -> None:
    """`ow-topics`: create every contract topic and its dead-letter topic, with one-line errors."""
    from services.common.kafka import topics_main as create_topics

    run_command("ow-topics", ServiceSettings, lambda _: create_topics())
