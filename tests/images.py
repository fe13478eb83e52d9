"""Small, valid image and movie files built by hand for tests; big dimensions cost only a header."""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(
    width: int = 1, height: int = 1, *, text: bytes = b"", padding: int = 0, pixels: bool = True
) -> bytes:
    """An RGB PNG; `text` makes it unique, `padding` adds a private chunk of that many bytes,
    and without `pixels` it is header only (for dimensions no test should allocate)."""
    parts = [
        PNG_SIGNATURE,
        png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
    ]
    if text:
        parts.append(png_chunk(b"tEXt", b"Comment\x00" + text))
    if padding:
        parts.append(png_chunk(b"prVt", bytes(padding)))
    if pixels:
        parts.append(png_chunk(b"IDAT", _black_rows(width, height)))
    parts.append(png_chunk(b"IEND", b""))
    return b"".join(parts)


def _black_rows(width: int, height: int) -> bytes:
    row = bytes(1 + 3 * width)  # filter byte + RGB
    packer = zlib.compressobj()
    return b"".join(packer.compress(row) for _ in range(height)) + packer.flush()


def jpeg(width: int, height: int, *, app_padding: int = 0) -> bytes:
    """A baseline JPEG's markers: SOI, JFIF, optional APP15 padding, SOF0 with the size, EOI."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    padding = b""
    while app_padding > 0:
        size = min(app_padding, 65533)
        padding += b"\xff\xef" + struct.pack(">H", size + 2) + bytes(size)
        app_padding -= size
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3)
    sof += b"\x01\x11\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + jfif + padding + sof + b"\xff\xd9"


def box(kind: bytes, payload: bytes) -> bytes:
    """An ISO base media box (MP4, QuickTime): 32-bit size, type, payload."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mvhd(duration: int, timescale: int = 1000, *, version: int = 0) -> bytes:
    times = (
        struct.pack(">QQIQ", 0, 0, timescale, duration)
        if version
        else struct.pack(">IIII", 0, 0, timescale, duration)
    )
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + bytes(80))


def tkhd(width: int, height: int, *, version: int = 0, quarter_turn: bool = False) -> bytes:
    ids = struct.pack(">QQIIQ", 0, 0, 1, 0, 0) if version else struct.pack(">IIIII", 0, 0, 1, 0, 0)
    a, b, c, d = (0, 1, -1, 0) if quarter_turn else (1, 0, 0, 1)
    matrix = struct.pack(">9i", a << 16, b << 16, 0, c << 16, d << 16, 0, 0, 0, 1 << 30)
    size = struct.pack(">II", width << 16, height << 16)
    return box(b"tkhd", bytes([version, 0, 0, 3]) + ids + bytes(16) + matrix + size)


def mp4(
    width: int = 1280, height: int = 720, seconds: float = 5.0, *, size: int = 0,
    brand: bytes = b"isom", text: bytes = b"",
) -> bytes:  # fmt: skip
    """A fast-start MP4: ftyp, a moov whose video track says `width`x`height` and `seconds`,
    then an mdat of zeros (and `text`, to tell files apart) making the file `size` bytes."""
    ftyp = box(b"ftyp", brand + bytes(4) + brand + b"isom")
    moov = box(b"moov", mvhd(round(seconds * 1000)) + box(b"trak", tkhd(width, height)))
    head = ftyp + moov
    payload = text + bytes(max(0, size - len(head) - 8 - len(text)))
    return head + box(b"mdat", payload)
