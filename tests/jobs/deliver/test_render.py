"""How results go out, decided without I/O: albums, single sends, and what each one shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.jobs.deliver.render import (
    Album,
    Details,
    Ready,
    Send,
    cover_usable,
    details,
    filename,
    plan,
)
from bot.jobs.record import Job
from bot.media.check import SendAs
from bot.media.fetch import FetchedMedia
from bot.media.sniff import MediaInfo, MediaKind
from bot.providers.base import ResultMedia

PNG = MediaInfo(MediaKind.IMAGE, "image/png", "png", 64, 64)
MP4 = MediaInfo(MediaKind.VIDEO, "video/mp4", "mp4", 720, 1280, 8.4)
MP3 = MediaInfo(MediaKind.AUDIO, "audio/mpeg", "mp3")
PHOTO, DOCUMENT, VIDEO, AUDIO, LINK = (
    SendAs.PHOTO, SendAs.DOCUMENT, SendAs.VIDEO, SendAs.AUDIO, SendAs.LINK,
)  # fmt: skip


def ready(
    index: int, how: SendAs = PHOTO, info: MediaInfo | None = PNG, *, title: str = "",
    duration_s: float | None = None,
) -> Ready:  # fmt: skip
    media = FetchedMedia(Path(f"/tmp/r{index}"), 1000, info, "")
    result = ResultMedia(f"u{index}", title=title, duration_s=duration_s)
    return Ready(index, result, media, how)


def shape(sends: list[Send]) -> list[object]:
    """Each send as an index, or a list of indexes for an album."""
    return [[i.index for i in s.items] if isinstance(s, Album) else s.index for s in sends]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([ready(0)], [0]),
        ([ready(0), ready(1)], [[0, 1]]),
        ([ready(n) for n in range(10)], [list(range(10))]),
        ([ready(n) for n in range(11)], [list(range(10)), 10]),
        ([ready(n) for n in range(12)], [list(range(10)), [10, 11]]),
        ([ready(0, DOCUMENT), ready(1), ready(2)], [0, [1, 2]]),
        ([ready(0), ready(1, DOCUMENT), ready(2)], [[0, 2], 1]),
        ([ready(0), ready(1, DOCUMENT)], [0, 1]),
        ([ready(0, VIDEO, MP4), ready(1, VIDEO, MP4)], [0, 1]),
        ([ready(0, AUDIO, MP3), ready(1, LINK, MP3)], [0, 1]),
        ([ready(3), ready(5)], [[3, 5]]),  # results already sent leave gaps
        ([], []),
    ],
    ids=[
        "one-photo", "two-photos", "ten-photos", "eleven", "twelve", "document-first",
        "document-between", "photo-and-document", "videos", "track-and-link", "gaps", "nothing",
    ],
)  # fmt: skip
def test_photos_go_together_and_the_rest_one_by_one(
    items: list[Ready], expected: list[object]
) -> None:
    assert shape(plan(items)) == expected


def test_a_video_shows_the_providers_length_else_the_headers() -> None:
    assert details(ready(0, VIDEO, MP4)) == Details(8, 720, 1280)
    assert details(ready(0, VIDEO, MP4, duration_s=10.0)) == Details(10, 720, 1280)
    assert details(ready(0, VIDEO, MediaInfo(MediaKind.VIDEO, "video/webm", "webm"))) == Details()
    assert details(ready(0, VIDEO, MediaInfo(MediaKind.VIDEO, "video/mp4", "mp4", 720))) == (
        Details()  # a width without a height is no size
    )
    assert details(ready(0, VIDEO, MP4, duration_s=0.2)).duration_s == 1  # never 0 seconds


def test_a_track_shows_its_title_and_length() -> None:
    item = ready(0, AUDIO, MP3, title="Rain on Tin " * 10, duration_s=183.6)

    about = details(item)

    assert about.duration_s == 184
    assert about.title == ("Rain on Tin " * 10)[:64]
    assert details(ready(0, AUDIO, MP3)).title is None


@pytest.mark.parametrize(
    ("info", "size", "usable"),
    [
        (MediaInfo(MediaKind.IMAGE, "image/jpeg", "jpg", 300, 300), 50_000, True),
        (MediaInfo(MediaKind.IMAGE, "image/jpeg", "jpg", 300, 300), 200 * 1024, True),
        (MediaInfo(MediaKind.IMAGE, "image/jpeg", "jpg", 300, 300), 200 * 1024 + 1, False),
        (PNG, 50_000, False),
        (None, 50_000, False),
        (MediaInfo(MediaKind.IMAGE, "image/jpeg", "jpg"), 0, False),
    ],
    ids=["small-jpeg", "at-limit", "over-limit", "png", "not-an-image", "empty"],
)
def test_a_cover_is_a_thumbnail_only_as_a_small_jpeg(
    info: MediaInfo | None, size: int, usable: bool
) -> None:
    assert cover_usable(FetchedMedia(Path("/tmp/c"), size, info, "")) is usable


def test_file_names_count_from_one_with_the_real_extension() -> None:
    job = Job("0123456789abcdef", 1, 1, "p", "m")

    assert filename(job, ready(0, VIDEO, MP4)) == "photobot-01234567-1.mp4"
    assert filename(job, ready(2, DOCUMENT, None)) == "photobot-01234567-3.bin"
