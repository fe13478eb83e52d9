"""Each job's status message ("Working on it…", "Generating…"), sent as flood control allows.

Jobs wait here as ids, not as pending Bot API requests, so a burst of thousands of photos costs
little memory; and when a job's turn comes, its message says where the job is by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.flood import SendPriority
from bot.jobs.record import Job, JobState, ResultMark
from bot.jobs.running import cancel_markup, with_place
from bot.jobs.store import JobStore
from bot.locales import speaking
from bot.log_context import bind_job_id

log = logging.getLogger(__name__)

WORKERS = 4
_STOP = ""  # never a job id


class StatusNotices:
    def __init__(
        self, bot: ExtBot[int], store: JobStore, generating: Callable[[Job], str] = lambda _: ""
    ) -> None:
        self._bot = bot
        self._store = store
        self._generating = generating  # what a running job's status says (by what it makes)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._stopping = False

    def post(self, job_id: str) -> None:
        if not self._stopping:
            self._queue.put_nowait(job_id)

    async def run(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: the workers then end by themselves."""
        watcher = asyncio.create_task(self._stop_when(stopping))
        try:
            await asyncio.gather(*(self._work() for _ in range(WORKERS)))
        finally:
            watcher.cancel()

    async def _stop_when(self, stopping: asyncio.Event) -> None:
        await stopping.wait()
        self._stop()

    def _stop(self) -> None:
        """Each worker finishes the message in hand and ends; those still waiting are dropped.
        Status messages wait behind results, so at shutdown some usually do; and a worker
        cancelled inside a Redis command may swallow the cancel and never end."""
        self._stopping = True
        while not self._queue.empty():
            self._queue.get_nowait()
        for _ in range(WORKERS):
            self._queue.put_nowait(_STOP)

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            if job_id == _STOP:
                return
            bind_job_id(job_id)
            try:
                await self._send(job_id)
            except (TelegramError, OSError) as exc:
                log.warning("job %s: status message not sent: %s", job_id, exc)
            except Exception:
                log.exception("job %s: status message failed", job_id)

    async def _send(self, job_id: str) -> None:
        job = await self._store.get(job_id)
        if job is None or job.state is not JobState.SUBMITTED:
            return  # the result or the failure message already went out
        with speaking(job.language):
            await self._post(job)

    async def _post(self, job: Job) -> None:
        sent = await self._bot.send_message(
            job.chat_id,
            await with_place(self._store, job, self.status_text(job)),
            reply_parameters=reply_to(job),
            reply_markup=cancel_markup(job.id),
            rate_limit_args=SendPriority.STATUS,
        )
        await self._store.set_status_message(job.id, sent.message_id)
        latest = await self._store.get(job.id)
        if latest is None:
            return
        if latest.state is JobState.CANCELLED:
            # Cancelled (by /cancel) while the message was on its way: it says so after all.
            await edit_status(self._bot, latest, texts.JOB_CANCELLED(), SendPriority.STATUS)
        elif not latest.running:
            # It ended while the message was on its way; its delivery may not have seen it.
            await self._ended(latest, sent.message_id)
        elif not job.task_id and latest.task_id and latest.state is JobState.SUBMITTED:
            # Submission may have finished while the message was on its way.
            await edit_running(self._bot, self._store, latest, self.generating(latest))

    async def _ended(self, job: Job, message_id: int) -> None:
        """A status message posted as its job ended: gone when the result went out (as the
        deliverer removes it), else without its Cancel button (a failure may be in it)."""
        sent = ResultMark.SENT in job.result_marks.values()
        with contextlib.suppress(BadRequest):
            if job.state is JobState.DELIVERED and sent:
                await self._bot.delete_message(
                    job.chat_id, message_id, rate_limit_args=SendPriority.STATUS
                )
            else:
                await self._bot.edit_message_reply_markup(
                    job.chat_id, message_id, reply_markup=None, rate_limit_args=SendPriority.STATUS
                )

    def generating(self, job: Job) -> str:
        return self._generating(job) or texts.GENERATING()

    def status_text(self, job: Job) -> str:
        return self.generating(job) if job.task_id else texts.WORKING()


async def edit_running(bot: ExtBot[int], store: JobStore, job: Job, text: str) -> bool:
    """Edit a running job's status: the text, its place among its user's running jobs, and
    its Cancel button (an edit without a keyboard drops it)."""
    text = await with_place(store, job, text)
    return await edit_status(bot, job, text, SendPriority.STATUS, cancel_markup(job.id))


async def edit_status(
    bot: ExtBot[int],
    job: Job,
    text: str,
    priority: SendPriority,
    markup: InlineKeyboardMarkup | None = None,
) -> bool:
    """Edit the job's status message; False when there is none or Telegram refused. A failure
    told this way is a RESULT; progress ("Generating…") is a STATUS. Without `markup` the
    message loses its buttons: the job has ended."""
    if job.status_message_id is None:
        return False
    try:
        await bot.edit_message_text(
            text, job.chat_id, job.status_message_id, reply_markup=markup,
            rate_limit_args=priority,
        )  # fmt: skip
    except BadRequest as exc:  # deleted by the user, or already showing this text
        log.info("job %s: status message not edited: %s", job.id, exc)
        return False
    return True


def reply_to(job: Job) -> ReplyParameters | None:
    """Reply to the user's photo, or just post if it was deleted."""
    if job.reply_to_message_id is None:
        return None
    return ReplyParameters(job.reply_to_message_id, allow_sending_without_reply=True)
