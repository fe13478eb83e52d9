"""/forget: a confirmation only its sender can press, then the deletion (bot/users/forget.py),
which answers in the same message when it is done."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes, ExtBot

from bot import texts
from bot.deps import deps_of
from bot.flood import SendPriority
from bot.locales import current, speaking

PREFIX = "forget:"
YES, NO = "yes", "no"


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    buttons = [
        InlineKeyboardButton(texts.FORGET_YES(), callback_data=f"{PREFIX}{YES}:{user.id}"),
        InlineKeyboardButton(texts.FORGET_NO(), callback_data=f"{PREFIX}{NO}:{user.id}"),
    ]
    text = texts.FORGET_CONFIRM()
    if deps_of(context).settings.charges:
        text += "\n\n" + texts.FORGET_KEEPS_CREDITS()
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup([buttons]))


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    action, _, owner = (query.data or "").removeprefix(PREFIX).partition(":")
    if owner != str(user.id):  # in a group, or a forged press: only the asker decides
        await query.answer(texts.FORGET_NOT_YOURS(), show_alert=True)
        return
    if action != YES:
        await query.answer()
        await query.message.edit_text(texts.FORGET_KEPT())
        return
    deps = deps_of(context)
    chat, message_id = query.message.chat_id, query.message.message_id
    if not await deps.forgetter.request(user.id, chat, message_id, current()):
        await query.answer(texts.FORGET_UNDER_WAY(), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(texts.FORGET_STARTED())


async def tell_forgotten(
    bot: ExtBot[int],
    chat_id: int,
    message_id: int,
    language: str,
    counts: dict[str, int],
    *,
    credits_kept: bool = False,
) -> None:
    """The answer, in the confirmation's place (or as a new message if that is gone)."""
    with speaking(language):
        text = texts.forget_done(counts)
        if credits_kept:
            text += "\n\n" + texts.FORGET_KEEPS_CREDITS()
    try:
        await bot.edit_message_text(text, chat_id, message_id, rate_limit_args=SendPriority.RESULT)
    except TelegramError:
        await bot.send_message(chat_id, text, rate_limit_args=SendPriority.RESULT)
