"""The sandbox's sample results: pictures drawn from the input photo or the prompt, and a short
bundled video, song and cover (package data)."""

from __future__ import annotations

import hashlib
import math
from functools import cache
from importlib import resources

from bot.sandbox import png

PATTERN_SIDE_PX = 480
# Pure-Python decoding costs about a second per million pixels; bigger inputs get a pattern.
MAX_SOURCE_PIXELS = 1_000_000
TINT_SHARE = 0.35
SAMPLE_MP3_SECONDS = 6.0  # assets/sample.mp3
RING_WIDTH_PX = 28


class SampleMedia:
    """Implements the emulators' `Samples` with real, browser-playable files."""

    def image(self, source: bytes | None, prompt: str) -> tuple[bytes, str]:
        return sample_image(source, prompt), "image/png"

    def video(self) -> bytes:
        return _asset("sample.mp4")

    def audio(self) -> bytes:
        return _asset("sample.mp3")

    @property
    def audio_seconds(self) -> float:
        return SAMPLE_MP3_SECONDS

    def cover(self) -> bytes:
        return _asset("cover.jpg")


def sample_image(source: bytes | None, prompt: str) -> bytes:
    """The input mirrored and tinted by the prompt when it is a PNG the codec reads, else a
    pattern whose colours come from the prompt and the input's bytes."""
    if source:
        try:
            image = png.decode(source, max_pixels=MAX_SOURCE_PIXELS)
        except png.PngUnsupported:
            pass
        else:
            return png.encode(mirrored_and_tinted(image, prompt_colour(prompt)))
    seed = hashlib.sha256(prompt.encode() + b"\0" + (source or b"")).digest()
    return png.encode(pattern(seed, PATTERN_SIDE_PX))


def prompt_colour(prompt: str) -> tuple[int, int, int]:
    """A bright colour that stays the same for the same prompt."""
    digest = hashlib.sha256(prompt.strip().lower().encode()).digest()
    return _bright(digest[0], digest[1], digest[2])


def mirrored_and_tinted(image: png.RgbImage, tint: tuple[int, int, int]) -> png.RgbImage:
    """Left and right swapped, every pixel moved a share of the way towards `tint`."""
    tables = [_tint_table(channel) for channel in tint]
    rows = []
    for row in image.rows:
        out = bytearray(len(row))
        for channel in range(3):
            out[channel::3] = row[channel::3][::-1].translate(tables[channel])
        rows.append(bytes(out))
    return png.RgbImage(image.width, image.height, tuple(rows))


def pattern(seed: bytes, side: int) -> png.RgbImage:
    """A diagonal gradient between two colours, with lighter rings around a point."""
    start, end = _bright(*seed[0:3]), _bright(*seed[3:6])
    cx, cy = side * (0.25 + seed[6] / 510), side * (0.25 + seed[7] / 510)
    rows = []
    for y in range(side):
        row = bytearray(side * 3)
        for x in range(side):
            t = (x + y) / (2 * side)
            ring = int(math.hypot(x - cx, y - cy) / RING_WIDTH_PX) % 2
            for channel in range(3):
                value = start[channel] + (end[channel] - start[channel]) * t
                row[x * 3 + channel] = int(value + (255 - value) * 0.25 * ring)
        rows.append(bytes(row))
    return png.RgbImage(side, side, tuple(rows))


def _tint_table(target: int) -> bytes:
    return bytes(round(v * (1 - TINT_SHARE) + target * TINT_SHARE) for v in range(256))


def _bright(r: int, g: int, b: int) -> tuple[int, int, int]:
    """Stretched so the strongest channel is full and the weakest low: no muddy greys."""
    low, high = min(r, g, b), max(r, g, b)
    span = max(high - low, 1)
    return tuple(40 + (v - low) * 215 // span for v in (r, g, b))  # type: ignore[return-value]


@cache
def _asset(name: str) -> bytes:
    return (resources.files("bot.sandbox") / "assets" / name).read_bytes()
