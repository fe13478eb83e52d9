"""Uploading one downloaded result to the job's chat, from its file on disk."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

from telegram import InputFile
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot import texts
from bot.flood import SendPriority
from bot.jobs.model import Job
from bot.jobs.notices import reply_to
from bot.media.check import SendAs
from bot.media.fetch import FetchedMedia

log = logging.getLogger(__name__)


async def upload(bot: ExtBot[int], job: Job, media: FetchedMedia, how: SendAs, index: int) -> None:
    """Send the file as `how`; a photo Telegram refuses goes again as a document."""
    # The one copy in memory, read off the event loop. BytesIO shares it rather than copying.
    content = io.BytesIO(await asyncio.to_thread(media.path.read_bytes))
    try:
        await _send(bot, job, content, how, filename(job, media, index))
    finally:
        # httpx keeps each request in a reference cycle (a response and its stream) until the
        # garbage collector runs; closing lets the bytes go now, not some uploads later.
        content.close()


async def _send(bot: ExtBot[int], job: Job, content: io.BytesIO, how: SendAs, name: str) -> None:
    common: dict[str, Any] = {
        "caption": texts.DONE,
        "reply_parameters": reply_to(job),
        "rate_limit_args": SendPriority.RESULT,
    }
    if how is SendAs.PHOTO:
        try:
            await bot.send_photo(job.chat_id, _streamed(content, name), **common)
            return
        except BadRequest as exc:
            log.info("job %s: photo refused (%s), sending as a file", job.id, exc)
            how = SendAs.DOCUMENT
    file = _streamed(content, name)
    if how is SendAs.VIDEO:
        await bot.send_video(job.chat_id, file, **common)
    elif how is SendAs.AUDIO:
        await bot.send_audio(job.chat_id, file, **common)
    else:
        await bot.send_document(job.chat_id, file, **common)


def _streamed(content: io.BytesIO, name: str) -> InputFile:
    """An upload httpx reads in 64 KiB pieces (from 0 again on a retry). Handed the bytes
    whole, h11 would join them into a second copy and the socket buffer would hold a third."""
    return InputFile(content, filename=name, read_file_handle=False)


def filename(job: Job, media: FetchedMedia, index: int) -> str:
    extension = media.info.extension if media.info else "bin"
    return f"photobot-{job.id[:8]}-{index + 1}.{extension}"
