"""A job dearer than an image asks its user to confirm the price first: the request waits under
the question (bot/intake/quotes.py) and its Start button starts it, once."""

from __future__ import annotations

import dataclasses
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.errors import InputRejected, PriceToConfirm
from bot.handlers.replies import answer
from bot.intake.quotes import Quote
from bot.intake.rules import refusal_text
from bot.jobs.start import JobRequest

PREFIX = "price:"
GO, NO = "go", "no"
# price:<go|no>:<token>:<user id>
_DATA = re.compile(r"price:(go|no):([0-9a-f]{12}):(\d{1,20})")


async def ask(
    deps: Deps,
    answer_to: Message,
    request: JobRequest,
    exc: PriceToConfirm,
    status_message: Message | None = None,
) -> None:
    """The price and the balance, with Start and Not now; too few credits: how to get more."""
    if exc.balance < exc.price:
        await _say(answer_to, request, texts.not_enough_credits(exc.price, exc.balance),
                   status_message)  # fmt: skip
        return
    token = deps.quotes.new_token()
    user = request.user_id
    markup = InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.PRICE_START(price=texts.credits(exc.price)),
                             callback_data=f"{PREFIX}{GO}:{token}:{user}"),
        InlineKeyboardButton(texts.PRICE_NOT_NOW(), callback_data=f"{PREFIX}{NO}:{token}:{user}"),
    ]])  # fmt: skip
    asked = await _say(answer_to, request, texts.price_confirm(exc.price, exc.balance),
                       status_message, markup)  # fmt: skip
    await deps.quotes.save(token, Quote(request, exc.price, asked.message_id))


async def _say(
    answer_to: Message,
    request: JobRequest,
    text: str,
    status_message: Message | None,
    markup: InlineKeyboardMarkup | None = None,
) -> Message:
    if status_message is not None:
        edited = await status_message.edit_text(text, reply_markup=markup)
        if isinstance(edited, Message):
            return edited
    return await answer(answer_to, request.reply_to_message_id, text, markup)


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    match = _DATA.fullmatch(query.data or "")
    if match is None or int(match[3]) != user.id:  # forged, or another user's question
        await query.answer(texts.FORGET_NOT_YOURS(), show_alert=True)
        return
    deps, message = deps_of(context), query.message
    quote = await deps.quotes.take(user.id, match[2], message.message_id)
    if quote is None:
        await query.answer(texts.PRICE_EXPIRED(), show_alert=True)
        await message.edit_reply_markup(None)
        return
    await query.answer()
    if match[1] == NO:
        await message.edit_text(texts.PRICE_DECLINED())
        return
    request = dataclasses.replace(
        quote.request, confirmed_price=quote.price, status_message_id=message.message_id
    )
    status = await message.edit_text(texts.WORKING())
    if not isinstance(status, Message):
        return
    try:
        await deps.service.start_job(request)
    except PriceToConfirm as exc:  # the price changed meanwhile: ask again
        await ask(deps, message, request, exc, status)
    except InputRejected as exc:
        await status.edit_text(refusal_text(exc))
