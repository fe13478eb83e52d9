"""A download spooled to a temporary file, so a big result never sits in memory whole.

Chunks collect in a buffer of about 256 KiB that is written by a worker thread, so slow disks do
not stall the event loop; the first bytes are kept apart for sniffing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

# Small enough that the 32 deliveries that may run at once hold little (a buffer filling and one
# being written: 16 MiB in all), big enough that the hand-offs to a thread stay cheap.
FLUSH_BYTES = 256 * 1024
FILE_PREFIX = "photobot-result-"
# Older than any delivery runs: a file this old was left by a process killed mid-delivery
# (another replica sharing the folder may still be writing younger ones).
STALE_AFTER_S = 3600.0


class Spool:
    """One temporary file being written; `finish` keeps it, `discard` deletes it."""

    def __init__(self, file: BinaryIO, path: Path, head_bytes: int) -> None:
        self._file = file
        self.path = path
        self._head_bytes = head_bytes
        self._head = bytearray()
        self._buffer = bytearray()
        self.size = 0

    @classmethod
    async def create(cls, directory: Path | None, head_bytes: int) -> Spool:
        """A fresh file in `directory` (the system's temporary directory when None)."""
        fd, name = await asyncio.to_thread(
            tempfile.mkstemp, prefix=FILE_PREFIX, suffix=".part", dir=directory
        )
        return cls(os.fdopen(fd, "wb"), Path(name), head_bytes)

    @property
    def head(self) -> bytes:
        return bytes(self._head)

    async def write(self, chunk: bytes) -> None:
        if len(self._head) < self._head_bytes:
            self._head += chunk[: self._head_bytes - len(self._head)]
        self._buffer += chunk
        self.size += len(chunk)
        if len(self._buffer) >= FLUSH_BYTES:
            await self._flush()

    async def finish(self) -> Path:
        """Write what is left and close the file; the caller now owns it."""
        await self._flush()
        await asyncio.to_thread(self._file.close)
        return self.path

    async def discard(self) -> None:
        await asyncio.to_thread(self._close_and_delete)

    async def _flush(self) -> None:
        if not self._buffer:
            return
        # Handed over whole and replaced, not copied: a write still running in its thread after
        # a cancel never sees the buffer change under it, and no second buffer is made.
        data, self._buffer = self._buffer, bytearray()
        await asyncio.to_thread(self._file.write, data)

    def _close_and_delete(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


def clear_stale(directory: Path | None, *, now: float | None = None) -> int:
    """Delete spool files left by killed processes; returns how many (blocking: run in a
    thread)."""
    folder = Path(directory or tempfile.gettempdir())
    cutoff = (time.time() if now is None else now) - STALE_AFTER_S
    removed = 0
    for path in folder.glob(f"{FILE_PREFIX}*.part"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed
