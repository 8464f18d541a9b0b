"""Telling an outage from a bad message, and waiting an outage out.

A transient infrastructure error (database or broker unreachable, a dropped connection, a
serialization failure) says nothing about the message being handled: retrying the same work
later will succeed. ARCHITECTURE §5.9: such errors are waited out for as long as they last —
never dead-lettered — while anything else is a bounded retry at most.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka.errors import KafkaError, KafkaTimeoutError, KafkaUnavailableError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from services.common.lifecycle import sleep_or_stop
from services.common.metrics import STALLED, STALLS_TOTAL

log = logging.getLogger(__name__)

# SQLSTATEs that mean "the database, not the statement": connection exceptions (08), resource
# exhaustion such as too many connections (53), shutdown or start-up (57P), system I/O (58),
# and the two conflicts PostgreSQL asks the client to retry (serialization, deadlock).
TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P", "58", "40001", "40P01")


NETWORK_ERRNOS = {errno.ENETDOWN, errno.ENETUNREACH, errno.EHOSTDOWN, errno.EHOSTUNREACH, errno.ETIMEDOUT}


def _sqlstate(error: BaseException) -> str | None:
    state = getattr(error, "sqlstate", None) or getattr(getattr(error, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from (asyncpg errors arrive wrapped by SQLAlchemy)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_transient_one(error: BaseException) -> bool:
    if isinstance(error, KafkaError):
        # aiokafka marks connection loss and leader moves retriable, but not a send that timed out
        # or a cluster with no broker up — which are outages all the same.
        return bool(error.retriable) or isinstance(error, KafkaTimeoutError | KafkaUnavailableError)
    if isinstance(error, ConnectionError | TimeoutError | PoolTimeout | socket.gaierror):
        return True
    if isinstance(error, OSError):  # the network, not a file or a bug: unreachable, down, timed out
        # asyncio's connect to a host with several addresses (localhost: ::1 and 127.0.0.1) that
        # all failed raises one OSError without an errno, "Multiple exceptions: …".
        return error.errno in NETWORK_ERRNOS or str(error).startswith("Multiple exceptions:")
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, asyncpg.InternalClientError):
        # The driver's protocol state, not the statement: seen when the server dropped a pooled
        # connection as a statement started on it (db.pooled terminates that connection).
        return True
    state = _sqlstate(error)
    return state is not None and state.startswith(TRANSIENT_SQLSTATE_PREFIXES)


def is_transient(error: BaseException) -> bool:
    """True when retrying the same work later can succeed; False when the work itself is at fault."""
    return any(_is_transient_one(cause) for cause in _causes(error))


def describe(error: BaseException) -> str:
    """One line for logs and `/readyz`: the error's type and message, without a stack."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


def transient_retry(attempts: int = 5, max_wait: float = 10.0) -> AsyncRetrying:
    """A bounded retry of transient errors: `async for attempt in transient_retry(): with attempt: ...`"""
    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.2, max=max_wait),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )


class Stalls:
    """Which of this process's loops are waiting out an outage, and why.

    While one waits the process is not ready (`/readyz`), so an operator or a load balancer
    sees it without reading logs.
    """

    def __init__(self) -> None:
        self._reasons: dict[str, str] = {}

    def begin(self, loop: str, reason: str) -> None:
        if loop not in self._reasons:
            STALLS_TOTAL.labels(loop=loop).inc()
            STALLED.labels(loop=loop).set(1)
        self._reasons[loop] = reason

    def end(self, loop: str) -> None:
        if self._reasons.pop(loop, None) is not None:
            STALLED.labels(loop=loop).set(0)

    def active(self) -> dict[str, str]:
        return dict(self._reasons)


STALLS = Stalls()


class Outage:
    """One loop's wait through an outage: capped, jittered backoff, a stall on record, and a
    log line when it starts and when it ends (not one stack per attempt)."""

    def __init__(self, loop: str, *, base_seconds: float = 0.2, max_seconds: float = 10.0) -> None:
        self.loop = loop
        self.base_seconds = base_seconds
        self.max_seconds = max_seconds
        self.attempts = 0
        self._since = 0.0

    async def wait(
        self, error: BaseException, stop: asyncio.Event, sleep: Callable[[float], Awaitable[object]] | None = None
    ) -> None:
        """Record the stall and sleep the next backoff: `sleep(seconds)` if given, else until
        the backoff ends or `stop` is set."""
        if self.attempts == 0:
            self._since = time.monotonic()
            log.warning("waiting out an outage", extra={"loop": self.loop, "error": describe(error)})
        self.attempts += 1
        STALLS.begin(self.loop, describe(error))
        if sleep is None:
            await sleep_or_stop(stop, self.backoff())
        else:
            await sleep(self.backoff())

    def backoff(self) -> float:
        return random.uniform(self.base_seconds / 2, min(self.max_seconds, self.base_seconds * 2**self.attempts))

    def over(self) -> None:
        """The work went through: clear the stall and say how long it lasted."""
        if self.attempts:
            log.warning(
                "outage over; carrying on",
                extra={
                    "loop": self.loop,
                    "attempts": self.attempts,
                    "seconds": round(time.monotonic() - self._since, 1),
                },
            )
            self.attempts = 0
            STALLS.end(self.loop)
