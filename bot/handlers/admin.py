"""Admin commands: /stats."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot import texts
from bot.admin import stats_report
from bot.deps import deps_of


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admin_ids:
        await message.reply_text(texts.STATS_REFUSED())
        return
    text = await stats_report(deps.redis, deps.registry, deps.failover, deps.providers)
    if message.chat.type == ChatType.PRIVATE:
        await message.reply_text(text)
        return
    # Figures are for admins only: never post them to a whole group.
    try:
        await context.bot.send_message(user.id, text)
    except Forbidden:  # the admin never opened a private chat with the bot
        await message.reply_text(texts.STATS_ASK_PRIVATELY())
        return
    await message.reply_text(texts.STATS_SENT_PRIVATELY())
