"""Reading request bodies with a hard size cap, without buffering more than the cap."""

from __future__ import annotations

from aiohttp import web


class BodyTooLarge(Exception):
    """The body is over the limit; nothing past the limit was read."""


async def read_limited(request: web.Request, max_bytes: int) -> bytes:
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
