"""Sending a broadcast: whoever holds its lease copies the message to the users left, a batch at
a time, behind every result in the send limiter, and marks each user once Telegram accepted
their copy. Any replica picks up a running broadcast whose holder died, within a tick."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.admin.broadcast.store import BroadcastStore, Progress
from bot.flood import SendPriority
from bot.locales import speaking
from bot.loops import every

log = logging.getLogger(__name__)

TICK_S = 10.0  # a broadcast whose holder died resumes within about this and LEASE_S
LEASE_S = 15.0  # renewed after every batch (about a second)
BATCH = 30  # one second of Telegram's budget; the limiter paces the copies
PROGRESS_EVERY_S = 5.0
MAX_TRIES = 3  # network errors reaching one user before they count as failed


class BroadcastRunner:
    def __init__(self, store: BroadcastStore, bot: ExtBot[int], owner: str) -> None:
        self._store = store
        self._bot = bot
        self._owner = owner
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Start a just-confirmed broadcast now rather than at the next tick."""
        self._wake.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Every TICK_S (or at once when woken), send any running broadcast nobody holds."""

        async def tick() -> None:
            for broadcast_id in await self._store.running():
                if stopping.is_set():
                    return
                if await self._store.take(broadcast_id, self._owner, LEASE_S):
                    await self._send_all(broadcast_id, stopping)

        await every(TICK_S, tick, stopping, what="broadcast tick", wake=self._wake)

    async def _send_all(self, broadcast_id: str, stopping: asyncio.Event) -> None:
        progress = await self._store.progress(broadcast_id)
        if progress is None:
            return
        shown_at = time.monotonic()
        while not stopping.is_set():
            users = await self._store.next_users(broadcast_id, BATCH)
            if not users:
                if await self._store.finish(broadcast_id, self._owner):
                    await self._show(broadcast_id, final=True)
                return
            results = await asyncio.gather(*(self._reach(progress, u) for u in users))
            if False in results or not await self._store.renew(broadcast_id, self._owner, LEASE_S):
                log.warning("broadcast %s: lease lost; another replica goes on", broadcast_id)
                return
            if time.monotonic() - shown_at >= PROGRESS_EVERY_S:
                await self._show(broadcast_id, final=False)
                shown_at = time.monotonic()

    async def _reach(self, progress: Progress, user_id: int) -> bool:
        """Copy the message to one user and mark them; False when the lease was lost."""
        try:
            await self._bot.copy_message(
                user_id, progress.chat_id, progress.message_id,
                rate_limit_args=SendPriority.BROADCAST,
            )  # fmt: skip
            outcome = "sent"
        except Forbidden:  # blocked the bot, or deleted their account
            outcome = "blocked"
        except BadRequest as exc:
            log.info("broadcast %s: user %s refused: %s", progress.id, user_id, exc)
            outcome = "failed"
        except TelegramError as exc:  # a network error or a timeout: maybe later
            tries = await self._store.tried(progress.id, user_id)
            log.warning("broadcast %s: user %s not reached (try %d): %s",
                        progress.id, user_id, tries, exc)  # fmt: skip
            if tries < MAX_TRIES:
                return True
            outcome = "failed"
        return await self._store.mark(progress.id, self._owner, user_id, outcome)

    async def _show(self, broadcast_id: str, *, final: bool) -> None:
        """The admin's one progress message, edited; the final count when done."""
        progress = await self._store.progress(broadcast_id)
        if progress is None or progress.progress_message_id is None:
            return
        with speaking(progress.language):
            counts = {"sent": progress.sent, "blocked": progress.blocked,
                      "failed": progress.failed}  # fmt: skip
            text = (
                texts.broadcast_done(**counts)
                if final
                else texts.broadcast_progress(total=progress.total, **counts)
            )
        with contextlib.suppress(TelegramError):  # the admin deleted it, or it did not change
            await self._bot.edit_message_text(
                text, progress.chat_id, progress.progress_message_id,
                rate_limit_args=SendPriority.STATUS,
            )  # fmt: skip
