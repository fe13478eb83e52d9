"""Sent results are kept: copied from the file delivery downloaded into Photobot's storage, and
named on the job record (`kept:<index>`), for the buttons under them (Original, Edit this…).

The copy starts after the result went out and never fails its delivery: a failure is logged,
and the buttons then answer that the file is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from redis.exceptions import RedisError

from bot.errors import StorageError
from bot.jobs.deliver.render import Ready, filename
from bot.jobs.record import Job, StoredMedia
from bot.jobs.store import JobStore
from bot.media.fetch import discard
from bot.storage import Storage

log = logging.getLogger(__name__)

# Copies under way at once in this process. Each streams from disk, but its upload takes CPU
# (hashing, TLS) from the sends still running: one at a time, a burst of big results goes out
# as fast as without keeping (benchmark row 7: two at a time held the sends up long enough for
# all eight 45 MB uploads to overlap, 1.03x the files; one at a time, 0.90x, as before).
KEEP_CONCURRENCY = 1


def result_key(job: Job, item: Ready) -> str:
    """Where a result is kept (and where a link's file lives): its download name under the job."""
    return f"results/{job.id}/{filename(job, item)}"


def keeps_results(job: Job) -> bool:
    """A chain's preview step is not kept: the next step's copy is its input, and its message
    carries no buttons."""
    return not job.has_next_step


class ResultKeeper:
    """Copies sent results into storage and records them; only the lease holder uses it."""

    def __init__(self, store: JobStore, storage: Storage, owner: str) -> None:
        self._store = store
        self._storage = storage
        self._owner = owner
        self._gate = asyncio.Semaphore(KEEP_CONCURRENCY)

    def start(self, job: Job, items: Iterable[Ready]) -> list[asyncio.Task[None]]:
        """Keep each item in the background; each task deletes its file from disk when done."""
        return [asyncio.create_task(self._keep_then_discard(job, item)) for item in items]

    async def _keep_then_discard(self, job: Job, item: Ready) -> None:
        try:
            await self.keep(job, item)
        finally:
            await discard(item.media)

    async def keep(self, job: Job, item: Ready, stored_key: str | None = None) -> None:
        """Copy the result (unless `stored_key` already holds it: a link's file) and name it on
        the job. Storage and Redis failures are logged, never raised."""
        info = item.media.info
        if info is None or not keeps_results(job):
            return
        key = stored_key or result_key(job, item)
        try:
            if stored_key is None:
                async with self._gate:
                    await self._storage.put_file(key, item.media.path, info.mime_type)
            media = StoredMedia(info.kind, key, info.mime_type, item.media.size,
                                info.duration_s, info.width, info.height)  # fmt: skip
            recorded = await self._store.keep_result(job.id, self._owner, item.index, media)
        except (StorageError, RedisError) as exc:
            log.warning("job %s: result %d not kept: %s", job.id, item.number, exc)
            return
        if not recorded:
            log.warning(
                "job %s: result %d stored but not recorded (lease lost)", job.id, item.number
            )
            return
        job.kept[item.index] = media


async def settle(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for the copies; a crash in one is logged, never raised into the delivery."""
    if not tasks:
        return
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, Exception):
            log.error("keeping a result crashed", exc_info=outcome)
