"""Each user's choices from /settings (aspect ratio, video engine, …), remembered in Redis."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from bot import constants as k
from bot.models import Registry
from bot.models.requests import resolve_settings


class UserSettings:
    def __init__(self, redis: Redis, registry: Registry, defaults: Mapping[str, str]) -> None:
        self._redis = redis
        self._registry = registry
        self._defaults = dict(defaults)  # the operator's defaults (VIDEO_ENGINE)

    async def forget(self, user_id: int) -> dict[str, int]:
        """Their choices and their language (kept in the same hash)."""
        return {
            "settings": int(await self._redis.delete(k.USER_SETTINGS_KEY.format(user_id=user_id)))
        }

    async def of(self, user_id: int) -> dict[str, str]:
        """Every setting's value for this user."""
        saved = await self._redis.hgetall(k.USER_SETTINGS_KEY.format(user_id=user_id))
        return resolve_settings(
            self._registry.settings, {str(k): str(v) for k, v in saved.items()}, self._defaults
        )

    async def choose(self, user_id: int, key: str, value: str) -> bool:
        """Remember a choice; False when there is no such setting or value."""
        setting = next((s for s in self._registry.settings if s.key == key), None)
        if setting is None or value not in setting.choices:
            return False
        await self._redis.hset(k.USER_SETTINGS_KEY.format(user_id=user_id), key, value)
        return True
