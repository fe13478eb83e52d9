"""The one way to run work every N seconds until told to stop, and the one way to try a call
again after growing delays."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Protocol, TypeVar

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

T = TypeVar("T")
# Trouble a loop expects now and then (Redis restarting, a dropped connection): one line, no
# traceback; anything else is logged with its traceback. Either way the next tick tries again.
EXPECTED = (RedisError, OSError)


class Background(Protocol):
    """Background work: runs until `stopping` is set, then ends by itself (a cancel could land
    inside a Redis command, and redis-py may swallow it)."""

    async def run(self, stopping: asyncio.Event) -> None: ...


async def every(
    interval_s: float,
    tick: Callable[[], Awaitable[object]],
    stopping: asyncio.Event,
    *,
    what: str,
    wake: asyncio.Event | None = None,
) -> None:
    """`tick()`, then again `interval_s` after it ended (or as soon as `wake` is set: work just
    handed in), until `stopping` is set."""
    while not stopping.is_set():
        if wake is not None:
            wake.clear()
        try:
            await tick()
        except EXPECTED as exc:
            log.warning("%s failed: %s", what, type(exc).__name__)
        except Exception:
            log.exception("%s failed", what)
        # Events, not a bare sleep: shutdown ends the wait at once.
        await _first_set((stopping, wake) if wake is not None else (stopping,), interval_s)


async def _first_set(events: tuple[asyncio.Event, ...], timeout_s: float) -> None:
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def doubling(first_s: float, max_s: float = math.inf) -> Iterator[float]:
    """`first_s`, twice that, and so on, never over `max_s`: endless, cut it to size."""
    delay = first_s
    while True:
        yield min(delay, max_s)
        delay = min(delay * 2, max_s)


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    retry_if: Callable[[Exception], bool],
    delays: Iterable[float],
    within_s: float | None = None,
    what: str,
) -> T:
    """`call()`, tried again after each of `delays` while it fails with an error `retry_if`
    accepts; that error is raised once the delays run out, or when the next try would start
    more than `within_s` after the first."""
    started = time.monotonic()
    for attempt, delay in enumerate(delays, start=1):
        try:
            return await call()
        except Exception as exc:
            late = within_s is not None and time.monotonic() - started + delay > within_s
            if late or not retry_if(exc):
                raise
            log.warning("%s failed (%s); retry %d in %.2g s", what, _reason(exc), attempt, delay)
        await asyncio.sleep(delay)
    return await call()


def _reason(exc: Exception) -> str:
    """A provider's code, or the error's type: never its text, which may carry a URL."""
    return str(getattr(exc, "code", "") or type(exc).__name__)
