"""Starting a job from a handler, and answering a refused input plainly."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, ReplyParameters

from bot.deps import Deps
from bot.errors import InputRejected
from bot.intake.rules import refusal_text
from bot.jobs.start import JobRequest


async def start_job(
    deps: Deps, answer_to: Message, request: JobRequest, status_message: Message | None = None
) -> bool:
    """Start the job; a refused input is answered in the status message, or as a reply."""
    try:
        await deps.service.start_job(request)
    except InputRejected as exc:
        text = refusal_text(exc)
        if status_message is not None:
            await status_message.edit_text(text)
        elif exc.tell:
            await answer(answer_to, request.reply_to_message_id, text)
        return False
    return True


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
