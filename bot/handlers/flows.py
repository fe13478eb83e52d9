"""Commands that start jobs (/imagine, /edit, /video, /dance, /animate, /music), the flows that
collect their inputs one message at a time, and /cancel (a flow; else running jobs)."""

from __future__ import annotations

import re
from datetime import timedelta

from telegram import Bot, Message, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import texts
from bot.deps import Deps, deps_of
from bot.handlers.jobs import start_job
from bot.handlers.running import cancel_jobs
from bot.intake.flows.catalog import FLOWS_BY_COMMAND, QUICK_CAPABILITY, FlowSpec
from bot.intake.flows.state import FlowState
from bot.intake.rules import normalize_prompt
from bot.jobs.record import StoredMedia
from bot.jobs.start import JobRequest, SentFile
from bot.locales import current, speaking
from bot.media.kinds import MediaKind
from bot.models.limits import Problem
from bot.models.spec import Capability

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+|$)(.*)$", re.DOTALL)


def split_command(text: str) -> tuple[str, str]:
    """("dance", "rest") from "/dance@bot rest"; ("", text) when it is no command."""
    match = _COMMAND.match(text)
    if match is None:
        return "", text
    return match[1].lower(), match[2].strip()


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/imagine a fox, /edit (in reply to a photo), /dance, /music a song about rain, …"""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    command, args = split_command(message.text or "")
    flow = FLOWS_BY_COMMAND.get(command)
    if flow is None:
        return
    replied = photo_of(message.reply_to_message) if message.reply_to_message else None
    files = (replied,) if replied else ()
    await begin(deps_of(context), message, user.id, flow, without_mention(message, args), files)


async def begin(
    deps: Deps,
    message: Message,
    user_id: int,
    flow: FlowSpec,
    args: str,
    files: tuple[SentFile, ...] = (),
) -> None:
    """Start the command's job at once when everything it needs came with it, else its flow.
    Either way it ends what waited before: an earlier flow, or a photo waiting for a style."""
    await deps.flows.drop(message.chat_id, user_id)
    if flow.with_photo and files:  # /video on a photo: that photo moves
        await _start(deps, message, user_id, flow.with_photo, files, {"prompt": args})
        return
    quick = QUICK_CAPABILITY.get(flow.command)
    if quick and args:
        await _start(deps, message, user_id, quick, files, {"prompt": args})
        return
    state = FlowState(flow.command, message.chat_id, user_id, language=current())
    state = state.with_files(files)
    if args and flow.texts:
        state = state.with_text(flow.texts[0], args)
    await _advance(deps, message, state, intro=True)


async def begin_with_kept(
    deps: Deps, message: Message, user_id: int, flow: FlowSpec, kept: StoredMedia, ask: str
) -> None:
    """A kept result as the input of `flow` (/edit, /video on a photo): the job starts at once
    when the model needs no words, else the flow asks for them with `ask`. Like a command, it
    ends what waited before."""
    await deps.flows.drop(message.chat_id, user_id)
    state = FlowState(flow.command, message.chat_id, user_id, language=current(), stored=(kept,))
    if state.next_text() in await deps.service.required_texts(state.capability, user_id):
        await deps.flows.save(state)
        await message.reply_text(ask)
        return
    await _start(deps, message, user_id, state.capability, (), {}, message.message_id, (kept,))


async def on_flow_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message while the user is in a flow goes to the flow; otherwise (or while a photo
    waits for a style: a newer photo replaces it, a text is its prompt) on to other handlers."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    state = await deps.flows.get(message.chat_id, user.id)
    if state is None or not state.spec.takes_messages:
        return
    file = photo_of(message) or video_of(message)
    if file is not None:
        await _take_file(deps, message, state, file)
    elif message.document is not None and (message.document.mime_type or "").startswith("video"):
        await message.reply_text(texts.FLOW_VIDEO_AS_FILE())
    elif message.text and (name := state.next_text()) is not None:
        await _advance(deps, message, state.with_text(name, normalize_prompt(message.text)))
    else:
        await message.reply_text(texts.FLOW_WAITING_FOR(ask=ask_text(state)))
    raise ApplicationHandlerStop


async def on_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if await deps.flows.drop(message.chat_id, user.id):
        await message.reply_text(texts.CANCELLED())
        return
    await cancel_jobs(deps, message, user.id)  # no flow: the user's running jobs


async def tell_timed_out(bot: Bot, state: FlowState) -> None:
    """The polite word for a flow left idle (sent by whichever replica closes it)."""
    with speaking(state.language):
        text = texts.FLOW_TIMED_OUT(command=state.command)
    await bot.send_message(state.chat_id, text)


async def _take_file(deps: Deps, message: Message, state: FlowState, file: SentFile) -> None:
    if not state.wants(file.kind):
        await message.reply_text(texts.FLOW_WAITING_FOR(ask=ask_text(state)))
        return
    caption = without_mention(message, message.caption or "")
    files: tuple[SentFile, ...] = (file,)
    if message.media_group_id:
        album = await deps.albums.add(message.chat_id, message.media_group_id, file, caption, True)
        if album is None:
            return  # another update of the album answers for it
        files, caption = album.photos, album.caption
    for one in files:
        if (problem := await _file_problem(deps, state, one)) is not None:
            await message.reply_text(texts.limit_text(problem))
            return
    state = state.with_files(files)
    if caption and (name := state.next_text()) is not None:
        state = state.with_text(name, caption)
    await _advance(deps, message, state)


async def _file_problem(deps: Deps, state: FlowState, file: SentFile) -> Problem | None:
    """A file's limits, checked as it arrives (from Telegram's metadata) so the user can send
    another one at once."""
    settings = await deps.user_settings.of(state.user_id)
    return await deps.service.file_problem(state.spec.capability, settings, file.meta())


async def _advance(deps: Deps, message: Message, state: FlowState, *, intro: bool = False) -> None:
    """Start the job once the flow has everything; else keep it and say what comes next."""
    if state.complete:
        await deps.flows.clear(state)
        reply_to = state.files[0].message_id if state.files else message.message_id
        await _start(deps, message, state.user_id, state.capability, state.files,
                     state.texts, reply_to, state.stored)  # fmt: skip
        return
    await deps.flows.save(state)
    await message.reply_text(texts.FLOW_INTROS[state.command]() if intro else ask_text(state))


def ask_text(state: FlowState) -> str:
    """What the flow needs next, in one sentence."""
    missing = state.missing_media()
    if len(missing) == 1 and len(state.spec.media) > 1:
        return texts.FLOW_ASK_MEDIA[missing[0]]()
    if missing:
        return texts.FLOW_INTROS[state.command]()
    name = state.next_text()
    return texts.FLOW_ASK_TEXT.get(name or "", texts.FLOW_INTROS[state.command])()


async def _start(
    deps: Deps,
    message: Message,
    user_id: int,
    capability: Capability,
    files: tuple[SentFile, ...],
    job_texts: dict[str, str],
    reply_to: int | None = None,
    stored: tuple[StoredMedia, ...] = (),
) -> None:
    request = JobRequest(
        chat_id=message.chat_id,
        user_id=user_id,
        capability=capability,
        files=files,
        stored=stored,
        texts={name: value for name, value in job_texts.items()},
        reply_to_message_id=reply_to or (files[0].message_id if files else message.message_id),
    )
    await start_job(deps, message, request)


def photo_of(message: Message) -> SentFile | None:
    if message.photo:
        biggest = message.photo[-1]
        return SentFile(
            biggest.file_id, biggest.file_size, message.message_id,
            width=biggest.width, height=biggest.height,
        )  # fmt: skip
    return None


def video_of(message: Message) -> SentFile | None:
    video = message.video
    if video is None:
        return None
    duration = video.duration  # a timedelta or whole seconds, by PTB's settings
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    return SentFile(
        video.file_id, video.file_size, message.message_id, MediaKind.VIDEO,
        mime_type=video.mime_type or "", seconds=seconds, width=video.width, height=video.height,
    )  # fmt: skip


def without_mention(message: Message, text: str) -> str:
    """The text without the bot's @mention (used in groups)."""
    username = message.get_bot().username
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", "", text, flags=re.IGNORECASE)
    return normalize_prompt(text)
