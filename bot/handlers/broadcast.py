"""/broadcast for admins: ask for the message, show it back as a preview with a confirm button,
then hand it to the broadcast runner (bot/admin/broadcast/)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import deps_of
from bot.locales import current

PREFIX = "bc:"
SEND, DROP = "send", "drop"


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admin_ids:
        await message.reply_text(texts.ADMIN_ONLY())
        return
    if message.chat.type != ChatType.PRIVATE:
        await message.reply_text(texts.BROADCAST_PRIVATE_ONLY())
        return
    draft_id = await deps.broadcasts.open_draft(user.id, message.chat_id, current())
    await message.reply_text(texts.BROADCAST_ASK(), reply_markup=_drop_only(draft_id))


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's message while a draft waits becomes the draft: shown back with a confirm
    button. Anyone else's message (or an admin's without a draft) goes on to other handlers."""
    message, user = update.effective_message, update.effective_user
    deps = deps_of(context)
    if message is None or user is None or user.id not in deps.settings.admin_ids:
        return
    draft = await deps.broadcasts.draft(user.id)
    if draft is None or draft.chat_id != message.chat_id:
        return
    if message.text is None and not message.photo:
        await message.reply_text(texts.BROADCAST_TEXT_OR_PHOTO())
        raise ApplicationHandlerStop
    if not await deps.broadcasts.set_draft_message(user.id, message.message_id):
        return  # expired just now: an ordinary message after all
    await context.bot.copy_message(message.chat_id, message.chat_id, message.message_id)
    audience = await deps.broadcasts.audience()
    await message.chat.send_message(
        texts.BROADCAST_CONFIRM(audience), reply_markup=_confirm(draft.id)
    )
    raise ApplicationHandlerStop


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    deps = deps_of(context)
    action, _, draft_id = (query.data or "").removeprefix(PREFIX).partition(":")
    if user.id not in deps.settings.admin_ids:
        await query.answer(texts.ADMIN_ONLY(), show_alert=True)
        return
    if action == DROP:
        await deps.broadcasts.drop_draft(user.id, draft_id)
        await query.answer()
        await query.message.edit_text(texts.BROADCAST_DROPPED())
        return
    total = None
    if action == SEND:
        total = await deps.broadcasts.start(user.id, draft_id, query.message.message_id)
    if total is None:  # pressed twice, on another replica, or the draft expired
        await query.answer(texts.BROADCAST_GONE(), show_alert=True)
        return
    await query.answer()
    await query.message.edit_text(texts.BROADCAST_STARTED(total))
    deps.broadcast_runner.wake()


def _confirm(draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.BROADCAST_SEND(), SEND, draft_id),
                                  _button(texts.BROADCAST_DROP(), DROP, draft_id)]])  # fmt: skip


def _drop_only(draft_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(texts.BROADCAST_DROP(), DROP, draft_id)]])


def _button(label: str, action: str, draft_id: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=f"{PREFIX}{action}:{draft_id}")
