"""POST /telegram/webhook: Telegram updates in webhook mode, after a constant-time secret check."""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bot.web.keys import DEPS, PTB_APP

log = logging.getLogger(__name__)

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
        data = json.loads(await request.read())  # capped by the app's client_max_size
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413)
    except ValueError:
        return web.Response(status=400)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return web.Response(status=400)
    # Repeats are dropped by the first handler group, the same way as in polling mode.
    application = request.app[PTB_APP]
    await application.update_queue.put(Update.de_json(data, application.bot))
    return web.Response(status=200)
