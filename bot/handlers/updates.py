"""Each Telegram update is handled once, however often it arrives and at whichever replica;
a banned user (or one not on the allow-list) is turned away before anything is downloaded; a
user flooding the bot is told once and then ignored until their pace drops. An update that goes
on is answered in its user's language."""

from __future__ import annotations

from telegram import Update, User
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.intake.screening import Screening
from bot.locales import set_language


async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    deps = deps_of(context)
    user = update.effective_user
    chat = update.effective_chat
    private_message = (
        update.callback_query is None and chat is not None and chat.type == ChatType.PRIVATE
    )
    verdict = await deps.screen.check(
        update.update_id, user.id if user else None, private_message=private_message
    )
    if verdict is Screening.HANDLE:
        set_language(await _language(deps, user))
        return
    if verdict is Screening.TOO_FAST and update.effective_message is not None:
        set_language(await _language(deps, user))
        await update.effective_message.reply_text(texts.TOO_FAST())
    elif verdict in (Screening.REFUSED, Screening.REFUSED_AGAIN) and user is not None:
        set_language(await _language(deps, user))
        await _turn_away(deps, update, user, tell=verdict is Screening.REFUSED)
    raise ApplicationHandlerStop


async def _turn_away(deps: Deps, update: Update, user: User, *, tell: bool) -> None:
    """A button press always gets its answer (Telegram shows a spinner until then); a message
    gets one an hour, and only in a private chat (the screen decides): a group never hears
    about a banned member."""
    text = (
        texts.REFUSED_BANNED()
        if deps.screen.listed(user.id)
        else texts.REFUSED_UNLISTED(user=str(user.id))
    )
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
        return
    if tell and update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def _language(deps: Deps, user: User | None) -> str:
    """The language every handler of this update answers in (they run in this task)."""
    if user is None:
        return deps.languages.default
    return await deps.languages.for_update(user.id, user.language_code)
