"""Delivering a final job to its chat, exactly once: claim, send, mark delivered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.exceptions import RedisError
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot import texts
from bot.constants import DELIVERY_LEASE_S
from bot.errors import FailureKind
from bot.jobs.model import Job, JobState, ResultMark
from bot.jobs.notices import edit_status, reply_to
from bot.jobs.results import ResultSender
from bot.jobs.store import JobStore
from bot.media.fetch import MediaFetcher

log = logging.getLogger(__name__)


class Deliverer:
    """Sends results and failure messages. Only the holder of a job's lease sends it."""

    def __init__(self, store: JobStore, bot: Bot, fetcher: MediaFetcher, owner: str) -> None:
        self._store = store
        self._bot = bot
        self._results = ResultSender(bot, fetcher)
        self._owner = owner
        self._chat_locks = ChatLocks()

    async def deliver(self, job_id: str) -> bool:
        """True when this call delivered the job; False when another holder has it or it failed."""
        job = await self._store.claim(job_id, self._owner, DELIVERY_LEASE_S)
        if job is None:
            return False
        renewer = asyncio.create_task(self._keep_lease(job.id))
        try:
            # One chat's messages go out one at a time, in the order their jobs were claimed.
            async with self._chat_locks.hold(job.chat_id):
                return await self._deliver_claimed(job)
        finally:
            renewer.cancel()

    async def _keep_lease(self, job_id: str) -> None:
        """Renew the lease while a slow download or a flood-control wait runs."""
        while True:
            await asyncio.sleep(DELIVERY_LEASE_S / 3)
            try:
                if not await self._store.extend_lease(job_id, self._owner, DELIVERY_LEASE_S):
                    return
            except RedisError:
                log.warning("job %s: lease renewal failed", job_id)

    async def _deliver_claimed(self, job: Job) -> bool:
        sent = 0
        try:
            if job.outcome == JobState.SUCCEEDED:
                sent = await self._send_results(job)
            else:
                await self._send_failure(job, job.fail_kind, job.error_message)
        except Forbidden:
            log.info("job %s: chat %s blocked the bot; dropping", job.id, job.chat_id)
        except TelegramError as exc:
            # The lease runs out and the reconciler tries again; nothing is marked delivered.
            log.warning("job %s: delivery failed, will retry: %s", job.id, exc)
            return False
        await self._store.mark_delivered(job.id, self._owner)
        log.info("job %s delivered (%s)", job.id, job.outcome)
        if sent and job.status_message_id is not None:
            # The result (captioned "Done…") replaces the status message. After the mark, so
            # a crash or failure here never causes a second send.
            with contextlib.suppress(TelegramError):
                await self._bot.delete_message(job.chat_id, job.status_message_id)
        return True

    async def _send_results(self, job: Job) -> int:
        """Send every result that can be sent; when none could, say why. Returns how many."""
        marks = await self._results.send_all(job)
        sent = marks.count(ResultMark.SENT)
        if not sent:
            unusable = ResultMark.UNUSABLE in marks
            await self._send_failure(
                job, FailureKind.BAD_RESULT if unusable else FailureKind.DELIVERY, ""
            )
        return sent

    async def _send_failure(self, job: Job, kind: str, reason: str) -> None:
        text = texts.failure_text(kind, reason)
        if await edit_status(self._bot, job, text):
            return
        await self._bot.send_message(job.chat_id, text, reply_parameters=reply_to(job))


class ChatLocks:
    """One FIFO lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:
                del self._users[chat_id], self._locks[chat_id]
