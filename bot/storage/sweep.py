"""The retention sweep: files whose time is up (MEDIA_RETENTION_DAYS after they were stored)
are deleted in bounded batches, found through the index (bot/storage/index.py), never by
listing the bucket or scanning Redis. Each batch is taken under a lease, so replicas share the
work, and a sweep killed mid-batch leaves its keys due again once the lease runs out."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.due import DueTaker
from bot.errors import StorageError
from bot.loops import every
from bot.storage.index import MEDIA_INDEX_KEY, IndexedStorage

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 300.0
BATCH = 500  # keys a batch deletes (one S3 DeleteObjects call)
BATCHES_PER_TICK = 20  # then the sweep yields until the next tick
LEASE_S = 120.0  # a batch taken but not finished comes due again after this


@dataclass(frozen=True, slots=True)
class SweepReport:
    deleted: int
    failed_batches: int


class MediaSweep:
    def __init__(self, storage: IndexedStorage, redis: Redis) -> None:
        self._storage = storage
        self._due = DueTaker(redis)

    async def run(self, stopping: asyncio.Event) -> None:
        await every(SWEEP_EVERY_S, self.sweep, stopping, what="media retention sweep")

    async def sweep(self, now: float | None = None) -> SweepReport:
        """Delete what is due at `now` (a parameter, for tests), a batch at a time."""
        at = time.time() if now is None else now
        deleted = failed = 0
        for _ in range(BATCHES_PER_TICK):
            keys = await self._due.take(MEDIA_INDEX_KEY, at, BATCH, LEASE_S)
            if not keys:
                break
            try:
                await self._storage.delete(keys)
            except StorageError as exc:  # the keys come due again after the lease
                log.warning("retention: %d files not deleted this time: %s", len(keys), exc)
                failed += 1
                break
            deleted += len(keys)
        if deleted:
            log.info("retention: deleted %d stored files", deleted)
        return SweepReport(deleted, failed)
