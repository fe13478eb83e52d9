"""The retention sweep, on both backends: files past their time are deleted through the index,
newer ones stay, and a batch that fails or is cut short comes due again after its lease."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.app.redis_server import RedisServer
from bot.errors import StorageError
from bot.storage import Storage
from bot.storage.index import MEDIA_INDEX_KEY, IndexedStorage
from bot.storage.local import LocalStorage
from bot.storage.r2 import R2Storage, make_s3_client
from bot.storage.sweep import BATCH, LEASE_S, MediaSweep
from tests.conftest import BUCKET, free_port

DAY = 24 * 3600
KEEP_S = 14 * DAY


@pytest.fixture(params=["local", "r2"])
def backend(request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media", "http://unused.invalid", b"key")
    return R2Storage(make_s3_client(s3_endpoint, "test", "test"), BUCKET)


async def present(storage: Storage, key: str) -> bool:
    try:
        await storage.read(key)
    except StorageError:
        return False
    return True


async def test_old_files_go_and_new_ones_stay(backend: Storage, redis: Redis) -> None:
    storage = IndexedStorage(backend, redis, keep_s=KEEP_S)
    old_job, new_job = uuid.uuid4().hex, uuid.uuid4().hex
    old = [f"inputs/{old_job}-1.png", f"results/{old_job}/photobot-1.png"]
    for key in old:
        await storage.put(key, b"old", "image/png")
    await redis.zadd(MEDIA_INDEX_KEY, dict.fromkeys(old, time.time() - 1))  # stored 14 days ago
    new = f"inputs/{new_job}-1.png"
    await storage.put(new, b"new", "image/png")

    report = await MediaSweep(storage, redis).sweep()

    assert report.deleted == 2
    assert [await present(backend, key) for key in old] == [False, False]
    assert await present(backend, new)
    assert await redis.zrange(MEDIA_INDEX_KEY, 0, -1) == [new]
    assert (await MediaSweep(storage, redis).sweep()).deleted == 0  # nothing twice
    # Time is a parameter: two weeks later, the new file goes too.
    assert (await MediaSweep(storage, redis).sweep(now=time.time() + KEEP_S + 1)).deleted == 1
    assert not await present(backend, new)


class FailingDeletes:
    """A backend whose deletes fail until it is told they may pass."""

    name = "failing"

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.failing = True
        self.tries = 0

    async def delete(self, keys: Sequence[str]) -> None:
        self.tries += 1
        if self.failing:
            raise StorageError("bucket unreachable")
        await self.inner.delete(keys)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


async def test_a_failed_batch_comes_due_again_after_its_lease(tmp_path: Path, redis: Redis) -> None:
    flaky = FailingDeletes(LocalStorage(tmp_path / "media", "http://unused.invalid", b"k"))
    storage = IndexedStorage(flaky, redis, keep_s=KEEP_S)  # type: ignore[arg-type]
    keys = [f"inputs/{uuid.uuid4().hex}-1.png" for _ in range(BATCH + 5)]
    for key in keys:
        await storage.put(key, b"x", "image/png")
    sweep, later = MediaSweep(storage, redis), time.time() + KEEP_S + 1

    first = await sweep.sweep(now=later)
    assert (first.deleted, first.failed_batches, flaky.tries) == (0, 1, 1)  # really failed
    assert (await sweep.sweep(now=later + 1)).deleted == 0  # the failed batch is leased
    flaky.failing = False
    done = await sweep.sweep(now=later + LEASE_S + 1)

    assert done.deleted == BATCH + 5
    assert await redis.zcard(MEDIA_INDEX_KEY) == 0
    assert not any((tmp_path / "media" / key).exists() for key in keys)


class RedisDiesDuringDelete:
    """A backend whose first delete stops the Redis server the sweep uses, mid-batch."""

    name = "local"

    def __init__(self, inner: Storage, server: RedisServer) -> None:
        self.inner = inner
        self.server = server
        self.killed = False

    async def delete(self, keys: Sequence[str]) -> None:
        await self.inner.delete(keys)
        if not self.killed:
            self.killed = True
            self.server.stop()

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


async def test_redis_restarted_during_a_sweep_keeps_nothing_that_should_go(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path / "redis", port=free_port())
    await server.start()
    redis = Redis.from_url(server.url, decode_responses=True)
    backend = RedisDiesDuringDelete(
        LocalStorage(tmp_path / "media", "http://unused.invalid", b"k"), server
    )
    try:
        storage = IndexedStorage(backend, redis, keep_s=KEEP_S)  # type: ignore[arg-type]
        keys = [f"inputs/{uuid.uuid4().hex}-1.png" for _ in range(3)]
        for key in keys:
            await storage.put(key, b"x", "image/png")
        later = time.time() + KEEP_S + 1
        with pytest.raises(RedisError):  # the files went; forgetting them did not
            await MediaSweep(storage, redis).sweep(now=later)
        assert backend.killed and await redis_down(redis)

        await server.start()  # the same data directory: the index comes back from its log
        report = await MediaSweep(storage, redis).sweep(now=later + LEASE_S + 1)

        assert report.deleted == 3  # deleted again (already gone: no error), then forgotten
        assert await redis.zcard(MEDIA_INDEX_KEY) == 0
        assert not any((tmp_path / "media" / key).exists() for key in keys)
    finally:
        await redis.aclose()
        server.stop()


async def redis_down(redis: Redis) -> bool:
    try:
        await redis.ping()
    except RedisError:
        return True
    return False
