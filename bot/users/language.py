"""Each user's language: their own choice (/language, /settings), else what their Telegram app
speaks, else DEFAULT_LANGUAGE. Kept in the user's settings hash, beside their other choices."""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis

from bot import constants as k
from bot.locales import choose, supported

CHOSEN = "language"  # what the user picked
SEEN = "telegram_language"  # what their Telegram app said last, for messages sent unasked


class UserLanguages:
    def __init__(self, redis: Redis, default: str, admin_ids: Iterable[int] = ()) -> None:
        self._redis = redis
        self.default = default
        self._admin_ids = frozenset(admin_ids)

    async def for_update(self, user_id: int, telegram_code: str | None) -> str:
        """The language to answer this update in. For an admin, what the app said is kept when
        it changes, so an alert sent later speaks it too (for anyone else it would be a Redis
        hash per user for nothing)."""
        key = k.USER_SETTINGS_KEY.format(user_id=user_id)
        chosen, seen = await self._stored(key)
        heard = supported(telegram_code)
        if user_id in self._admin_ids and heard and heard != seen:
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
