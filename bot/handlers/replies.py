"""Answering the message a job is about, whichever message is being handled."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, ReplyParameters


async def answer(
    message: Message,
    reply_to_message_id: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Reply to the message a job is about (the first photo of an album, say), even when
    another message is being handled."""
    reply = (
        ReplyParameters(reply_to_message_id, allow_sending_without_reply=True)
        if reply_to_message_id is not None
        else None
    )
    return await message.chat.send_message(text, reply_parameters=reply, reply_markup=markup)
