"""POST /telegram/webhook: Telegram updates in webhook mode, after a constant-time secret check."""

from __future__ import annotations

import hmac
import json
from typing import Any

from aiohttp import web
from telegram import Bot, Chat, Update

from bot.web.keys import CLIENT_LIMITS, DEPS, PTB_APP, REFUSALS
from bot.web.slow_clients import BodyTooSlow, answer_and_close, read_body

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WHAT = "telegram update"


class MalformedUpdate(Exception):
    """The body is not an update the handlers can work with; the message says why, briefly."""


async def telegram_webhook(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    secret = deps.settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(
        secret.get_secret_value().encode(), given.encode()
    ):
        request.app[REFUSALS].refused(WHAT, "wrong secret")
        return web.Response(status=403)
    try:
        raw = await read_body(request, request.app[CLIENT_LIMITS].body_timeout_s)
    except BodyTooSlow:
        request.app[REFUSALS].refused(WHAT, "body too slow")
        return await answer_and_close(request, web.Response(status=408))
    except web.HTTPRequestEntityTooLarge:
        request.app[REFUSALS].refused(WHAT, "body too large")
        return web.Response(status=413)
    application = request.app[PTB_APP]
    try:
        update = parse_update(raw, application.bot)
    except MalformedUpdate as exc:
        request.app[REFUSALS].refused(WHAT, "malformed update", str(exc))
        return web.Response(status=400)
    # Repeats are dropped by the first handler group, the same way as in polling mode.
    await application.update_queue.put(update)
    return web.Response(status=200)


def parse_update(raw: bytes, bot: Bot) -> Update:
    """The update in `raw`, or MalformedUpdate; never a traceback for what a sender controls."""
    try:
        data: Any = json.loads(raw)
    except RecursionError:
        raise MalformedUpdate("nested too deeply") from None
    except ValueError:
        raise MalformedUpdate("not JSON") from None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise MalformedUpdate("no integer update_id")
    try:
        update = Update.de_json(data, bot)
    # PTB's de_json trusts the shape: a wrong one fails with whatever it trips over.
    except Exception as exc:
        raise MalformedUpdate(f"wrong shape ({type(exc).__name__})") from None
    _check_message(update)
    return update


def _check_message(update: Update) -> None:
    """What de_json lets through but every handler relies on: a chat, and text that is text."""
    message = update.effective_message
    if message is None:
        return
    if not isinstance(message.chat, Chat):
        raise MalformedUpdate("message without a chat")
    text, caption = getattr(message, "text", None), getattr(message, "caption", None)
    if not isinstance(text, str | None) or not isinstance(caption, str | None):
        raise MalformedUpdate("text or caption that is not a string")
