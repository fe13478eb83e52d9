"""Photos sent without a caption wait here (per chat and user) for a style or a typed prompt."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

from bot import constants as k


@dataclass(frozen=True, slots=True)
class PendingPhoto:
    file_id: str
    file_size: int | None
    message_id: int


class PendingPhotos:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def put(self, chat_id: int, user_id: int, photo: PendingPhoto) -> None:
        key = k.PENDING_PHOTO_KEY.format(chat_id=chat_id, user_id=user_id)
        await self._redis.set(key, json.dumps(asdict(photo)), ex=k.PENDING_PHOTO_TTL_S)

    async def take(
        self, chat_id: int, user_id: int, message_id: int | None = None
    ) -> PendingPhoto | None:
        """Remove and return the waiting photo; with message_id, only if it is that photo."""
        key = k.PENDING_PHOTO_KEY.format(chat_id=chat_id, user_id=user_id)
        raw = await self._redis.get(key)
        if raw is None:
            return None
        photo = PendingPhoto(**json.loads(raw))
        if message_id is not None and photo.message_id != message_id:
            return None
        # GETDEL-style take: only the caller whose delete succeeds may use the photo.
        return photo if await self._redis.delete(key) else None
