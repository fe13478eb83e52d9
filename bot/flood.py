"""Telegram flood control: throttle what counts as sending, retry everything on 429."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]

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


class SendRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, smoothed, with the overall throttle applied only to sending methods."""

    def __init__(self, max_retries: int) -> None:
        super().__init__(
            overall_max_rate=1, overall_time_period=1 / SENDS_PER_SECOND, max_retries=max_retries
        )

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint not in THROTTLED_METHODS:
            # Without a chat id the limiter skips its throttles but still retries on 429;
            # the request itself is built from `args`, which keep the chat id.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
