"""/forget: everything Photobot keeps about a user, deleted once they confirm, by whichever
replica gets to it first. Every part that keeps something per user implements `Forgets`
and is listed in bot/app/graph.py; a part added later (credits) declares there how it is
forgotten."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from redis.asyncio import Redis

from bot import codec
from bot.due import DueTaker
from bot.loops import every

log = logging.getLogger(__name__)

FORGET_PENDING_KEY = "forget:pending"  # zset user id -> when a replica may take it (a lease)
FORGET_REQUEST_KEY = "forget:{user_id}"  # hash: where to answer, then counts by kind
TICK_S = 10.0
LEASE_S = 120.0
REQUEST_TTL_S = 7 * 24 * 3600

# KEYS: pending, request. ARGV: user, now, chat, message, language, ttl. Returns 1 when this
# press started the deletion, 0 when it was already under way.
REQUEST = """
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'chat', ARGV[3], 'message', ARGV[4], 'lang', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return 1
"""


class Forgets(Protocol):
    """A part of Photobot that keeps something per user, and can delete it all."""

    async def forget(self, user_id: int) -> dict[str, int]:
        """Delete what this part keeps about the user; how many of what it deleted."""
        ...


Tell = Callable[[int, int, str, dict[str, int]], Awaitable[None]]  # chat, message, lang, counts


class Forgetter:
    """Takes confirmed /forget requests and runs every part's deletion, then tells the user."""

    def __init__(self, redis: Redis, parts: Sequence[Forgets], tell: Tell) -> None:
        self._redis = redis
        self._parts = parts
        self._tell = tell
        self._request = redis.register_script(REQUEST)
        self._due = DueTaker(redis)
        self._wake = asyncio.Event()

    async def request(self, user_id: int, chat_id: int, message_id: int, language: str) -> bool:
        """Record the user's confirmation; False when a deletion is already under way."""
        started = await self._request(
            keys=[FORGET_PENDING_KEY, FORGET_REQUEST_KEY.format(user_id=user_id)],
            args=[user_id, repr(time.time()), chat_id, message_id, language, REQUEST_TTL_S],
        )
        self._wake.set()
        return bool(started)

    async def run(self, stopping: asyncio.Event) -> None:
        await every(TICK_S, self.forget_due, stopping, what="forget", wake=self._wake)

    async def forget_due(self, now: float | None = None) -> int:
        """Forget every user whose request is due (after a crash: once its lease ran out)."""
        at = time.time() if now is None else now
        users = [int(u) for u in await self._due.take(FORGET_PENDING_KEY, at, 10, LEASE_S)]
        for user_id in users:
            await self._forget(user_id)
        return len(users)

    async def _forget(self, user_id: int) -> None:
        request = FORGET_REQUEST_KEY.format(user_id=user_id)
        for part in self._parts:
            counts = await part.forget(user_id)
            if any(counts.values()):  # a rerun after a crash adds what it still found
                async with self._redis.pipeline(transaction=False) as pipe:
                    for kind, count in counts.items():
                        pipe.hincrby(request, kind, count)
                    await pipe.execute()
        raw = {
            codec.text(n): codec.text(v) for n, v in (await self._redis.hgetall(request)).items()
        }
        if "chat" in raw:
            counts = {n: int(v) for n, v in raw.items() if n not in ("chat", "message", "lang")}
            try:
                await self._tell(int(raw["chat"]), int(raw["message"]), raw.get("lang", ""), counts)
            except Exception:  # the user blocked the bot meanwhile: the deletion still counts
                log.warning("user %s: forgotten, but not told", user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(request)
            pipe.zrem(FORGET_PENDING_KEY, user_id)
            await pipe.execute()
        log.info("user %s forgotten", user_id)
