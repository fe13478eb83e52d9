"""A movie's length and picture size come from its moov box; anything else tells nothing."""

from __future__ import annotations

import struct

import pytest

from bot.media.mp4 import MovieHeader, movie_header
from bot.media.sniff import SNIFF_BYTES, MediaInfo, MediaKind, sniff
from tests.images import box, mp4, mvhd, tkhd

FTYP = box(b"ftyp", b"isom" + bytes(4) + b"isomiso2")
AUDIO_TRACK = box(b"trak", tkhd(0, 0))


def movie(*children: bytes, before: bytes = b"") -> bytes:
    return FTYP + before + box(b"moov", b"".join(children))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (mp4(1280, 720, 5.0), MovieHeader(5.0, 1280, 720)),
        (movie(mvhd(90_000, 600, version=1), box(b"trak", tkhd(1920, 1080, version=1))),
         MovieHeader(150.0, 1920, 1080)),
        (movie(mvhd(6000), AUDIO_TRACK, box(b"trak", tkhd(720, 1280))),
         MovieHeader(6.0, 720, 1280)),
        (movie(mvhd(6000), box(b"trak", tkhd(1280, 720, quarter_turn=True))),
         MovieHeader(6.0, 720, 1280)),
        (movie(mvhd(6000), AUDIO_TRACK), MovieHeader(6.0, None, None)),
        (movie(mvhd(0xFFFFFFFF), box(b"trak", tkhd(640, 480))), MovieHeader(None, 640, 480)),
        (movie(mvhd(6000, timescale=0)), MovieHeader(None, None, None)),
        (movie(mvhd(4000), before=box(b"free", bytes(100))), MovieHeader(4.0, None, None)),
        (movie(mvhd(3000), before=box(b"mdat", bytes(64))), MovieHeader(3.0, None, None)),
    ],
    ids=[
        "built", "version-1-boxes", "audio-track-first", "portrait-by-matrix", "audio-only",
        "unknown-duration", "zero-timescale", "free-box-before-moov", "small-mdat-before-moov",
    ],
)  # fmt: skip
def test_header_boxes_are_read(data: bytes, expected: MovieHeader) -> None:
    assert movie_header(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        FTYP + struct.pack(">I", 4) + b"moov",  # a size smaller than its own header
        FTYP,
        b"",
    ],
    ids=["impossible-size", "ftyp-only", "empty"],
)  # fmt: skip
def test_no_moov_in_reach_tells_nothing(data: bytes) -> None:
    assert movie_header(data) is None


def test_a_moov_cut_off_mid_box_yields_what_was_complete() -> None:
    whole = movie(mvhd(5000), box(b"trak", tkhd(640, 480)))

    header = movie_header(whole[:-20])  # the track header lost its last 20 bytes

    assert header == MovieHeader(5.0, None, None)


def test_a_moov_after_media_bigger_than_the_head_is_out_of_reach() -> None:
    whole = FTYP + box(b"mdat", bytes(300_000)) + box(b"moov", mvhd(5000))
    head = whole[:SNIFF_BYTES]

    assert movie_header(head) is None


def test_the_sniffer_passes_a_movie_header_on() -> None:
    assert sniff(mp4(720, 1280, 8.5)) == MediaInfo(
        MediaKind.VIDEO, "video/mp4", "mp4", 720, 1280, 8.5
    )
    assert sniff(mp4(brand=b"M4A ", seconds=30)) == MediaInfo(
        MediaKind.AUDIO, "audio/mp4", "m4a", duration_s=30.0
    )
