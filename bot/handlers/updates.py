"""Each Telegram update is handled once, however often it arrives and at whichever replica."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import constants as k
from bot.deps import deps_of


async def drop_repeats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = deps_of(context)
    first_time = await deps.redis.set(
        k.UPDATE_SEEN_KEY.format(update_id=update.update_id), "1", nx=True, ex=k.UPDATE_SEEN_TTL_S
    )
    if not first_time:
        raise ApplicationHandlerStop
