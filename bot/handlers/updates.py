"""Each Telegram update is handled once, however often it arrives and at whichever replica;
a user flooding the bot is told once and then ignored until their pace drops. An update that
goes on is answered in its user's language."""

from __future__ import annotations

from telegram import Update, User
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.intake.screening import Screening
from bot.locales import set_language


async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = deps_of(context)
    user = update.effective_user
    user_id = user.id if user else None
    verdict = await deps.screen.check(
        update.update_id, user_id, exempt=user_id in deps.settings.admin_ids
    )
    if verdict is Screening.HANDLE:
        set_language(await _language(deps, user))
        return
    if verdict is Screening.TOO_FAST and update.effective_message is not None:
        set_language(await _language(deps, user))
        await update.effective_message.reply_text(texts.TOO_FAST())
    raise ApplicationHandlerStop


async def _language(deps: Deps, user: User | None) -> str:
    """The language every handler of this update answers in (they run in this task)."""
    if user is None:
        return deps.languages.default
    return await deps.languages.for_update(user.id, user.language_code)
