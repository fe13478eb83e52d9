"""Photos sent without a caption wait here (per chat and user) for a style or a typed prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot import constants as k
from bot.jobs.start import SentFile


@dataclass(frozen=True, slots=True)
class PendingPhotos:
    """One photo or one album, and the style keyboard offered for it."""

    photos: tuple[SentFile, ...]
    keyboard_message_id: int | None

    def to_json(self) -> str:
        return json.dumps(
            {"photos": [p.to_json() for p in self.photos], "keyboard": self.keyboard_message_id}
        )

    @classmethod
    def from_json(cls, raw: str) -> PendingPhotos:
        data: dict[str, Any] = json.loads(raw)
        if "photos" not in data:  # written before albums: one photo, no keyboard id
            return cls((SentFile.from_json(data),), None)
        return cls(tuple(SentFile.from_json(p) for p in data["photos"]), data.get("keyboard"))


# KEYS: pending. ARGV: keyboard message id ("" = any). Returns what waited, now removed, or nil.
TAKE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
if ARGV[1] ~= '' then
  local ok, data = pcall(cjson.decode, raw)
  if not ok or type(data) ~= 'table' or tostring(data['keyboard']) ~= ARGV[1] then
    return false
  end
end
redis.call('DEL', KEYS[1])
return raw
"""


class PendingStore:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._take = redis.register_script(TAKE)

    async def put(self, chat_id: int, user_id: int, pending: PendingPhotos) -> None:
        """Wait for a prompt; a newer photo replaces an older one."""
        key = k.PENDING_PHOTO_KEY.format(chat_id=chat_id, user_id=user_id)
        await self._redis.set(key, pending.to_json(), ex=k.PENDING_PHOTO_TTL_S)

    async def take(
        self, chat_id: int, user_id: int, keyboard_message_id: int | None = None
    ) -> PendingPhotos | None:
        """Remove and return what waits; with a keyboard id, only if it waits under that one.

        A style button acts only on the message it was sent with, so a forged button on
        another message cannot take this photo or turn that message into its status.
        """
        key = k.PENDING_PHOTO_KEY.format(chat_id=chat_id, user_id=user_id)
        wanted = "" if keyboard_message_id is None else str(keyboard_message_id)
        raw = await self._take(keys=[key], args=[wanted])
        return None if raw is None else PendingPhotos.from_json(str(raw))
