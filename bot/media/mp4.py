"""A movie's length and picture size, read from its MP4/QuickTime header boxes (moov).

Pure: bytes in, numbers out. Only a `moov` box that starts within the given bytes is read; a
file whose `moov` comes after its media data (not "fast start") simply tells nothing here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_UNKNOWN_DURATIONS = frozenset({0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF})


@dataclass(frozen=True, slots=True)
class MovieHeader:
    """What the header says; None where it says nothing readable."""

    duration_s: float | None = None
    width: int | None = None
    height: int | None = None


def movie_header(head: bytes) -> MovieHeader | None:
    """The movie's header, or None when no `moov` box starts within `head`."""
    moov = _first(head, 0, len(head), b"moov")
    if moov is None:
        return None
    start, end = moov
    size = _picture_size(head, start, end)
    width, height = size if size else (None, None)
    return MovieHeader(_duration(head, start, end), width, height)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in data[start:end]; a box cut off by
    `end` is clipped, and a malformed size ends the walk."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > end:
                return
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:  # the box runs to the end of the file
            size = end - pos
        if size < header:
            return
        yield kind, pos + header, min(pos + size, end)
        pos += size


def _first(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)


def _duration(data: bytes, start: int, end: int) -> float | None:
    """From mvhd: the duration in its own timescale (version 0: 32-bit fields, 1: 64-bit)."""
    mvhd = _first(data, start, end, b"mvhd")
    if mvhd is None:
        return None
    pos, stop = mvhd
    if pos >= stop:
        return None
    fields, layout = (28, ">QQIQ") if data[pos] == 1 else (16, ">IIII")
    if stop - pos < 4 + fields:
        return None
    _, _, timescale, duration = struct.unpack_from(layout, data, pos + 4)
    if not timescale or duration in _UNKNOWN_DURATIONS:
        return None
    return float(duration) / float(timescale)


def _picture_size(data: bytes, start: int, end: int) -> tuple[int, int] | None:
    """From the first track header (tkhd) with a picture: audio tracks have none."""
    for kind, pos, stop in _boxes(data, start, end):
        if kind != b"trak":
            continue
        tkhd = _first(data, pos, stop, b"tkhd")
        size = _track_size(data, *tkhd) if tkhd else None
        if size:
            return size
    return None


def _track_size(data: bytes, pos: int, stop: int) -> tuple[int, int] | None:
    # After version and flags: times, track id and duration (20 or 32 bytes), then 16 bytes
    # (layer, volume...), a 3x3 matrix of 36 bytes, and width and height in 16.16 fixed point.
    if pos >= stop:
        return None
    matrix = pos + 4 + (32 if data[pos] == 1 else 20) + 16
    if stop < matrix + 44:
        return None
    a, b = struct.unpack_from(">ii", data, matrix)
    width, height = (v >> 16 for v in struct.unpack_from(">II", data, matrix + 36))
    if not width or not height:
        return None
    # A phone's portrait movie is stored landscape with a quarter-turn matrix (a = 0, b = ±1).
    return (height, width) if a == 0 and b != 0 else (width, height)
