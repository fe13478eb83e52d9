"""A small pure-Python PNG codec: 8-bit RGB out, 8-bit RGB/RGBA non-interlaced in (enough for the
sandbox's sample images, without an imaging dependency)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGB, _RGBA = 2, 6
_CHANNELS = {_RGB: 3, _RGBA: 4}


class PngUnsupported(ValueError):
    """Not a PNG this codec reads (palette, 16-bit, interlaced, too big, or damaged)."""


@dataclass(frozen=True, slots=True)
class RgbImage:
    """Pixels as one `bytes` row of R, G, B triples per line."""

    width: int
    height: int
    rows: tuple[bytes, ...]


def encode(image: RgbImage) -> bytes:
    """The image as a PNG file (filter 0 on every row)."""
    raw = b"".join(b"\x00" + row for row in image.rows)
    header = struct.pack(">IIBBBBB", image.width, image.height, 8, _RGB, 0, 0, 0)
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def decode(data: bytes, *, max_pixels: int) -> RgbImage:
    """The RGB pixels of a simple PNG; raises PngUnsupported for anything else."""
    width, height, colour, chunks = _read_chunks(data)
    if width * height > max_pixels:
        raise PngUnsupported("too many pixels")
    channels = _CHANNELS[colour]
    stride = width * channels
    try:
        raw = zlib.decompress(b"".join(chunks))
    except zlib.error as exc:
        raise PngUnsupported("damaged image data") from exc
    if len(raw) < (stride + 1) * height:
        raise PngUnsupported("image data too short")
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], raw[start + 1 : start + 1 + stride], previous, channels)
        previous = line
        rows.append(line if channels == 3 else _drop_alpha(line))
    return RgbImage(width, height, tuple(rows))


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _read_chunks(data: bytes) -> tuple[int, int, int, list[bytes]]:
    if not data.startswith(SIGNATURE):
        raise PngUnsupported("not a PNG")
    position, header, idat = len(SIGNATURE), b"", []
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if len(header) != 13 or not idat:
        raise PngUnsupported("no header or no image data")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _CHANNELS or interlace != 0 or not width or not height:
        raise PngUnsupported("only 8-bit RGB or RGBA, not interlaced")
    return width, height, colour, idat


def _unfilter(kind: int, line: bytes, above: bytes, bpp: int) -> bytes:
    if kind == 0:
        return bytes(line)
    if kind == 2:
        return bytes((a + b) & 0xFF for a, b in zip(line, above, strict=True))
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xFF
        elif kind == 3:
            out[i] = (out[i] + (left + above[i]) // 2) & 0xFF
        elif kind == 4:
            upper_left = above[i - bpp] if i >= bpp else 0
            out[i] = (out[i] + _paeth(left, above[i], upper_left)) & 0xFF
        else:
            raise PngUnsupported(f"unknown filter {kind}")
    return bytes(out)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _drop_alpha(line: bytes) -> bytes:
    out = bytearray(len(line) // 4 * 3)
    out[0::3], out[1::3], out[2::3] = line[0::4], line[1::4], line[2::4]
    return bytes(out)
