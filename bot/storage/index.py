"""Every file Photobot stores, by when it is due to be deleted, kept in Redis beside the storage:
old files are found without listing a bucket (bot/storage/sweep.py). A job's files are named on
its record (inputs, kept results, a chain's next inputs), which lives as long: /forget finds
them there."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from redis.asyncio import Redis

from bot.storage import Storage

MEDIA_INDEX_KEY = "media:stored"  # zset: storage key -> unix time it is due to be deleted


class IndexedStorage:
    """A Storage that records each file it stores, due for deletion `keep_s` later."""

    def __init__(self, inner: Storage, redis: Redis, keep_s: float) -> None:
        self.inner = inner  # the backend (web/media.py serves LocalStorage's files)
        self.name = inner.name
        self.public_urls = inner.public_urls
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

    async def open(self, key: str) -> BinaryIO:
        return await self.inner.open(key)

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
        await self._redis.zrem(MEDIA_INDEX_KEY, *keys)

    async def check(self) -> None:
        await self.inner.check()

    async def _index(self, key: str) -> None:
        await self._redis.zadd(MEDIA_INDEX_KEY, {key: time.time() + self._keep_s})
