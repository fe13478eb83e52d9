"""Where input photos and oversized results live: R2 (S3 API) or the local disk, behind one
small interface."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """Stores bytes under a key, reads them back, and hands out expiring URLs for providers."""

    name: str
    # Whether signed_url gives a URL anyone can fetch: not so for local files without
    # PUBLIC_BASE_URL, whose inputs then reach a provider through its own file upload.
    public_urls: bool

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a file from disk, streamed (never read whole); raise StorageError."""
        ...

    async def read(self, key: str) -> bytes:
        """The stored bytes, for providers that take uploads rather than URLs."""
        ...

    async def open(self, key: str) -> BinaryIO:
        """The stored file, opened for reading in pieces (the caller closes it), so an upload
        never holds it whole; raise StorageError."""
        ...

    async def exists(self, key: str) -> bool:
        """Whether the key is stored (a job run again needs its inputs); raise StorageError
        when the backend cannot say."""
        ...

    async def signed_url(self, key: str, ttl_s: int) -> str: ...

    async def delete(self, keys: Sequence[str]) -> None:
        """Delete these files (those already gone are no error); raise StorageError."""
        ...

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be reached."""
        ...
