"""The sniffer names a file from hand-built headers; nothing is ever decoded."""

from __future__ import annotations

import struct

import pytest

from bot.media.sniff import SNIFF_BYTES, MediaInfo, MediaKind, sniff
from tests.images import png, png_chunk

IMAGE, VIDEO, AUDIO = MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO


def riff(form: bytes, payload: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", 4 + len(payload)) + form + payload


def webp_lossy(width: int, height: int) -> bytes:
    frame = b"\x30\x01\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + bytes(10)
    return riff(b"WEBP", b"VP8 " + struct.pack("<I", len(frame)) + frame)


def webp_lossless(width: int, height: int) -> bytes:
    bits = (width - 1) | (height - 1) << 14
    frame = b"\x2f" + bits.to_bytes(4, "little") + bytes(8)
    return riff(b"WEBP", b"VP8L" + struct.pack("<I", len(frame)) + frame)


def webp_extended(width: int, height: int) -> bytes:
    canvas = bytes(4) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return riff(b"WEBP", b"VP8X" + struct.pack("<I", len(canvas)) + canvas)


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(*segments: bytes, sof: int = 0xC0, width: int = 640, height: int = 480) -> bytes:
    frame = segment(sof, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    return b"\xff\xd8" + b"".join(segments) + frame + b"\xff\xd9"


def ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + bytes(4) + brand + b"isom"


JFIF = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
EXIF = segment(0xE1, b"Exif\x00\x00" + bytes(60_000))
DHT = segment(0xC4, bytes(30))  # a Huffman table: a C-range marker that is not a frame


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(3, 2), MediaInfo(IMAGE, "image/png", "png", 3, 2)),
        (png(1, 1), MediaInfo(IMAGE, "image/png", "png", 1, 1)),
        (jpeg(JFIF), MediaInfo(IMAGE, "image/jpeg", "jpg", 640, 480)),
        (jpeg(JFIF, EXIF, DHT, width=4000, height=3000),
         MediaInfo(IMAGE, "image/jpeg", "jpg", 4000, 3000)),
        (jpeg(JFIF, sof=0xC2, width=10, height=20),  # progressive
         MediaInfo(IMAGE, "image/jpeg", "jpg", 10, 20)),
        (b"\xff\xd8\xff\xff" + jpeg(JFIF)[2:],  # fill bytes before a marker
         MediaInfo(IMAGE, "image/jpeg", "jpg", 640, 480)),
        (b"GIF89a" + struct.pack("<HH", 320, 200) + bytes(8),
         MediaInfo(IMAGE, "image/gif", "gif", 320, 200)),
        (webp_lossy(800, 600), MediaInfo(IMAGE, "image/webp", "webp", 800, 600)),
        (webp_lossless(16383, 2), MediaInfo(IMAGE, "image/webp", "webp", 16383, 2)),
        (webp_extended(16_777_216, 5), MediaInfo(IMAGE, "image/webp", "webp", 16_777_216, 5)),
        (ftyp(b"heic"), MediaInfo(IMAGE, "image/heic", "heic")),
        (ftyp(b"avif"), MediaInfo(IMAGE, "image/avif", "avif")),
        (ftyp(b"isom"), MediaInfo(VIDEO, "video/mp4", "mp4")),
        (ftyp(b"mp42"), MediaInfo(VIDEO, "video/mp4", "mp4")),
        (ftyp(b"qt  "), MediaInfo(VIDEO, "video/quicktime", "mov")),
        (ftyp(b"M4A "), MediaInfo(AUDIO, "audio/mp4", "m4a")),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm", MediaInfo(VIDEO, "video/webm", "webm")),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", MediaInfo(VIDEO, "video/x-matroska", "mkv")),
        (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis", MediaInfo(AUDIO, "audio/ogg", "ogg")),
        (b"OggS\x00\x02" + bytes(22) + b"\x80theora", MediaInfo(VIDEO, "video/ogg", "ogv")),
        (riff(b"WAVE", b"fmt " + bytes(20)), MediaInfo(AUDIO, "audio/wav", "wav")),
        (b"ID3\x04\x00\x00" + bytes(10), MediaInfo(AUDIO, "audio/mpeg", "mp3")),
        (b"\xff\xfb\x90\x64" + bytes(10), MediaInfo(AUDIO, "audio/mpeg", "mp3")),
        (b"\xff\xf1\x50\x80" + bytes(10), MediaInfo(AUDIO, "audio/aac", "aac")),
        (b"fLaC\x00\x00\x00\x22", MediaInfo(AUDIO, "audio/flac", "flac")),
    ],
    ids=[
        "png", "png-1x1", "jpeg", "jpeg-exif-dht-before-frame", "jpeg-progressive",
        "jpeg-fill-bytes", "gif", "webp-lossy", "webp-lossless", "webp-extended", "heic", "avif",
        "mp4-isom", "mp4-mp42", "mov", "m4a", "webm", "mkv", "ogg-vorbis", "ogg-theora", "wav",
        "mp3-id3", "mp3-frame", "aac-adts", "flac",
    ],
)  # fmt: skip
def test_known_formats(data: bytes, expected: MediaInfo) -> None:
    assert sniff(data) == expected


def test_a_decompression_bomb_is_measured_from_its_header_alone() -> None:
    bomb = png(20_000, 20_000, pixels=False)

    info = sniff(bomb)

    assert len(bomb) < 300  # what was read: the signature and IHDR, nothing else
    assert info == MediaInfo(IMAGE, "image/png", "png", 20_000, 20_000)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n",  # signature only
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"tEXt", b"no header first"),
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # cut before any frame header
        b"\xff\xd8" + JFIF + segment(0xDA, bytes(10)) + b"\xff\xd9",  # scan before a frame
        b"\xff\xd8" + JFIF + b"\x00\x00garbage",  # lost sync
        b"\xff\xd8\xff\xe0\x00\x01",  # impossible segment length
        riff(b"WEBP", b"VP8 " + bytes(8)),  # no start code
        b"GIF89a",
    ],
    ids=[
        "png-signature-only", "png-no-ihdr", "jpeg-truncated", "jpeg-scan-first",
        "jpeg-lost-sync", "jpeg-bad-length", "webp-no-start-code", "gif-truncated",
    ],
)  # fmt: skip
def test_images_whose_header_cannot_be_read_have_no_dimensions(data: bytes) -> None:
    info = sniff(data)

    assert info is not None and info.kind is IMAGE
    assert (info.width, info.height) == (None, None)


def test_a_frame_header_past_the_sniffed_bytes_leaves_dimensions_unknown() -> None:
    padding = [segment(0xEF, bytes(65_000))] * (SNIFF_BYTES // 65_000 + 1)
    head = jpeg(JFIF, *padding)[:SNIFF_BYTES]

    info = sniff(head)

    assert info == MediaInfo(IMAGE, "image/jpeg", "jpg")


@pytest.mark.parametrize(
    "data",
    [
        b"<!doctype html><html><body>oops</body></html>",
        b"<html>" + png(1, 1),
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"/>',
        b"quota exceeded\n",
        b'{"error": "not found"}',
        b"%PDF-1.7\n",
        b"PK\x03\x04",
        b"RIFF\x00\x00\x00\x00AVI ",
        b"",
    ],
    ids=["html", "html-then-png", "svg-script", "svg", "text", "json", "pdf", "zip", "avi",
         "empty"],
)  # fmt: skip
def test_anything_else_is_not_recognised(data: bytes) -> None:
    assert sniff(data) is None
