"""The user's files for a job: fetched from Telegram, checked for what they really are and
against the route's limits, and stored for the provider.

Inputs are handled one at a time, and each is read whole only once it is on disk, so an album
never sits in memory all at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.constants import TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import FileTooLarge, InputRejected, MediaFetchError
from bot.jobs.record import StoredMedia
from bot.jobs.start.request import InputProblem
from bot.jobs.start.routing import taking
from bot.jobs.start.sent_files import SentFile
from bot.media.fetch import FetchedMedia, FetchPolicy, MediaFetcher, discard
from bot.media.kinds import MediaKind
from bot.media.sniff import MediaInfo, sniff
from bot.models.limits import InputFile
from bot.models.spec import ModelSpec
from bot.storage import Storage

log = logging.getLogger(__name__)

INPUT_DOWNLOAD_TIMEOUT_S = 60.0
_NOT_A = {MediaKind.VIDEO: InputProblem.NOT_A_VIDEO}


def telegram_policy(file_host: str) -> FetchPolicy:
    """Downloads from the Bot API's file server: the operator's own configured host, which may
    be plain http on a private address (a local Bot API server, the sandbox, tests)."""
    return FetchPolicy(
        allowed_hosts=(file_host,),
        allow_private=True,
        max_bytes=TELEGRAM_DOWNLOAD_MAX_BYTES,
        timeout_s=INPUT_DOWNLOAD_TIMEOUT_S,
    )


class Inputs:
    """Fetches, checks and stores a job's input files."""

    def __init__(self, bot: ExtBot[int], fetcher: MediaFetcher, storage: Storage) -> None:
        self._bot = bot
        self._fetcher = fetcher  # under telegram_policy
        self._storage = storage

    async def store_all(
        self,
        job_id: str,
        files: Sequence[SentFile],
        route: list[ModelSpec],
        stored: Sequence[StoredMedia] = (),
    ) -> tuple[tuple[StoredMedia, ...], list[ModelSpec]]:
        """The stored files (those `stored` already, then `files`), and the models on the route
        that take them all (Telegram's metadata can be wrong); raises InputRejected."""
        kept = list(stored)  # already checked for what they are when they were stored
        for media in kept:
            route = taking(route, media.meta())
        for index, file in enumerate(files, start=len(kept)):
            media, route = await self._store(f"inputs/{job_id}-{index + 1}", file, route)
            kept.append(media)
        return tuple(kept), route

    async def _store(
        self, name: str, file: SentFile, route: list[ModelSpec]
    ) -> tuple[StoredMedia, list[ModelSpec]]:
        data, info = await self._fetch(file.file_id)
        if info is None or info.kind is not file.kind:
            raise InputRejected(_NOT_A.get(file.kind, InputProblem.NOT_AN_IMAGE))
        actual = InputFile(
            info.kind, info.mime_type, len(data), file.seconds, info.width, info.height
        )
        route = taking(route, actual)
        key = f"{name}.{info.extension}"
        await self._storage.put(key, data, info.mime_type)
        stored = StoredMedia(info.kind, key, info.mime_type, len(data), file.seconds,
                             info.width, info.height)  # fmt: skip
        return stored, route

    async def _fetch(self, file_id: str) -> tuple[bytes, MediaInfo | None]:
        """The file's bytes and what they are, never past Telegram's 20 MB."""
        try:
            file = await self._bot.get_file(file_id)
        except TelegramError as exc:
            log.warning("getFile failed: %s", exc)
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        if file.file_size and file.file_size > TELEGRAM_DOWNLOAD_MAX_BYTES:
            raise InputRejected(InputProblem.TOO_BIG_FOR_TELEGRAM)
        try:
            media = await self._fetcher.fetch(file.file_path or "")
        except FileTooLarge as exc:
            raise InputRejected(InputProblem.TOO_BIG_FOR_TELEGRAM) from exc
        except MediaFetchError as exc:
            log.warning("input download failed: %s", exc)  # never the URL: it holds the token
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        return await _read(media)


async def _read(media: FetchedMedia) -> tuple[bytes, MediaInfo | None]:
    """The whole file, sniffed whole (an MP4's `moov` may lie past the first bytes), then
    deleted from disk."""
    try:
        return await asyncio.to_thread(_read_and_sniff, media.path)
    finally:
        await discard(media)


def _read_and_sniff(path: Path) -> tuple[bytes, MediaInfo | None]:
    data = path.read_bytes()
    return data, sniff(data)
