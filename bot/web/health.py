"""GET /healthz: 200 when Redis, the bot and the server are ready, 503 otherwise; says whether
this is the live bot or the offline sandbox, and whether providers call back or are polled."""

from __future__ import annotations

from aiohttp import web
from redis.exceptions import RedisError

from bot.web.keys import DEPS, MODE, PTB_APP, SETTINGS


async def healthz(request: web.Request) -> web.Response:
    checks = {"redis": await _redis_ok(request), "bot": _bot_ok(request)}
    status = 200 if all(checks.values()) else 503
    body = {
        "ok": status == 200,
        **checks,
        "mode": request.app[MODE],
        "callbacks": request.app[SETTINGS].callbacks_label,
    }
    return web.json_response(body, status=status)


async def _redis_ok(request: web.Request) -> bool:
    try:
        return bool(await request.app[DEPS].redis.ping())
    except (RedisError, OSError):
        return False


def _bot_ok(request: web.Request) -> bool:
    application = request.app.get(PTB_APP)
    return application is not None and application.running
