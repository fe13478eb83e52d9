"""The sandbox's PNG codec and sample pictures."""

from __future__ import annotations

import struct
import zlib

import pytest

from bot.media.sniff import sniff
from bot.sandbox import png
from bot.sandbox.samples import mirrored_and_tinted, pattern, prompt_colour, sample_image

IMAGE = png.RgbImage(3, 2, (bytes(range(0, 9)), bytes(range(100, 109))))


def _png(width: int, height: int, colour: int, raw: bytes, depth: int = 8) -> bytes:
    """A PNG built by hand from already-filtered rows."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (png.SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))  # fmt: skip


def test_what_it_writes_it_reads_back_and_the_bot_sees_a_png() -> None:
    data = png.encode(IMAGE)
    assert png.decode(data, max_pixels=100) == IMAGE
    info = sniff(data)
    assert info is not None and (info.mime_type, info.width, info.height) == ("image/png", 3, 2)


@pytest.mark.parametrize("kind", [1, 2, 3, 4])
def test_every_filter_of_rgba_rows_is_undone(kind: int) -> None:
    # Two RGBA pixels a row; each row's bytes are the filtered form of the rows below.
    rows = [bytes([10, 20, 30, 255, 40, 50, 60, 255]), bytes([70, 80, 90, 255, 15, 25, 35, 255])]
    raw = b""
    above = bytes(8)
    for row in rows:
        filtered = bytearray(8)
        for i in range(8):
            left = row[i - 4] if i >= 4 else 0
            up_left = above[i - 4] if i >= 4 else 0
            predictor = {1: left, 2: above[i], 3: (left + above[i]) // 2,
                         4: _paeth(left, above[i], up_left)}[kind]  # fmt: skip
            filtered[i] = (row[i] - predictor) & 0xFF
        raw += bytes([kind]) + bytes(filtered)
        above = row
    decoded = png.decode(_png(2, 2, 6, raw), max_pixels=10)
    assert decoded.rows == (bytes([10, 20, 30, 40, 50, 60]), bytes([70, 80, 90, 15, 25, 35]))


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    return min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0 a JPEG",
        _png(2, 2, 3, b"\x00\x00\x00" * 2),  # palette
        _png(2, 2, 2, b"\x00" + bytes(12), depth=16),
        _png(2000, 2000, 2, b""),  # too many pixels
        _png(2, 2, 2, b"\x00\x01"),  # too short
    ],
)
def test_anything_else_is_refused(data: bytes) -> None:
    with pytest.raises(png.PngUnsupported):
        png.decode(data, max_pixels=1_000_000)


def test_a_png_photo_comes_back_mirrored_and_tinted() -> None:
    tinted = mirrored_and_tinted(IMAGE, (255, 0, 0))
    # The first pixel is the old last one (6, 7, 8), moved 35% of the way to red.
    assert tinted.rows[0][:3] == bytes([round(6 * 0.65 + 255 * 0.35), 5, 5])
    assert png.decode(sample_image(png.encode(IMAGE), "x"), max_pixels=10) == mirrored_and_tinted(
        IMAGE, prompt_colour("x")
    )


def test_other_inputs_get_a_pattern_that_depends_on_prompt_and_input() -> None:
    jpeg = b"\xff\xd8\xff\xe0 some jpeg"
    first, second, third = (sample_image(jpeg, "a cat"), sample_image(jpeg, "a dog"),
                            sample_image(None, "a cat"))  # fmt: skip
    assert len({first, second, third}) == 3
    image = png.decode(first, max_pixels=10**6)
    assert (image.width, image.height) == (480, 480)
    assert png.decode(png.encode(pattern(b"12345678", 16)), max_pixels=256).width == 16
