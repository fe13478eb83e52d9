"""Editing a message a button sits under, where a double tap is normal."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message
from telegram.error import BadRequest


async def edit_in_place(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message to this. Telegram refuses an edit to what the message already shows
    (a second tap before the first one's edit arrived): that is no error."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
