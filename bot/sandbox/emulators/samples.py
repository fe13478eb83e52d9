"""What auto-completing emulators answer with: sample result files, supplied by the caller (the
sandbox passes real pictures, a playable video and a song)."""

from __future__ import annotations

from typing import Protocol


class Samples(Protocol):
    """Sample results; `image` may be slow (it draws), so emulators call it in a thread."""

    def image(self, source: bytes | None, prompt: str) -> tuple[bytes, str]:
        """An image (bytes, content type) made from the input image, if any, and the prompt."""
        ...

    def video(self) -> bytes:
        """An MP4 a browser can play."""
        ...

    def audio(self) -> bytes:
        """An MP3 a browser can play."""
        ...

    @property
    def audio_seconds(self) -> float:
        """How long `audio` plays: what the emulator reports as a track's duration."""
        ...

    def cover(self) -> bytes:
        """A track's cover art: a JPEG under Telegram's 200 kB thumbnail limit."""
        ...
