"""Uploading downloaded results to the job's chat, from their files on disk.

Every call holds one copy of each file it sends, read off the event loop just before the send
and released right after it: an album holds its photos together, anything else one file.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, InputFile, InputMediaPhoto
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot import texts
from bot.flood import SendPriority
from bot.jobs.background.notices import reply_to
from bot.jobs.deliver.outputs import capability_of, next_output_kind, output_kind
from bot.jobs.deliver.render import Ready, details, filename
from bot.jobs.record import Job, JobState
from bot.media.check import SendAs
from bot.models import Registry

log = logging.getLogger(__name__)


async def send_file(
    bot: ExtBot[int],
    job: Job,
    item: Ready,
    caption: str,
    cover: bytes | None = None,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send one result as its `how` says, with `caption` and its buttons; one Telegram refuses
    as a photo, a video or a track goes again as a document."""
    content = await _read(item)
    try:
        try:
            await _send_as(bot, job, item, content, _common(job, caption, markup), cover)
        except BadRequest as exc:
            if item.how is SendAs.DOCUMENT:
                raise
            log.info("job %s: result %d refused as %s (%s); sending it as a file",
                     job.id, item.number, item.how, exc)  # fmt: skip
            file = _streamed(content, filename(job, item))
            await bot.send_document(job.chat_id, file, **_common(job, caption, markup))
    finally:
        # httpx keeps each request in a reference cycle (a response and its stream) until the
        # garbage collector runs; closing lets the bytes go now, not some uploads later.
        content.close()


async def send_album(bot: ExtBot[int], job: Job, items: Sequence[Ready], caption: str) -> None:
    """The photos as one album, captioned on its first item; one sendMediaGroup call."""
    contents: list[io.BytesIO] = []
    try:
        for item in items:
            contents.append(await _read(item))
        media = [
            InputMediaPhoto(
                _streamed(content, filename(job, item), attach=True),
                caption=caption if number == 0 else None,
            )
            for number, (item, content) in enumerate(zip(items, contents, strict=True))
        ]
        await bot.send_media_group(
            job.chat_id, media, reply_parameters=reply_to(job), rate_limit_args=SendPriority.RESULT
        )
    finally:
        for content in contents:
            content.close()


async def _send_as(
    bot: ExtBot[int],
    job: Job,
    item: Ready,
    content: io.BytesIO,
    common: dict[str, Any],
    cover: bytes | None,
) -> None:
    file = _streamed(content, filename(job, item))
    if item.how is SendAs.PHOTO:
        await bot.send_photo(job.chat_id, file, **common)
    elif item.how is SendAs.VIDEO:
        about = details(item)
        await bot.send_video(
            job.chat_id, file, duration=about.duration_s, width=about.width,
            height=about.height, supports_streaming=True, **common,
        )  # fmt: skip
    elif item.how is SendAs.AUDIO:
        about = details(item)
        await bot.send_audio(
            job.chat_id, file, duration=about.duration_s, title=about.title,
            performer=texts.AUDIO_PERFORMER, thumbnail=cover, **common,
        )  # fmt: skip
    else:
        await bot.send_document(job.chat_id, file, **common)


def caption(registry: Registry, job: Job) -> str:
    """The results' caption: "Done…", or before a chain's last step, what comes next (or
    while the job runs, that the rest is coming: a song's first track)."""
    if job.state is JobState.SUBMITTED:
        return texts.early_caption(output_kind(registry, job))
    following = next_output_kind(registry, job)
    if following is None:
        return texts.done(output_kind(registry, job), capability_of(registry, job))
    return texts.preview_caption(following)


def _common(job: Job, caption: str, markup: InlineKeyboardMarkup | None) -> dict[str, Any]:
    """Every result is captioned, replies to the user's message, carries its buttons, and
    comes before status edits."""
    return {
        "caption": caption,
        "reply_parameters": reply_to(job),
        "reply_markup": markup,
        "rate_limit_args": SendPriority.RESULT,
    }


async def _read(item: Ready) -> io.BytesIO:
    """The one copy in memory, read off the event loop. BytesIO shares it rather than copying."""
    return io.BytesIO(await asyncio.to_thread(item.media.path.read_bytes))


def _streamed(content: io.BytesIO, name: str, *, attach: bool = False) -> InputFile:
    """An upload httpx reads in 64 KiB pieces (from 0 again on a retry). Handed the bytes
    whole, h11 would join them into a second copy and the socket buffer would hold a third.
    An album's files are `attach`ed: its media list names them."""
    return InputFile(content, filename=name, attach=attach, read_file_handle=False)
