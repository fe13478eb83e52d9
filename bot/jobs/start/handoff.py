"""How a provider reaches a job's input files: a signed URL from storage where anyone can
fetch it, else (local files without a public URL) through the provider's own file host."""

from __future__ import annotations

from collections.abc import Mapping

from bot.jobs.record import StoredMedia
from bot.providers.base import FileHost
from bot.storage import Storage


class InputHandOff:
    """One place decides "signed URL or upload", per provider: a provider without a file host
    gets the signed URL in any case (a provider that takes uploads reads the bytes by key)."""

    def __init__(self, storage: Storage, ttl_s: int, hosts: Mapping[str, FileHost]) -> None:
        self._storage = storage
        self._ttl_s = ttl_s
        self._hosts = hosts

    async def url(self, provider: str, media: StoredMedia) -> str:
        """A URL the provider can fetch the input from; raises the provider's ProviderError
        when its file host fails (the submit fails like any other)."""
        host = None if self._storage.public_urls else self._hosts.get(provider)
        if host is None:
            return await self._storage.signed_url(media.key, self._ttl_s)
        return await host.upload(self._storage, media.key, media.mime_type)
