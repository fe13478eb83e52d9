"""Each user's language: their own choice (/language, /settings), else what their Telegram app
speaks, else DEFAULT_LANGUAGE. Kept in the user's settings hash, beside their other choices."""

from __future__ import annotations

from redis.asyncio import Redis

from bot import constants as k
from bot.locales import choose, supported

CHOSEN = "language"  # what the user picked
SEEN = "telegram_language"  # what their Telegram app said last, for messages sent unasked


class UserLanguages:
    def __init__(self, redis: Redis, default: str) -> None:
        self._redis = redis
        self.default = default

    async def for_update(self, user_id: int, telegram_code: str | None) -> str:
        """The language to answer this update in; remembers what the app said when it changed,
        so a message sent later (an admin alert) speaks it too."""
        key = k.USER_SETTINGS_KEY.format(user_id=user_id)
        chosen, seen = await self._stored(key)
        heard = supported(telegram_code)
        if heard and heard != seen:
            await self._redis.hset(key, SEEN, heard)
        return choose(chosen, heard, self.default)

    async def of(self, user_id: int) -> str:
        """The language of a message nobody asked for just now (an alert to an admin)."""
        chosen, seen = await self._stored(k.USER_SETTINGS_KEY.format(user_id=user_id))
        return choose(chosen, seen, self.default)

    async def choose(self, user_id: int, language: str) -> str | None:
        """Remember the user's choice; the language, or None when Photobot does not speak it."""
        chosen = supported(language)
        if chosen is not None:
            await self._redis.hset(k.USER_SETTINGS_KEY.format(user_id=user_id), CHOSEN, chosen)
        return chosen

    async def _stored(self, key: str) -> tuple[str | None, str | None]:
        chosen, seen = await self._redis.hmget(key, [CHOSEN, SEEN])
        return _text(chosen), _text(seen)


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
