"""Every file Photobot stores, by when it was stored, kept in Redis beside the storage: old files
are found without listing a bucket (bot/storage/sweep.py), and a job's files by its id
(/forget)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

from redis.asyncio import Redis

from bot.storage import Storage

MEDIA_INDEX_KEY = "media:stored"  # zset: storage key -> unix time it is due to be deleted
JOB_MEDIA_KEY = "media:job:{job_id}"  # set: the storage keys of one job's files
# Every key Photobot stores names its job: inputs/<job>-1.png, results/<job>/…
_JOB_ID = re.compile(r"(?<![0-9a-f])([0-9a-f]{32})(?![0-9a-f])")


def job_of(key: str) -> str | None:
    """The job a storage key belongs to, or None."""
    found = _JOB_ID.search(key)
    return found.group(1) if found else None


class IndexedStorage:
    """A Storage that records each file it stores, due for deletion `keep_s` later."""

    def __init__(self, inner: Storage, redis: Redis, keep_s: float) -> None:
        self.inner = inner  # the backend (web/media.py serves LocalStorage's files)
        self.name = inner.name
        self._redis = redis
        self._keep_s = keep_s

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        # Indexed first: a file stored but never indexed would be kept forever.
        await self._index(key)
        await self.inner.put(key, data, content_type)

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        await self._index(key)
        await self.inner.put_file(key, path, content_type)

    async def read(self, key: str) -> bytes:
        return await self.inner.read(key)

    async def signed_url(self, key: str, ttl_s: int) -> str:
        return await self.inner.signed_url(key, ttl_s)

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(key)

    async def delete(self, keys: Sequence[str]) -> None:
        """The files, then their index entries (a crash between leaves entries whose
        deletion is simply done again)."""
        if not keys:
            return
        await self.inner.delete(keys)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(MEDIA_INDEX_KEY, *keys)
            for key in keys:
                if (job_id := job_of(key)) is not None:
                    pipe.srem(JOB_MEDIA_KEY.format(job_id=job_id), key)
            await pipe.execute()

    async def check(self) -> None:
        await self.inner.check()

    async def job_files(self, job_id: str) -> list[str]:
        found = await self._redis.smembers(JOB_MEDIA_KEY.format(job_id=job_id))
        return sorted(k.decode() if isinstance(k, bytes) else k for k in found)

    async def _index(self, key: str) -> None:
        due = time.time() + self._keep_s
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(MEDIA_INDEX_KEY, {key: due})
            if (job_id := job_of(key)) is not None:
                job_key = JOB_MEDIA_KEY.format(job_id=job_id)
                pipe.sadd(job_key, key)
                pipe.expire(job_key, int(self._keep_s) + 24 * 3600)
            await pipe.execute()
