"""Starting a job from a handler, and answering a refused input plainly."""

from __future__ import annotations

from telegram import Message

from bot.deps import Deps
from bot.errors import InputRejected, PriceToConfirm
from bot.handlers import prices
from bot.handlers.replies import answer
from bot.intake.rules import refusal_text
from bot.jobs.start import JobRequest


async def start_job(
    deps: Deps, answer_to: Message, request: JobRequest, status_message: Message | None = None
) -> bool:
    """Start the job; a refused input is answered in the status message, or as a reply, and a
    price to confirm is asked there."""
    try:
        await deps.service.start_job(request)
    except PriceToConfirm as exc:
        await prices.ask(deps, answer_to, request, exc, status_message)
        return False
    except InputRejected as exc:
        text = refusal_text(exc)
        if status_message is not None:
            await status_message.edit_text(text)
        elif exc.tell:
            await answer(answer_to, request.reply_to_message_id, text)
        return False
    return True
