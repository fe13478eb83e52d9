"""How a job's downloaded results go out: which Bot API call carries each, and with what.

Pure: no I/O. Images Telegram takes as photos go as one album when a job has 2-10 of them;
every other result goes on its own, in the job's order (an album where its first image was).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.constants import AUDIO_COVER_MAX_BYTES
from bot.jobs.record import Job
from bot.media.check import SendAs
from bot.media.fetch import FetchedMedia
from bot.providers.base import ResultMedia

ALBUM_MIN_ITEMS = 2
ALBUM_MAX_ITEMS = 10  # Telegram's sendMediaGroup limit
TITLE_MAX_CHARS = 64  # what a music player shows of a title; Telegram accepts more


@dataclass(frozen=True, slots=True)
class Ready:
    """One result downloaded and checked: its file on disk, and how it goes out."""

    index: int
    result: ResultMedia
    media: FetchedMedia
    how: SendAs

    @property
    def number(self) -> int:
        """How logs and file names count results: from 1."""
        return self.index + 1


@dataclass(frozen=True, slots=True)
class Album:
    """Photos sent together in one sendMediaGroup call."""

    items: tuple[Ready, ...]


Send = Album | Ready


@dataclass(frozen=True, slots=True)
class Details:
    """What Telegram shows with a video or a track; None where nobody said."""

    duration_s: int | None = None
    width: int | None = None
    height: int | None = None
    title: str | None = None


def plan(ready: Sequence[Ready]) -> list[Send]:
    """The calls that send these results, in order."""
    albums = _albums([item for item in ready if item.how is SendAs.PHOTO])
    starts = {album.items[0].index: album for album in albums}
    grouped = {item.index for album in albums for item in album.items}
    sends: list[Send] = []
    for item in ready:
        if item.index in starts:
            sends.append(starts[item.index])
        elif item.index not in grouped:
            sends.append(item)
    return sends


def _albums(photos: list[Ready]) -> list[Album]:
    chunks = [photos[i : i + ALBUM_MAX_ITEMS] for i in range(0, len(photos), ALBUM_MAX_ITEMS)]
    return [Album(tuple(chunk)) for chunk in chunks if len(chunk) >= ALBUM_MIN_ITEMS]


def details(item: Ready) -> Details:
    """Length from the provider, else from the file's header; picture size from the header."""
    info = item.media.info
    seconds = item.result.duration_s or (info.duration_s if info else None)
    return Details(
        duration_s=max(1, round(seconds)) if seconds else None,
        width=info.width if info and info.width and info.height else None,
        height=info.height if info and info.width and info.height else None,
        title=item.result.title[:TITLE_MAX_CHARS] or None,
    )


def cover_usable(cover: FetchedMedia) -> bool:
    """Telegram takes a track's thumbnail only as a JPEG under 200 kB."""
    jpeg = cover.info is not None and cover.info.mime_type == "image/jpeg"
    return jpeg and 0 < cover.size <= AUDIO_COVER_MAX_BYTES


def filename(job: Job, item: Ready) -> str:
    extension = item.media.info.extension if item.media.info else "bin"
    return f"photobot-{job.id[:8]}-{item.number}.{extension}"
