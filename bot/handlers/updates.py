"""Each Telegram update is handled once, however often it arrives and at whichever replica;
a user flooding the bot is told once and then ignored until their pace drops."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import deps_of
from bot.intake.screening import Screening


async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = deps_of(context)
    user = update.effective_user
    user_id = user.id if user else None
    verdict = await deps.screen.check(
        update.update_id, user_id, exempt=user_id in deps.settings.admin_ids
    )
    if verdict is Screening.HANDLE:
        return
    if verdict is Screening.TOO_FAST and update.effective_message is not None:
        await update.effective_message.reply_text(texts.TOO_FAST)
    raise ApplicationHandlerStop
