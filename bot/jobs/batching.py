"""Run many calls of one Lua script as a single pipeline: one round trip for a burst of callbacks.

Callers each await their own result; calls made while a batch is in flight wait for the next
one, so under load the batches grow and the per-call cost of the client library shrinks.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

Call = tuple[Sequence[Any], Sequence[Any], "asyncio.Future[Any]"]
MAX_BATCH = 256


class BatchedScript:
    """`await script(keys, args)`, like redis-py's Script, but batched."""

    def __init__(self, redis: Redis, source: str) -> None:
        self._redis = redis
        self._source = source
        self._sha = hashlib.sha1(source.encode()).hexdigest()
        self._waiting: list[Call] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((keys, args, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_all())
        return await future

    async def _flush_all(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    await self._run(batch)
                except asyncio.CancelledError:
                    for _, _, future in batch + self._waiting:
                        future.cancel()
                    self._waiting = []
                    raise
        finally:
            self._flusher = None

    async def _run(self, batch: list[Call]) -> None:
        try:
            results = await self._execute(batch)
        except Exception as exc:  # every caller hears about the failure, e.g. Redis down
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[Call]) -> list[Any]:
        results = await self._pipeline(batch)
        if any(isinstance(r, NoScriptError) for r in results):
            # Redis restarted or flushed its script cache: load once, then run the batch again.
            # Safe to repeat: a NOSCRIPT reply means that call did not run.
            await self._redis.script_load(self._source)
            results = await self._pipeline(batch)
        return results

    async def _pipeline(self, batch: list[Call]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for keys, args, _ in batch:
                pipe.evalsha(self._sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))
