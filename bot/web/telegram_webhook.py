"""POST /telegram/webhook: Telegram updates in webhook mode, each update_id processed once."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from redis.exceptions import RedisError
from telegram import Update

from bot import constants as k
from bot.web.body import BodyTooLarge, read_limited
from bot.web.keys import DEPS, PTB_APP

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def telegram_webhook(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    secret = deps.settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(
        secret.get_secret_value().encode(), given.encode()
    ):
        return web.Response(status=403)
    try:
        data = json.loads(await read_limited(request, MAX_UPDATE_BYTES))
    except BodyTooLarge:
        return web.Response(status=413)
    except ValueError:
        return web.Response(status=400)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return web.Response(status=400)
    try:
        first_time = await deps.redis.set(
            k.UPDATE_SEEN_KEY.format(update_id=data["update_id"]), "1", nx=True,
            ex=k.UPDATE_SEEN_TTL_S,
        )  # fmt: skip
    except (RedisError, OSError):
        return web.Response(status=503)  # Telegram retries
    if first_time:
        application = request.app[PTB_APP]
        await application.update_queue.put(Update.de_json(data, application.bot))
    return web.Response(status=200)
