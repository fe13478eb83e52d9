"""What both providers' HTTP clients share: retrying busy answers with backoff, and telling a
request that never reached the provider from one whose answer was lost on the way back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

from bot.errors import ProviderError

log = logging.getLogger(__name__)

T = TypeVar("T")


def never_arrived(exc: BaseException) -> bool:
    """Whether a failed request surely never reached the provider (the connection was never
    made), so sending it again cannot make it act twice."""
    return isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError)


def answer_lost(method: str, exc: BaseException) -> bool:
    """A POST that may have been carried out although its answer never came (a timeout, a
    dropped connection): sending it again could start, and charge for, a second task."""
    return method == "POST" and not never_arrived(exc)


async def with_retries(
    call: Callable[[], Awaitable[T]], *, attempts: int, backoff_s: float, what: str
) -> T:
    """`call`, tried again after `backoff_s`, then twice that, and so on, while it fails
    retryably."""
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except ProviderError as exc:
            if not exc.retryable or attempt == attempts:
                raise
            delay = backoff_s * 2 ** (attempt - 1)
            log.warning("%s: code %s, retry %d in %.1fs", what, exc.code, attempt, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
