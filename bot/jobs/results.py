"""A job's results, one at a time: download, check against the job, upload, and mark each."""

from __future__ import annotations

import logging

from telegram.ext import ExtBot

from bot.errors import LeaseLost, MediaMismatch, PermanentFetchError, TransientFetchError
from bot.jobs.model import Job, ResultMark
from bot.jobs.outputs import output_kind
from bot.jobs.retry import RetryPolicy, fetch_with_retries
from bot.jobs.store import JobStore
from bot.jobs.upload import upload
from bot.media.check import send_as
from bot.media.fetch import MediaFetcher, discard

log = logging.getLogger(__name__)

MAX_RESULTS_SENT = 4


def results_to_send(job: Job) -> tuple[str, ...]:
    return tuple(r.url for r in job.results[:MAX_RESULTS_SENT])


class ResultSender:
    """Sends the results a job has not had yet; only the lease holder uses it."""

    def __init__(
        self,
        store: JobStore,
        bot: ExtBot[int],
        fetcher: MediaFetcher,
        owner: str,
        policy: RetryPolicy,
    ) -> None:
        self._store = store
        self._bot = bot
        self._fetcher = fetcher
        self._owner = owner
        self._policy = policy

    async def send_pending(self, job: Job) -> list[int]:
        """Send each unmarked result and mark it; returns those worth trying again later."""
        waiting = []
        for index, url in enumerate(results_to_send(job)):
            if index in job.result_marks:
                continue  # went out (or failed for good) in an earlier attempt
            mark = await self._send_one(job, index, url)
            if mark is None:
                waiting.append(index)
                continue
            if not await self._store.mark_result(job.id, self._owner, index, mark):
                raise LeaseLost(job.id)
            job.result_marks[index] = mark
        return waiting

    async def _send_one(self, job: Job, index: int, url: str) -> ResultMark | None:
        # Messages name the result by number only: its URL may carry a signature.
        number = index + 1
        try:
            media = await fetch_with_retries(self._fetcher, url, self._policy)
        except TransientFetchError as exc:
            log.warning("job %s: result %d not fetched this time: %s", job.id, number, exc)
            return None
        except PermanentFetchError as exc:
            log.warning("job %s: result %d cannot be fetched: %s", job.id, number, exc)
            return ResultMark.UNREACHABLE
        try:
            how = send_as(media.info, media.size, output_kind(job))
            await upload(self._bot, job, media, how, index)
        except MediaMismatch as exc:
            declared = media.content_type[:60]
            log.warning(
                "job %s: result %d refused: %s (declared %r)", job.id, number, exc, declared
            )
            return ResultMark.UNUSABLE
        finally:
            await discard(media)
        return ResultMark.SENT
