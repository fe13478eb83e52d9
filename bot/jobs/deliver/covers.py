"""A track's cover art, fetched through the guarded fetcher to go with it as its thumbnail."""

from __future__ import annotations

import asyncio
import logging

from bot.constants import AUDIO_COVER_MAX_BYTES
from bot.errors import MediaFetchError
from bot.jobs.deliver.render import Ready, cover_usable
from bot.media.fetch import MediaFetcher, discard

log = logging.getLogger(__name__)


async def fetch_cover(fetcher: MediaFetcher, job_id: str, item: Ready) -> bytes | None:
    """The cover as Telegram takes a thumbnail (a JPEG under 200 kB), or None: a cover that
    cannot be had never holds up or fails its track."""
    if not item.result.cover_url:
        return None
    try:
        cover = await fetcher.fetch(item.result.cover_url, max_bytes=AUDIO_COVER_MAX_BYTES)
    except MediaFetchError as exc:
        # Named by number only: the URL may carry a signature.
        log.info("job %s: result %d goes without its cover: %s", job_id, item.number, exc)
        return None
    try:
        if not cover_usable(cover):
            log.info("job %s: result %d goes without its cover: not a small JPEG",
                     job_id, item.number)  # fmt: skip
            return None
        return await asyncio.to_thread(cover.path.read_bytes)
    finally:
        await discard(cover)
