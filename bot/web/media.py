"""GET /media/{key}: files of the local storage backend, only with a valid, unexpired signature."""

from __future__ import annotations

import re

from aiohttp import web

from bot.storage.local import LocalStorage
from bot.web.keys import DEPS

_EXPIRES = re.compile(r"[0-9]{1,12}")


async def media(request: web.Request) -> web.StreamResponse:
    storage = request.app[DEPS].storage.inner
    if not isinstance(storage, LocalStorage):
        raise web.HTTPNotFound()
    key = request.match_info["key"]
    expires = request.query.get("expires", "")
    signature = request.query.get("sig", "")
    if not _EXPIRES.fullmatch(expires) or not storage.verify(key, int(expires), signature):
        raise web.HTTPForbidden()
    path = storage.path_for(key)
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)
