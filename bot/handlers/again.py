"""A press on Again (under a result) or Run again (under /history): the same job as a new one,
answered in the chat the button sits in, replying to its message."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.errors import InputRejected, PriceToConfirm
from bot.handlers import prices
from bot.handlers.replies import answer
from bot.intake.rules import refusal_text
from bot.jobs.again import AgainRefusal, Repeats, Where
from bot.jobs.buttons import JobAction, parse_button
from bot.locales import Message as Sentence
from bot.locales import current

_REFUSALS: dict[AgainRefusal, Sentence] = {
    AgainRefusal.GONE: texts.AGAIN_GONE,
    AgainRefusal.NOT_YOURS: texts.AGAIN_NOT_YOURS,
    AgainRefusal.INPUTS_GONE: texts.AGAIN_INPUTS_GONE,
    AgainRefusal.STORAGE_DOWN: texts.AGAIN_STORAGE_DOWN,
}


def repeats_of(deps: Deps) -> Repeats:
    return Repeats(deps.redis, deps.store, deps.storage, deps.registry)


async def on_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    button = parse_button(query.data or "")
    if button is None or button.action is not JobAction.AGAIN:
        await query.answer(texts.AGAIN_GONE(), show_alert=True)
        return
    deps, message = deps_of(context), query.message
    where = Where(message.chat_id, message.message_id, current())
    request = await repeats_of(deps).request(button.job_id, user.id, where)
    if request is AgainRefusal.TOO_SOON:
        await query.answer(texts.AGAIN_ALREADY())
        return
    if isinstance(request, AgainRefusal):
        await query.answer(_REFUSALS[request](), show_alert=True)
        return
    await query.answer()  # the job's status message speaks from here on
    try:
        await deps.service.start_job(request)
    except PriceToConfirm as exc:  # a dear job: its price is asked first, as for a new one
        await prices.ask(deps, message, request, exc)
    except InputRejected as exc:  # a limit (in flight, this hour, the model's): said every press
        await answer(message, message.message_id, refusal_text(exc))
