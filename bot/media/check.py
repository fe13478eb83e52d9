"""Whether a downloaded result is what the job produces, and how Telegram should receive it."""

from __future__ import annotations

from enum import StrEnum

from bot.constants import TELEGRAM_PHOTO_MAX_BYTES, TELEGRAM_UPLOAD_MAX_BYTES
from bot.errors import MediaMismatch
from bot.media.kinds import MediaKind
from bot.media.sniff import MediaInfo

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


def send_as(info: MediaInfo | None, size: int, expected: MediaKind) -> SendAs:
    """How to send a result of the expected kind; raises MediaMismatch when it is not one."""
    if info is None:
        raise MediaMismatch(f"expected {expected}, got an unrecognised file")
    if info.kind is not expected:
        raise MediaMismatch(f"expected {expected}, got {info.mime_type}")
    if info.kind is MediaKind.IMAGE:
        how = _image(info, size)
    else:
        how = SendAs.VIDEO if info.kind is MediaKind.VIDEO else SendAs.AUDIO
    return SendAs.LINK if size > TELEGRAM_UPLOAD_MAX_BYTES else how


def _image(info: MediaInfo, size: int) -> SendAs:
    width, height = info.width, info.height
    if not width or not height:
        raise MediaMismatch(f"{info.mime_type} without readable dimensions")
    if width * height > MAX_IMAGE_PIXELS:
        raise MediaMismatch(f"{info.mime_type} of {width}x{height} is over the pixel cap")
    fits_photo = (
        size <= TELEGRAM_PHOTO_MAX_BYTES
        and width + height <= PHOTO_MAX_SIDES_SUM
        and max(width, height) <= PHOTO_MAX_RATIO * min(width, height)
    )
    return SendAs.PHOTO if fits_photo else SendAs.DOCUMENT
