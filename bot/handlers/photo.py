"""Photos in, jobs out: captions start a job, bare photos get a style keyboard; an album is
answered once."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers import imagine
from bot.handlers.audience import addressed_to_bot
from bot.handlers.flows import begin, photo_of, split_command, without_mention
from bot.handlers.jobs import start_job
from bot.handlers.replies import answer
from bot.intake.flows.catalog import FLOWS_BY_COMMAND, WAITING_PHOTO
from bot.intake.flows.state import FlowState
from bot.intake.presets import PRESETS, PRESETS_BY_KEY
from bot.intake.rules import (
    document_problem,
    prompt_problem,
    size_problem,
)
from bot.jobs.start import JobRequest, SentFile
from bot.locales import current
from bot.media.kinds import MediaKind
from bot.models.spec import Capability

STYLE_PREFIX = "style:"


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    ref = photo_of(message) if message else None
    if message and ref:
        await _take_image(deps_of(context), message, ref)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    doc = message.document
    deps = deps_of(context)
    photo_model = deps.registry.candidates(Capability.PHOTO_EDIT)[0]
    accepted = photo_model.slot(MediaKind.IMAGE)
    problem = document_problem(
        doc.mime_type,
        doc.file_name,
        doc.file_size,
        accepted.mime_types if accepted else frozenset(),
    )
    if problem:
        await message.reply_text(problem)
        return
    # The declared type passed the check above; the file's own bytes are checked once fetched.
    ref = SentFile(doc.file_id, doc.file_size, message.id)
    await _take_image(deps, message, ref)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    prompt = without_mention(message, message.text or "")
    problem = prompt_problem(prompt)
    if problem:
        await message.reply_text(problem)
        return
    waiting = await deps.flows.take_photo(message.chat_id, user.id)
    if waiting is None and message.chat.type == ChatType.PRIVATE:
        await imagine.offer(deps, message, user.id, prompt)  # a wish for a picture
        return
    if waiting is None:
        await message.reply_text(texts.SEND_PHOTO_FIRST())
        return
    await _start(deps, message, user.id, waiting.files, prompt)


async def on_style(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    preset = PRESETS_BY_KEY.get(parse_style_data(query.data or "") or "")
    deps = deps_of(context)
    waiting = None
    if preset is not None:
        waiting = await deps.flows.take_photo(
            query.message.chat_id, user.id, keyboard_message_id=query.message.message_id
        )
    if preset is None or waiting is None:
        await query.answer(texts.PHOTO_EXPIRED(), show_alert=True)
        return
    await query.answer(texts.STYLE_CHOSEN(label=preset.label()))
    status = await query.message.edit_text(texts.WORKING())
    if isinstance(status, Message):
        await _start(deps, status, user.id, waiting.files, preset.prompt, status_message=status)


async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited caption never starts a paid job again; say how to get a new one."""
    if update.edited_message:
        await update.edited_message.reply_text(texts.EDIT_IGNORED())


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message:
        await message.reply_text(
            texts.VIDEO_OUTSIDE_FLOW() if message.video else texts.OTHER_MESSAGE()
        )


async def _take_image(deps: Deps, message: Message, ref: SentFile) -> None:
    user = message.from_user
    if user is None:
        return
    prompt = without_mention(message, message.caption or "")
    photos: tuple[SentFile, ...] = (ref,)
    if message.media_group_id:
        album = await deps.albums.add(
            message.chat_id, message.media_group_id, ref, prompt, addressed_to_bot(message)
        )
        if album is None or not album.addressed:
            return  # another update of the album answers for it, or it was not for us
        photos, prompt = album.photos, album.caption
    problem = next(filter(None, (size_problem(p.file_size) for p in photos)), None)
    if problem is None and prompt:
        problem = prompt_problem(prompt)
    if problem:
        await answer(message, photos[0].message_id, problem)
        return
    command, args = split_command(prompt)
    if (flow := FLOWS_BY_COMMAND.get(command)) is not None:
        await begin(deps, message, user.id, flow, args, photos)
        return
    if not prompt:
        await _offer_styles(deps, message, user.id, photos)
        return
    await _start(deps, message, user.id, photos, prompt)


async def _offer_styles(
    deps: Deps, message: Message, user_id: int, photos: tuple[SentFile, ...]
) -> None:
    """The style keyboard; the photos wait under it, in place of whatever waited before."""
    offer = await answer(message, photos[0].message_id, texts.PICK_STYLE(), style_keyboard())
    waiting = FlowState(WAITING_PHOTO.command, message.chat_id, user_id, files=photos,
                        language=current(),
                        keyboard_message_id=offer.message_id)  # fmt: skip
    await deps.flows.drop(message.chat_id, user_id)
    await deps.flows.save(waiting)


async def _start(
    deps: Deps,
    answer_to: Message,
    user_id: int,
    photos: tuple[SentFile, ...],
    prompt: str,
    status_message: Message | None = None,
) -> None:
    request = JobRequest(
        chat_id=answer_to.chat_id,
        user_id=user_id,
        capability=Capability.PHOTO_EDIT,
        files=photos,
        texts={"prompt": prompt},
        reply_to_message_id=photos[0].message_id,
        status_message_id=status_message.message_id if status_message else None,
    )
    await start_job(deps, answer_to, request, status_message)


def style_keyboard() -> InlineKeyboardMarkup:
    """Two presets a row; a press acts only on the photo waiting under this very message."""
    buttons = [
        InlineKeyboardButton(p.label(), callback_data=f"{STYLE_PREFIX}{p.key}") for p in PRESETS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def parse_style_data(data: str) -> str | None:
    """The preset key of a style button's data (`style:<key>`, or the older
    `style:<key>:<photo message id>`), or None if malformed."""
    prefix, _, rest = data.partition(STYLE_PREFIX)
    key, _, photo_id = rest.partition(":")
    if prefix or not key or (photo_id and not photo_id.isdigit()):
        return None
    return key
