"""A result is checked against what the job produces, then sent as a photo, a document, a
video, a track, or (over Telegram's upload limit) a link."""

from __future__ import annotations

import pytest

from bot.constants import TELEGRAM_PHOTO_MAX_BYTES, TELEGRAM_UPLOAD_MAX_BYTES
from bot.errors import MediaMismatch
from bot.media.check import KIND_SNIFF_BYTES, MAX_IMAGE_PIXELS, SendAs, check_head, send_as
from bot.media.sniff import SNIFF_BYTES, MediaInfo, MediaKind
from tests.images import mp4, png

IMAGE, VIDEO, AUDIO = MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO
KB = 1024


def image(width: int | None, height: int | None, mime: str = "image/png") -> MediaInfo:
    return MediaInfo(IMAGE, mime, mime.removeprefix("image/"), width, height)


@pytest.mark.parametrize(
    ("info", "size", "expected"),
    [
        (image(1024, 1024), 900 * KB, SendAs.PHOTO),
        (image(5000, 5000, "image/jpeg"), 9_000 * KB, SendAs.PHOTO),  # sides sum at the limit
        (image(5001, 5000), 900 * KB, SendAs.DOCUMENT),  # sides sum over 10000
        (image(12_000, 300), 900 * KB, SendAs.DOCUMENT),
        (image(4000, 200), 900 * KB, SendAs.PHOTO),  # ratio 20: still a photo
        (image(4001, 200), 900 * KB, SendAs.DOCUMENT),  # ratio over 20
        (image(200, 4001), 900 * KB, SendAs.DOCUMENT),  # either way round
        (image(3000, 3000), TELEGRAM_PHOTO_MAX_BYTES, SendAs.PHOTO),
        (image(3000, 3000), TELEGRAM_PHOTO_MAX_BYTES + 1, SendAs.DOCUMENT),
        (image(MAX_IMAGE_PIXELS, 1), 900 * KB, SendAs.DOCUMENT),  # at the pixel cap
        (image(320, 200, "image/gif"), 100 * KB, SendAs.PHOTO),
        (MediaInfo(VIDEO, "video/mp4", "mp4"), 30_000 * KB, SendAs.VIDEO),
        (MediaInfo(AUDIO, "audio/mpeg", "mp3"), 5_000 * KB, SendAs.AUDIO),
        (MediaInfo(VIDEO, "video/mp4", "mp4"), TELEGRAM_UPLOAD_MAX_BYTES, SendAs.VIDEO),
        (MediaInfo(VIDEO, "video/mp4", "mp4"), TELEGRAM_UPLOAD_MAX_BYTES + 1, SendAs.LINK),
        (MediaInfo(AUDIO, "audio/wav", "wav"), TELEGRAM_UPLOAD_MAX_BYTES + 1, SendAs.LINK),
        (image(3000, 3000), TELEGRAM_UPLOAD_MAX_BYTES + 1, SendAs.LINK),
    ],
    ids=[
        "small-photo", "sides-at-limit", "sides-over-limit", "panorama", "ratio-at-limit",
        "ratio-over-limit", "tall", "bytes-at-limit", "bytes-over-limit", "pixels-at-cap", "gif",
        "video", "audio", "video-at-upload-limit", "video-over-upload-limit",
        "audio-over-upload-limit", "image-over-upload-limit",
    ],
)  # fmt: skip
def test_how_a_result_goes_out(info: MediaInfo, size: int, expected: SendAs) -> None:
    assert send_as(info, size, info.kind) == expected


@pytest.mark.parametrize(
    ("info", "expected_kind", "reason"),
    [
        (None, IMAGE, "unrecognised"),
        (MediaInfo(VIDEO, "video/mp4", "mp4"), IMAGE, "video/mp4"),
        (MediaInfo(AUDIO, "audio/mpeg", "mp3"), IMAGE, "audio/mpeg"),
        (image(640, 480), VIDEO, "image/png"),
        (image(None, None), IMAGE, "without readable dimensions"),
        (image(0, 480), IMAGE, "without readable dimensions"),
        (image(20_000, 20_000), IMAGE, "pixel cap"),
        (image(MAX_IMAGE_PIXELS + 1, 1), IMAGE, "pixel cap"),
        (MediaInfo(AUDIO, "audio/mpeg", "mp3"), VIDEO, "audio/mpeg"),
        (MediaInfo(IMAGE, "image/heic", "heic"), IMAGE, "without readable dimensions"),
    ],
    ids=[
        "unrecognised", "video-for-image", "audio-for-image", "image-for-video", "no-dimensions",
        "zero-width", "bomb", "one-pixel-over-cap", "audio-for-video", "heic",
    ],
)  # fmt: skip
def test_what_the_job_does_not_produce_is_a_mismatch(
    info: MediaInfo | None, expected_kind: MediaKind, reason: str
) -> None:
    with pytest.raises(MediaMismatch, match=reason) as refused:
        send_as(info, 1000, expected_kind)
    with pytest.raises(MediaMismatch, match=reason):  # a link is no way round the check
        send_as(info, TELEGRAM_UPLOAD_MAX_BYTES + 1, expected_kind)

    assert not refused.value.transient


# -- a download's first bytes: abandoned at once when they cannot be the job's kind ----------

PAGE_HEAD = b"<!doctype html><html><body>" + b" " * 100


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PAGE_HEAD, VIDEO),
        (PAGE_HEAD, IMAGE),
        (b'{"error": "not found"}' + b" " * 100, IMAGE),
        (b"\x89PNX\r\n\x1a\n" + bytes(100), IMAGE),  # a "PNG" whose header is garbage
        (png(16, 16) + bytes(100), VIDEO),
        (mp4(320, 240, 2.0), IMAGE),
    ],
    ids=["html-for-video", "html-for-image", "json-for-image", "garbage-png", "png-for-video",
         "mp4-for-image"],
)  # fmt: skip
def test_first_bytes_of_another_kind_are_a_mismatch(head: bytes, expected: MediaKind) -> None:
    with pytest.raises(MediaMismatch):
        check_head(head, expected)


def test_the_kind_waits_for_enough_bytes_and_a_video_is_settled_by_them() -> None:
    video = mp4(320, 240, 2.0)
    assert check_head(PAGE_HEAD[: KIND_SNIFF_BYTES - 1], VIDEO) is False  # not yet told
    assert check_head(video[:KIND_SNIFF_BYTES], VIDEO) is True


def test_an_image_is_settled_by_its_header_once_the_whole_head_is_in() -> None:
    head = png(64, 64)[:KIND_SNIFF_BYTES]
    assert check_head(head, IMAGE) is False  # the right kind; its header is read later
    assert check_head(png(64, 64) + bytes(SNIFF_BYTES), IMAGE) is True
    bomb = png(20_000, 20_000, pixels=False) + bytes(SNIFF_BYTES)
    with pytest.raises(MediaMismatch):
        check_head(bomb, IMAGE)
