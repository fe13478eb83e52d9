"""Recognise a result file from its first bytes: its kind, format and, for images, dimensions.

Pure: bytes in, a small record out. Image dimensions come from the header alone (PNG IHDR,
JPEG SOFn, WebP VP8/VP8L/VP8X, GIF screen descriptor), so a 20000x20000 bomb costs nothing; an
MP4's length and picture size come from its moov box when that comes first.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from bot.media.kinds import MediaKind
from bot.media.mp4 import movie_header

# Enough for JPEG files whose EXIF and ICC segments come before the frame header.
SNIFF_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What the bytes are; width, height and length only where a header could be read."""

    kind: MediaKind
    mime_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None  # movies and M4A audio whose moov box was in reach


def sniff(head: bytes) -> MediaInfo | None:
    """The media these bytes start, or None (HTML, text, SVG, archives, unknown)."""
    for probe in _PROBES:
        info = probe(head)
        if info is not None:
            return info
    return None


def _png(head: bytes) -> MediaInfo | None:
    if not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    if len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return MediaInfo(MediaKind.IMAGE, "image/png", "png", width, height)
    return MediaInfo(MediaKind.IMAGE, "image/png", "png")


def _jpeg(head: bytes) -> MediaInfo | None:
    if not head.startswith(b"\xff\xd8\xff"):
        return None
    size = _jpeg_size(head)
    width, height = size if size else (None, None)
    return MediaInfo(MediaKind.IMAGE, "image/jpeg", "jpg", width, height)


# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """Walk the segments after SOI up to the first frame header."""
    pos = 2
    while pos + 4 <= len(head):
        if head[pos] != 0xFF:
            return None  # not at a marker: corrupt
        marker = head[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE_MARKERS:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image or scan data before any frame header
            return None
        length = int.from_bytes(head[pos + 2 : pos + 4], "big")
        if marker in _SOF_MARKERS:
            if pos + 9 > len(head):
                return None
            height, width = struct.unpack(">HH", head[pos + 5 : pos + 9])
            return width, height
        if length < 2:
            return None
        pos += 2 + length
    return None


def _gif(head: bytes) -> MediaInfo | None:
    if head[:6] not in (b"GIF87a", b"GIF89a"):
        return None
    if len(head) < 10:
        return MediaInfo(MediaKind.IMAGE, "image/gif", "gif")
    width, height = struct.unpack("<HH", head[6:10])
    return MediaInfo(MediaKind.IMAGE, "image/gif", "gif", width, height)


def _riff(head: bytes) -> MediaInfo | None:
    if len(head) < 12 or head[:4] != b"RIFF":
        return None
    if head[8:12] == b"WAVE":
        return MediaInfo(MediaKind.AUDIO, "audio/wav", "wav")
    if head[8:12] != b"WEBP":
        return None
    size = _webp_size(head)
    width, height = size if size else (None, None)
    return MediaInfo(MediaKind.IMAGE, "image/webp", "webp", width, height)


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Lossy (VP8 frame header), lossless (VP8L bit fields) or extended (VP8X canvas)."""
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    return None


# ISO base media brands that are still images (HEIF, AVIF), not movies.
_IMAGE_BRANDS = {
    b"heic": "image/heic", b"heix": "image/heic", b"hevc": "image/heic", b"heim": "image/heic",
    b"heis": "image/heic", b"mif1": "image/heif", b"msf1": "image/heif", b"avif": "image/avif",
    b"avis": "image/avif",
}  # fmt: skip
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P "})


def _iso_media(head: bytes) -> MediaInfo | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand in _IMAGE_BRANDS:
        mime = _IMAGE_BRANDS[brand]
        return MediaInfo(MediaKind.IMAGE, mime, mime.removeprefix("image/"))
    header = movie_header(head)
    duration = header.duration_s if header else None
    if brand in _AUDIO_BRANDS:
        return MediaInfo(MediaKind.AUDIO, "audio/mp4", "m4a", duration_s=duration)
    width, height = (header.width, header.height) if header else (None, None)
    if brand == b"qt  ":
        return MediaInfo(MediaKind.VIDEO, "video/quicktime", "mov", width, height, duration)
    return MediaInfo(MediaKind.VIDEO, "video/mp4", "mp4", width, height, duration)


def _matroska(head: bytes) -> MediaInfo | None:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    if b"webm" in head[:64]:
        return MediaInfo(MediaKind.VIDEO, "video/webm", "webm")
    return MediaInfo(MediaKind.VIDEO, "video/x-matroska", "mkv")


def _ogg(head: bytes) -> MediaInfo | None:
    if not head.startswith(b"OggS"):
        return None
    if b"\x80theora" in head[:64]:
        return MediaInfo(MediaKind.VIDEO, "video/ogg", "ogv")
    return MediaInfo(MediaKind.AUDIO, "audio/ogg", "ogg")


def _mpeg_audio(head: bytes) -> MediaInfo | None:
    if head.startswith(b"ID3"):
        return MediaInfo(MediaKind.AUDIO, "audio/mpeg", "mp3")
    if head.startswith(b"fLaC"):
        return MediaInfo(MediaKind.AUDIO, "audio/flac", "flac")
    if len(head) < 2 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None  # no frame sync
    if head[1] & 0x06 == 0:  # layer bits 00: an ADTS (AAC) header, not MPEG audio
        return MediaInfo(MediaKind.AUDIO, "audio/aac", "aac")
    return MediaInfo(MediaKind.AUDIO, "audio/mpeg", "mp3")


_PROBES: tuple[Callable[[bytes], MediaInfo | None], ...] = (
    _png,
    _jpeg,
    _gif,
    _riff,
    _iso_media,
    _matroska,
    _ogg,
    _mpeg_audio,
)
