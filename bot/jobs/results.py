"""A job's results, one at a time: download, check against the job, upload."""

from __future__ import annotations

import logging

from telegram import Bot

from bot.errors import MediaFetchError, MediaMismatch
from bot.jobs.model import Job, ResultMark
from bot.jobs.outputs import output_kind
from bot.jobs.upload import upload
from bot.media.check import send_as
from bot.media.fetch import MediaFetcher, discard

log = logging.getLogger(__name__)

MAX_RESULTS_SENT = 4


def results_to_send(job: Job) -> tuple[str, ...]:
    return job.result_urls[:MAX_RESULTS_SENT]


class ResultSender:
    """Sends a job's results, each on its own: one that fails does not stop the next."""

    def __init__(self, bot: Bot, fetcher: MediaFetcher) -> None:
        self._bot = bot
        self._fetcher = fetcher

    async def send_all(self, job: Job) -> list[ResultMark]:
        """Send each result in turn; returns what became of each."""
        return [
            await self._send_one(job, index, url) for index, url in enumerate(results_to_send(job))
        ]

    async def _send_one(self, job: Job, index: int, url: str) -> ResultMark:
        # Messages name the result by number only: its URL may carry a signature.
        number = index + 1
        try:
            media = await self._fetcher.fetch(url)
        except MediaFetchError as exc:
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
