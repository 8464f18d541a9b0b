"""Bounded, jittered retries for transient infrastructure errors only."""

from __future__ import annotations

import logging

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, RequestTimedOutError
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger(__name__)

TRANSIENT_KAFKA = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, RequestTimedOutError)


def is_transient(error: BaseException) -> bool:
    """Connection loss and timeouts are worth retrying; a constraint violation is not."""
    if isinstance(error, TRANSIENT_KAFKA | OperationalError | ConnectionError | TimeoutError | OSError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def transient_retry(attempts: int = 5, max_wait: float = 10.0) -> AsyncRetrying:
    """`async for attempt in transient_retry(): with attempt: ...`"""
    return AsyncRetrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.2, max=max_wait),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )
