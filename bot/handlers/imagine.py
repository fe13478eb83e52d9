"""Plain text outside any flow, in a private chat, is read as a wish for a picture: an offer
with an Imagine button, whose press by the text's sender starts /imagine's job once."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.jobs import start_job
from bot.handlers.replies import answer
from bot.intake.offers import ImagineOffer
from bot.jobs.start import JobRequest
from bot.models.spec import Capability

PREFIX = "imagine:"
# imagine:<sender's user id>:<their text's message id>; the text itself waits in Redis (it may
# be 5,000 characters, far over callback data's 64 bytes).
_DATA = re.compile(r"imagine:(\d{1,20}):(\d{1,20})")


def offer_data(user_id: int, message_id: int) -> str:
    return f"{PREFIX}{user_id}:{message_id}"


def parse_offer_data(data: str) -> tuple[int, int] | None:
    """(sender's user id, text's message id), or None when malformed."""
    match = _DATA.fullmatch(data)
    return (int(match[1]), int(match[2])) if match else None


async def offer(deps: Deps, message: Message, user_id: int, prompt: str) -> None:
    """Reply to the text with the Imagine button; the text waits under it."""
    button = InlineKeyboardButton(
        texts.IMAGINE_BUTTON(), callback_data=offer_data(user_id, message.message_id)
    )
    sent = await answer(message, message.message_id, texts.IMAGINE_OFFER(),
                        InlineKeyboardMarkup([[button]]))  # fmt: skip
    await deps.offers.save(
        ImagineOffer(message.chat_id, user_id, message.message_id, prompt, sent.message_id)
    )


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    named = parse_offer_data(query.data or "")
    if named is not None and named[0] != user.id:
        await query.answer(texts.IMAGINE_NOT_YOURS(), show_alert=True)
        return
    deps, keyboard = deps_of(context), query.message
    taken = None
    if named is not None:
        taken = await deps.offers.take(keyboard.chat_id, user.id, named[1], keyboard.message_id)
    if taken is None:
        await query.answer(texts.IMAGINE_EXPIRED(), show_alert=True)
        return
    await query.answer()
    status = await keyboard.edit_text(texts.WORKING())
    if isinstance(status, Message):
        await start_job(deps, status, _request(taken, status), status)


def _request(offer: ImagineOffer, status: Message) -> JobRequest:
    """What /imagine with this text would ask for, replying to the text."""
    return JobRequest(
        chat_id=offer.chat_id,
        user_id=offer.user_id,
        capability=Capability.TEXT_TO_IMAGE,
        files=(),
        texts={"prompt": offer.prompt},
        reply_to_message_id=offer.message_id,
        status_message_id=status.message_id,
    )
