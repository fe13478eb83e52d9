"""Where input photos live: R2 (S3 API) or the local disk, behind one small interface."""

from __future__ import annotations

from typing import Protocol


class Storage(Protocol):
    """Stores bytes under a key, reads them back, and hands out expiring URLs for providers."""

    name: str

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def read(self, key: str) -> bytes:
        """The stored bytes, for providers that take uploads rather than URLs."""
        ...

    async def signed_url(self, key: str, ttl_s: int) -> str: ...

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be reached."""
        ...
