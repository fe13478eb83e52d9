"""Photos in, jobs out: captions start a job, bare photos get a style keyboard."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.errors import InputRejected
from bot.jobs.intake import (
    INPUT_PROBLEM_TEXTS,
    document_problem,
    normalize_prompt,
    prompt_problem,
    size_problem,
)
from bot.jobs.pending import PendingPhoto
from bot.jobs.presets import PRESETS, PRESETS_BY_KEY
from bot.jobs.service import PhotoJobRequest

STYLE_PREFIX = "style:"


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message and message.photo:
        biggest = message.photo[-1]
        await _take_image(deps_of(context), message, biggest.file_id, biggest.file_size)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    doc = message.document
    problem = document_problem(doc.mime_type, doc.file_name, doc.file_size)
    if problem:
        await message.reply_text(problem)
        return
    await _take_image(deps_of(context), message, doc.file_id, doc.file_size)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    prompt = normalize_prompt(message.text)
    problem = prompt_problem(prompt)
    if problem:
        await message.reply_text(problem)
        return
    photo = await deps.pending.take(message.chat_id, user.id)
    if photo is None:
        await message.reply_text(texts.SEND_PHOTO_FIRST)
        return
    await _start(deps, message, user.id, photo, prompt)


async def on_style(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not isinstance(query.message, Message):
        return
    parsed = parse_style_data(query.data or "")
    preset = PRESETS_BY_KEY.get(parsed[0]) if parsed else None
    deps = deps_of(context)
    photo = None
    if parsed and preset:
        photo = await deps.pending.take(query.message.chat_id, user.id, parsed[1])
    if preset is None or photo is None:
        await query.answer(texts.PHOTO_EXPIRED, show_alert=True)
        return
    await query.answer(texts.STYLE_CHOSEN.format(label=preset.label))
    status = await query.message.edit_text(texts.WORKING)
    if isinstance(status, Message):
        await _start(deps, status, user.id, photo, preset.prompt, status_message=status)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message:
        await update.effective_message.reply_text(texts.OTHER_MESSAGE)


async def _take_image(deps: Deps, message: Message, file_id: str, size: int | None) -> None:
    user = message.from_user
    if user is None:
        return
    problem = size_problem(size)
    if problem:
        await message.reply_text(problem)
        return
    prompt = normalize_prompt(message.caption)
    photo = PendingPhoto(file_id=file_id, file_size=size, message_id=message.message_id)
    if not prompt:
        await deps.pending.put(message.chat_id, user.id, photo)
        await message.reply_text(texts.PICK_STYLE, reply_markup=style_keyboard(message.message_id))
        return
    problem = prompt_problem(prompt)
    if problem:
        await message.reply_text(problem)
        return
    await _start(deps, message, user.id, photo, prompt)


async def _start(
    deps: Deps,
    answer_to: Message,
    user_id: int,
    photo: PendingPhoto,
    prompt: str,
    status_message: Message | None = None,
) -> None:
    """Start the job; a refused input is answered in the status message, or as a reply."""
    request = PhotoJobRequest(
        chat_id=answer_to.chat_id,
        user_id=user_id,
        photo_message_id=photo.message_id,
        file_id=photo.file_id,
        prompt=prompt,
        status_message_id=status_message.message_id if status_message else None,
    )
    try:
        await deps.service.start_photo_job(request)
    except InputRejected as exc:
        text = INPUT_PROBLEM_TEXTS.get(exc.reason, texts.NOT_AN_IMAGE)
        if status_message is not None:
            await status_message.edit_text(text)
        else:
            await answer_to.reply_text(text)


def style_keyboard(photo_message_id: int) -> InlineKeyboardMarkup:
    """Two presets a row; callback data `style:<key>:<photo message id>` stays under 64 bytes."""
    buttons = [
        InlineKeyboardButton(p.label, callback_data=f"{STYLE_PREFIX}{p.key}:{photo_message_id}")
        for p in PRESETS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def parse_style_data(data: str) -> tuple[str, int] | None:
    """(preset key, photo message id) from a style button's data, or None if malformed."""
    prefix, _, rest = data.partition(STYLE_PREFIX)
    key, _, photo_id = rest.partition(":")
    if prefix or not key or not photo_id.isdigit():
        return None
    return key, int(photo_id)
