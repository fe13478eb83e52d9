"""The buttons under a kept image: Original (the stored file as a document), Edit this (/edit on
it) and Animate (/video on it). Only the person who asked may press them."""

from __future__ import annotations

import io

from telegram import InputFile, Message, ReplyParameters, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import deps_of
from bot.handlers.flows import begin_with_kept
from bot.intake.flows.catalog import FLOWS_BY_COMMAND
from bot.jobs.buttons import JobAction, JobButton, parse_button, pattern
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
    if button is None or button.action not in ACTIONS:
        await query.answer(texts.KEPT_GONE(), show_alert=True)
        return
    found = await deps.kept.find(button, user.id, message.chat_id)
    data = await deps.kept.read(found) if isinstance(found, Kept) and _original(button) else b""
    refusal = found if isinstance(found, Refusal) else data
    if isinstance(refusal, Refusal):
        await query.answer(_REFUSALS[refusal](), show_alert=True)
        return
    assert isinstance(found, Kept) and isinstance(data, bytes)
    await query.answer()
    if _original(button):
        await _send_original(message, found, data)
    elif button.action is JobAction.EDIT:
        await begin_with_kept(deps, message, user.id, FLOWS_BY_COMMAND["edit"], found.media,
                              texts.EDIT_THIS_ASK())  # fmt: skip
    else:
        await begin_with_kept(deps, message, user.id, FLOWS_BY_COMMAND["video"], found.media,
                              texts.ANIMATE_ASK())  # fmt: skip


def _original(button: JobButton) -> bool:
    return button.action is JobAction.ORIGINAL


async def _send_original(message: Message, kept: Kept, data: bytes) -> None:
    """The stored bytes as a document, replying to the result they came from; streamed from
    the one copy in memory (as bot/jobs/deliver/upload.py does)."""
    name = kept.media.key.rsplit("/", 1)[-1]
    content = io.BytesIO(data)
    try:
        await message.chat.send_document(
            InputFile(content, filename=name, read_file_handle=False),
            reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
        )
    finally:
        content.close()
