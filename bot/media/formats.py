"""Recognise the image formats the providers accept as input, from the file's first bytes."""

from __future__ import annotations

from dataclasses import dataclass

# Image formats the photo models accept; anything else is refused before a job starts.
ACCEPTED_MIME_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


@dataclass(frozen=True, slots=True)
class ImageFormat:
    mime_type: str
    extension: str


JPEG = ImageFormat("image/jpeg", "jpg")
PNG = ImageFormat("image/png", "png")
WEBP = ImageFormat("image/webp", "webp")


def sniff_image(data: bytes) -> ImageFormat | None:
    """The accepted format these bytes are in, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None
