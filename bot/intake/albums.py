"""Albums: the photos of one media group arrive as separate updates, on any replica; they are
gathered in Redis and handed out once, to one caller, after a quiet window."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot import codec
from bot import constants as k
from bot.jobs.start import SentFile

# Telegram sends an album's updates within a fraction of a second of each other.
ALBUM_QUIET_S = 1.5
ALBUM_TTL_S = 120


@dataclass(frozen=True, slots=True)
class Album:
    photos: tuple[SentFile, ...]  # in the order the user arranged them
    caption: str  # the first caption found on any of them ("" when none)
    addressed: bool  # in a group: some photo's caption mentions the bot, or replies to it


class AlbumCollector:
    def __init__(self, redis: Redis, quiet_s: float = ALBUM_QUIET_S) -> None:
        self._redis = redis
        self._quiet_s = quiet_s

    async def add(
        self, chat_id: int, group_id: str, photo: SentFile, caption: str, addressed: bool
    ) -> Album | None:
        """Record one photo of an album; the one caller that gets the Album acts on it.

        Every caller waits for the quiet window after the album's latest photo, then races for
        the album; the others get None.
        """
        key = k.ALBUM_KEY.format(chat_id=chat_id, group_id=group_id[:64])
        item = json.dumps({"photo": codec.dump(photo), "caption": caption, "addressed": addressed})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={f"m:{photo.message_id}": item, "last": repr(time.time())})
            pipe.expire(key, ALBUM_TTL_S)
            await pipe.execute()
        while True:
            last = float(await self._redis.hget(key, "last") or 0)
            wait_s = last + self._quiet_s - time.time()
            if wait_s <= 0:
                break
            await asyncio.sleep(wait_s)
        if not await self._redis.hsetnx(key, "taken", "1"):
            return None
        return _album(await self._redis.hgetall(key))


def _album(fields: dict[Any, Any]) -> Album:
    items = [json.loads(value) for name, value in fields.items() if str(name).startswith("m:")]
    items.sort(key=lambda item: int(item["photo"]["message_id"]))
    caption = next((item["caption"] for item in items if item["caption"]), "")
    addressed = any(item["addressed"] for item in items)
    photos = tuple(codec.load(SentFile, item["photo"]) for item in items)
    return Album(photos, caption, addressed)
