"""Tell admins about operator problems: a bad key or no credits (at most once per interval),
a provider failover (once per switch)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from redis.asyncio import Redis
from telegram import Bot
from telegram.error import TelegramError

from bot import constants as k
from bot import texts

log = logging.getLogger(__name__)


class AdminAlerts:
    def __init__(self, redis: Redis, bot: Bot, admin_ids: Iterable[int]) -> None:
        self._redis = redis
        self._bot = bot
        self._admin_ids = tuple(admin_ids)

    async def notify(self, reason_key: str, what: str, provider_reason: str) -> None:
        log.error("admin alert: %s (%s)", what, provider_reason)
        fresh = await self._redis.set(
            k.ADMIN_ALERT_KEY.format(reason=reason_key), "1", nx=True, ex=k.ADMIN_ALERT_EVERY_S
        )
        if not fresh:
            return
        await self.tell(
            texts.ADMIN_ALERT.format(what=what, reason=texts.clean_reason(provider_reason))
        )

    async def tell(self, text: str) -> None:
        """Send every admin `text` now: for events that happen once (a failover)."""
        for admin_id in self._admin_ids:
            try:
                await self._bot.send_message(admin_id, text)
            except TelegramError as exc:
                log.warning("could not alert admin %s: %s", admin_id, exc)
