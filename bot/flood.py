"""Telegram flood control: throttle what counts as sending, results first, retry everything on 429.

A call says where it waits through PTB's per-call `rate_limit_args` (a `SendPriority`): results
and failure messages take the next free slot before any status message, edit or deletion
waiting at the same time, so a burst of status messages never delays a result.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Coroutine
from enum import IntEnum
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.metrics import Metrics

JSONDict = dict[str, Any]
Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]

# Calls that Telegram's ~30 messages/s budget is spent on. Deleting a message, answering a
# button press or fetching a file does not send anything, so it does not wait for a slot.
THROTTLED_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAudio", "sendAnimation",
        "sendMediaGroup", "sendVoice", "sendSticker", "copyMessage", "forwardMessage",
        "editMessageText", "editMessageCaption", "editMessageMedia",
    }
)  # fmt: skip


# Telegram counts messages in a sliding second; a bucket that allows a burst of 30 and then
# refills overruns such a window, and so do sends that a busy event loop releases together;
# one slot every 1/28 s leaves room for that jitter and stays within 7% of the limit.
SENDS_PER_SECOND = 28.0


class SendPriority(IntEnum):
    """Which waiting call gets the next send slot: lower first. Never 0 (PTB drops falsy
    `rate_limit_args`). A call that names none counts as RESULT: answers to users come first."""

    RESULT = 1  # results, failure and link messages, answers to what a user did
    STATUS = 2  # status messages ("Working on it…"), their edits and deletions
    BROADCAST = 3  # an admin's message to every user: only slots nothing else wants


class SendSlots:
    """One send slot every `interval_s`, given to the waiting call of the highest priority (the
    earliest among equals). No background task: a timer wakes the next waiter."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._next_free = 0.0
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot (cancelled ones included until their turn)."""
        return len(self._waiting)

    async def take(self, priority: int) -> None:
        loop = asyncio.get_running_loop()
        if not self._waiting and loop.time() >= self._next_free:
            self._next_free = loop.time() + self._interval_s
            return
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiting, (priority, next(self._arrivals), future))
        self._arm(loop)
        await future  # a cancelled waiter's future is skipped when its turn comes

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is None:
            self._timer = loop.call_at(max(self._next_free, loop.time()), self._release, loop)

    def _release(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                self._next_free = loop.time() + self._interval_s
                break
        if self._waiting:
            self._arm(loop)


class SendRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter for its 429 retries and group limits, with the overall throttle
    replaced by SendSlots and applied only to sending methods; 429s and retries are counted."""

    def __init__(self, max_retries: int, metrics: Metrics | None = None) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)
        self._slots = SendSlots(1 / SENDS_PER_SECOND)
        self._metrics = metrics or Metrics()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        callback = self._counted(callback, endpoint)
        if endpoint in THROTTLED_METHODS:
            priority = SendPriority(rate_limit_args or SendPriority.RESULT)
            callback = self._after_a_slot(callback, priority)
        else:
            # Without a chat id the limiter skips its group throttle but still retries on 429;
            # the request itself is built from `args`, which keep the chat id.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        # `rate_limit_args` means retries to PTB's limiter; ours is a priority, so not passed on.
        return await super().process_request(callback, args, kwargs, endpoint, data, None)

    def _counted(self, callback: Callback, endpoint: str) -> Callback:
        """The request, counting the 429s PTB's limiter sees and the calls it sends again."""
        calls = 0

        async def send(*args: Any, **kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            nonlocal calls
            calls += 1
            if calls > 1:
                self._metrics.telegram_retry(endpoint)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter:
                self._metrics.telegram_429(endpoint)
                raise

        return send

    def _after_a_slot(self, callback: Callback, priority: SendPriority) -> Callback:
        """The request, sent once it has a slot; PTB calls it again (for a new slot) after a 429."""

        async def send(*args: Any, **kwargs: Any) -> bool | JSONDict | list[JSONDict]:
            await self._slots.take(priority)
            return await callback(*args, **kwargs)

        return send
