"""The buttons under a kept image: Original (the stored file as a document), Edit this (/edit on
it) and Animate (/video on it). Only the person who asked may press them."""

from __future__ import annotations

from telegram import InputFile, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.flows import begin_with_kept
from bot.intake.flows.catalog import FLOWS_BY_COMMAND
from bot.jobs.buttons import JobAction, parse_button, pattern
from bot.jobs.kept import Kept, Refusal

ACTIONS = (JobAction.ORIGINAL, JobAction.EDIT, JobAction.ANIMATE)
PATTERN = "|".join(pattern(action) for action in ACTIONS)
_REFUSALS = {
    Refusal.NOT_YOURS: texts.KEPT_NOT_YOURS,
    Refusal.GONE: texts.KEPT_GONE,
    Refusal.NOT_READY: texts.KEPT_NOT_READY,
    Refusal.UNREACHABLE: texts.KEPT_UNREACHABLE,
}


async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    deps, message = deps_of(context), query.message
    button = parse_button(query.data or "")
    found: Kept | Refusal = Refusal.GONE
    if button is not None and button.action in ACTIONS:
        found = await deps.kept.find(button, user.id, message.chat_id)
    if isinstance(found, Kept) and button is not None and button.action is JobAction.ORIGINAL:
        found = await _send_original(deps, message, found)
    if not isinstance(found, Kept):
        await query.answer(_REFUSALS[found](), show_alert=True)
        return
    await query.answer()
    if button is not None and button.action is JobAction.EDIT:
        await begin_with_kept(deps, message, user.id, FLOWS_BY_COMMAND["edit"], found.media,
                              texts.EDIT_THIS_ASK())  # fmt: skip
    elif button is not None and button.action is JobAction.ANIMATE:
        await begin_with_kept(deps, message, user.id, FLOWS_BY_COMMAND["video"], found.media,
                              texts.ANIMATE_ASK())  # fmt: skip


async def _send_original(deps: Deps, message: Message, kept: Kept) -> Kept | Refusal:
    """The stored bytes as a document, replying to the result they came from."""
    data = await deps.kept.read(kept)
    if isinstance(data, Refusal):
        return data
    name = kept.media.key.rsplit("/", 1)[-1]
    await message.chat.send_document(
        InputFile(data, filename=name),
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
    )
    return kept
