"""Whether a downloaded result is what the job produces, and how Telegram should receive it."""

from __future__ import annotations

from enum import StrEnum

from bot.constants import TELEGRAM_PHOTO_MAX_BYTES, TELEGRAM_UPLOAD_MAX_BYTES
from bot.errors import MediaMismatch
from bot.media.kinds import MediaKind
from bot.media.sniff import SNIFF_BYTES, MediaInfo, sniff

# Pillow's decompression-bomb threshold (DecompressionBombWarning): an image with more pixels
# is refused outright, whatever its file size, since whoever opens it must decode it whole.
MAX_IMAGE_PIXELS = 89_478_485
# What Telegram takes through sendPhoto; other images still go out, as documents.
PHOTO_MAX_SIDES_SUM = 10_000
PHOTO_MAX_RATIO = 20


class SendAs(StrEnum):
    """The Bot API method a result goes out with."""

    PHOTO = "photo"
    DOCUMENT = "document"
    VIDEO = "video"
    AUDIO = "audio"
    LINK = "link"  # over Telegram's upload limit: a message with a link to our own copy


# Enough of a file's first bytes for every probe in bot.media.sniff to tell its kind.
KIND_SNIFF_BYTES = 64


def check_head(head: bytes, expected: MediaKind) -> bool:
    """Whether a download's first bytes settle that it may be the expected kind (no need to look
    again); raises MediaMismatch as soon as they show it cannot be, so a web page is not read
    for 80 MB. The kind is told from KIND_SNIFF_BYTES, an image's dimensions from the whole
    sniffing head; what the end of the file decides is left to `send_as`."""
    if len(head) < KIND_SNIFF_BYTES:
        return False
    info = _of_kind(sniff(head), expected)
    if info.kind is not MediaKind.IMAGE:
        return True
    if len(head) < SNIFF_BYTES:
        return False
    _check_dimensions(info)
    return True


def send_as(info: MediaInfo | None, size: int, expected: MediaKind) -> SendAs:
    """How to send a result of the expected kind; raises MediaMismatch when it is not one."""
    info = _of_kind(info, expected)
    if info.kind is MediaKind.IMAGE:
        how = _image(info, size)
    else:
        how = SendAs.VIDEO if info.kind is MediaKind.VIDEO else SendAs.AUDIO
    return SendAs.LINK if size > TELEGRAM_UPLOAD_MAX_BYTES else how


def _of_kind(info: MediaInfo | None, expected: MediaKind) -> MediaInfo:
    if info is None:
        raise MediaMismatch(f"expected {expected}, got an unrecognised file")
    if info.kind is not expected:
        raise MediaMismatch(f"expected {expected}, got {info.mime_type}")
    return info


def _check_dimensions(info: MediaInfo) -> tuple[int, int]:
    width, height = info.width, info.height
    if not width or not height:
        raise MediaMismatch(f"{info.mime_type} without readable dimensions")
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaMismatch(f"{info.mime_type} of {width}x{height} is over the pixel cap")
    return width, height


def _image(info: MediaInfo, size: int) -> SendAs:
    width, height = _check_dimensions(info)
    fits_photo = (
        size <= TELEGRAM_PHOTO_MAX_BYTES
        and width + height <= PHOTO_MAX_SIDES_SUM
        and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)
    )
    return SendAs.PHOTO if fits_photo else SendAs.DOCUMENT
