"""Cancelling a running job for its user: the move itself (lua.CANCEL, once), what the status
message then says, the figures; and which of a user's jobs are running.

Neither provider offers a cancel call: the task may still finish (and be billed) there. Its
outcome then meets a cancelled job, which nothing moves again, so nothing is sent.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.flood import SendPriority
from bot.jobs.background.notices import edit_status
from bot.jobs.record import Job
from bot.jobs.store import CancelResult, JobStore
from bot.locales import speaking
from bot.metrics import Finish, Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Cancelled:
    """What a cancel did, and the job (as it is now) when its record still exists."""

    result: CancelResult
    job: Job | None


class JobCancels:
    def __init__(self, store: JobStore, bot: ExtBot[int], metrics: Metrics) -> None:
        self._store = store
        self._bot = bot
        self._metrics = metrics

    async def running(self, user_id: int) -> list[Job]:
        """The user's running jobs, oldest first."""
        return await self._store.running_jobs(user_id)

    async def cancel(self, job_id: str, user_id: int) -> Cancelled:
        """Cancel the job if `user_id` owns it and it still runs; its status message then says
        so (in the job's language) and drops its Cancel button."""
        result = await self._store.cancel(job_id, user_id)
        job = await self._store.get(job_id)
        if result is CancelResult.CANCELLED and job is not None:
            log.info("job %s cancelled by its user", job_id)
            self._metrics.job_finished(job, Finish.CANCELLED, time.time())
            await self._tell(job)
        return Cancelled(result, job)

    async def _tell(self, job: Job) -> None:
        with speaking(job.language):
            text = texts.JOB_CANCELLED()
        try:
            await edit_status(self._bot, job, text, SendPriority.RESULT)
        except TelegramError as exc:  # the cancel stands; the message is cosmetic
            log.warning("job %s: status message not edited: %s", job.id, exc)
