"""A starting job's status message: its progress tracked, one posted through the notices queue
when the job has none, and edited to say it is generating once the job is submitted."""

from __future__ import annotations

from telegram.ext import ExtBot

from bot.jobs.background.notices import StatusNotices, edit_running
from bot.jobs.background.progress import Progress
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore


class StartStatus:
    """What the user sees of a job between its creation and its results."""

    def __init__(
        self, bot: ExtBot[int], store: JobStore, notices: StatusNotices, progress: Progress
    ) -> None:
        self._bot = bot
        self._store = store
        self._notices = notices
        self._progress = progress

    async def started(self, job: Job) -> None:
        """Without a status message of its own the job gets one from the notices queue, so
        neither the start nor the upload waits on Telegram's flood control."""
        await self.track(job)
        if job.status_message_id is None:
            self._notices.post(job.id)

    async def track(self, job: Job) -> None:
        await self._progress.track(job)

    async def generating(self, job: Job) -> None:
        """Edit the status message if it is out already; a queued one will say it itself. A
        job cancelled meanwhile keeps the word its cancel left."""
        latest = await self._store.get(job.id)
        if latest is None or latest.state is not JobState.SUBMITTED:
            return
        job.status_message_id = latest.status_message_id
        await edit_running(self._bot, self._store, job, self._notices.generating(job))
