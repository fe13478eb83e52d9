"""Refused requests, counted: the first of a reason is logged at once, the rest once a minute."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

SUMMARY_EVERY_S = 60.0


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Cancellable]


def _call_later(delay_s: float, callback: Callable[[], None]) -> Cancellable:
    return asyncio.get_running_loop().call_later(delay_s, callback)


@dataclass
class _Window:
    opened_at: float
    suppressed: int = 0
    timer: Cancellable | None = None


class RefusalLog:
    """A flood of forged requests costs a counter, not a log line each (one was 1 MB/s)."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every_s: float = SUMMARY_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule = _call_later,
    ) -> None:
        self._log, self._every_s, self._clock, self._schedule = logger, every_s, clock, schedule
        self._windows: dict[tuple[str, str], _Window] = {}
        self.counts: Counter[tuple[str, str]] = Counter()

    def refused(self, what: str, reason: str, detail: str = "") -> None:
        """One refused `what` (a provider's callbacks, …) for `reason`; `detail` appears in a
        window's first line only, and must not come from an unauthenticated request."""
        key, now = (what, reason), self._clock()
        self.counts[key] += 1
        window = self._windows.get(key)
        if window is not None and window.timer is None and now - window.opened_at >= self._every_s:
            window = None  # a lone refusal long ago: this one opens a new window
        if window is None:
            self._windows[key] = _Window(now)
            suffix = f" ({detail})" if detail else ""
            self._log.warning("refused a %s: %s%s", what, reason, suffix)
            return
        window.suppressed += 1
        if window.timer is None:
            due_in_s = max(window.opened_at + self._every_s - now, 0.0)
            window.timer = self._schedule(due_in_s, lambda: self._close(key))

    def flush(self) -> None:
        """Summarises every open window now (at shutdown)."""
        for key, window in list(self._windows.items()):
            if window.timer is not None:
                window.timer.cancel()
            self._close(key)

    def _close(self, key: tuple[str, str]) -> None:
        window = self._windows.pop(key, None)
        if window is None or not window.suppressed:
            return
        what, reason = key
        elapsed_s = self._clock() - window.opened_at
        self._log.warning(
            "refused %d more %ss in the last %.0f s: %s", window.suppressed, what, elapsed_s, reason
        )
