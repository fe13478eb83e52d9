"""A result too big for Telegram: copied to Photobot's storage and sent as a link that expires."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup, LinkPreviewOptions
from telegram.ext import ExtBot

from bot import texts
from bot.constants import RESULT_LINK_TTL_S
from bot.flood import SendPriority
from bot.jobs.background.notices import reply_to
from bot.jobs.deliver.keep import result_key
from bot.jobs.deliver.render import Ready
from bot.jobs.record import Job
from bot.locales import day_and_time
from bot.storage import Storage

MB = 1024 * 1024
# A preview would have Telegram fetch the whole file from our storage for nothing.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def send_link(
    bot: ExtBot[int],
    storage: Storage,
    job: Job,
    item: Ready,
    markup: InlineKeyboardMarkup | None = None,
) -> str:
    """Store the file and send its link (with the result's buttons); returns the storage key.
    StorageError when it could not be stored (the result is tried again later)."""
    key = result_key(job, item)
    content_type = item.media.info.mime_type if item.media.info else "application/octet-stream"
    await storage.put_file(key, item.media.path, content_type)
    # Taken before signing, so the time the message names is never after the link expires.
    until = time.time() + RESULT_LINK_TTL_S
    url = await storage.signed_url(key, RESULT_LINK_TTL_S)
    text = texts.result_link(round(item.media.size / MB), plain_utc(until), url)
    await bot.send_message(
        job.chat_id, text, reply_parameters=reply_to(job), link_preview_options=NO_PREVIEW,
        reply_markup=markup, rate_limit_args=SendPriority.RESULT,
    )  # fmt: skip
    return key


def plain_utc(moment: float) -> str:
    """A moment as people write it, in the reader's language: 24 Nov 2026, 06:49 UTC."""
    return f"{day_and_time(datetime.fromtimestamp(moment, UTC), year=True)} UTC"
