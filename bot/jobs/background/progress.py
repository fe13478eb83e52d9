"""Long jobs keep people informed: while a video or a song is made, the chat shows Telegram's
"sending a video…" action, and the status message says the stage and the time so far (edited
at most every EDIT_EVERY_S)."""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot import constants as k
from bot import texts
from bot.due import DueTaker
from bot.jobs.background.notices import edit_running
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore
from bot.locales import speaking
from bot.log_context import bind_job_id
from bot.loops import every
from bot.media.kinds import MediaKind
from bot.models import Registry

log = logging.getLogger(__name__)

# Telegram shows a chat action for about 5 s, so it is repeated this often.
TICK_S = 5.0
EDIT_EVERY_S = 10.0
BATCH = 100
LONG_OUTPUTS = {MediaKind.VIDEO: ChatAction.UPLOAD_VIDEO, MediaKind.AUDIO: ChatAction.UPLOAD_VOICE}


class Progress:
    def __init__(self, redis: Redis, store: JobStore, bot: ExtBot[int], registry: Registry) -> None:
        self._redis = redis
        self._store = store
        self._bot = bot
        self._registry = registry
        self._due = DueTaker(redis)

    def output(self, job: Job) -> MediaKind:
        spec = self._registry.find(job.model)
        return spec.output if spec else MediaKind.IMAGE

    async def track(self, job: Job) -> None:
        """Keep the user posted on this job while it runs, if it is a long one."""
        if self.output(job) in LONG_OUTPUTS:
            await self._redis.zadd(k.PROGRESS_KEY, {job.id: time.time()})

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick until stopped; at any replica, each job is ticked by one of them at a time."""
        await every(TICK_S / 2, lambda: self.tick(time.time()), stopping, what="progress tick")

    async def tick(self, now: float) -> None:
        for job_id in await self._due.take(k.PROGRESS_KEY, now, BATCH, TICK_S):
            bind_job_id(job_id)
            try:
                await self._tick_one(job_id, now)
            except (TelegramError, OSError) as exc:
                log.info("job %s: progress not shown: %s", job_id, type(exc).__name__)
        bind_job_id(None)  # the loop's own lines are about no job

    async def _tick_one(self, job_id: str, now: float) -> None:
        job = await self._store.get(job_id)
        if job is None or job.state is not JobState.SUBMITTED:
            await self._redis.zrem(k.PROGRESS_KEY, job_id)
            return
        kind = self.output(job)
        await self._bot.send_chat_action(job.chat_id, LONG_OUTPUTS[kind])
        elapsed = now - job.started_at  # a chain's job: this step's time
        bucket = int(elapsed // EDIT_EVERY_S)  # the status shows the time in these steps
        if job.task_id and bucket > job.progress_shown:
            await self._store.set_progress_shown(job.id, bucket)
            with speaking(job.language):
                text = texts.progress(kind, job.stage, elapsed, job.step, job.steps)
            await edit_running(self._bot, self._store, job, text)
