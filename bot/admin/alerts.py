"""Tell admins about operator problems: a bad key or no credits (at most once per interval),
a provider failover (once per switch)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from redis.asyncio import Redis
from telegram import Bot
from telegram.error import TelegramError

from bot import constants as k
from bot import texts
from bot.locales import SOURCE, speaking
from bot.users import UserLanguages

log = logging.getLogger(__name__)


# Writes an alert in the language set around the call (each admin's in turn).
Text = Callable[[], str]


class AdminAlerts:
    def __init__(
        self, redis: Redis, bot: Bot, admin_ids: Iterable[int], languages: UserLanguages
    ) -> None:
        self._redis = redis
        self._bot = bot
        self._admin_ids = tuple(admin_ids)
        self._languages = languages

    async def notify(self, reason_key: str, what: Text, provider_reason: str) -> None:
        with speaking(SOURCE):
            log.error("admin alert: %s (%s)", what(), provider_reason)
        fresh = await self._redis.set(
            k.ADMIN_ALERT_KEY.format(reason=reason_key), "1", nx=True, ex=k.ADMIN_ALERT_EVERY_S
        )
        if not fresh:
            return
        reason = texts.clean_reason(provider_reason)
        await self.tell(lambda: texts.ADMIN_ALERT(what=what(), reason=reason))

    async def tell(self, text: Text) -> None:
        """Send every admin the alert now, in their language: for events that happen once (a
        failover)."""
        for admin_id in self._admin_ids:
            try:
                with speaking(await self._languages.of(admin_id)):
                    written = text()
                await self._bot.send_message(admin_id, written)
            except TelegramError as exc:
                log.warning("could not alert admin %s: %s", admin_id, exc)
