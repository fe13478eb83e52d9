"""`create_app(settings)`: the aiohttp application, its routes, the order its resources start."""

from __future__ import annotations

import logging

from aiohttp import web

from bot import constants as k
from bot.app.background import background_ctx
from bot.app.resources import http_ctx, redis_ctx
from bot.app.telegram import bot_ctx
from bot.config import ConfigError, Settings
from bot.metrics import Metrics
from bot.models import REGISTRY, Registry
from bot.providers import CALLBACK_ROUTES
from bot.storage.local import MEDIA_ROUTE
from bot.web.callbacks import provider_callback
from bot.web.health import healthz
from bot.web.keys import CLIENT_LIMITS, METRICS, MODE, MODELS, REFUSALS, SETTINGS
from bot.web.media import media
from bot.web.metrics import metrics_endpoint
from bot.web.refusals import RefusalLog
from bot.web.slow_clients import DEFAULT_LIMITS, ClientLimits
from bot.web.telegram_webhook import telegram_webhook


def create_app(
    settings: Settings,
    *,
    limits: ClientLimits = DEFAULT_LIMITS,
    registry: Registry = REGISTRY,
) -> web.Application:
    """Nothing starts here; the cleanup contexts start each resource in order, and stop them in
    the reverse order."""
    registry = priced(settings, registry)
    app = web.Application(client_max_size=k.CALLBACK_MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[CLIENT_LIMITS] = limits
    app[MODELS] = registry
    app[MODE] = "live"
    app[REFUSALS] = RefusalLog(logging.getLogger("bot.web.refusals"))
    app[METRICS] = Metrics()  # this application's own registry: several may share a process
    app.cleanup_ctx.extend([redis_ctx, http_ctx, bot_ctx, background_ctx])
    app.on_cleanup.append(_flush_refusals)
    for name, route in CALLBACK_ROUTES.items():
        app.router.add_post(route, provider_callback(name), name=name)
    app.router.add_post("/telegram/webhook", telegram_webhook)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint(settings.metrics_token))
    app.router.add_get(MEDIA_ROUTE + "/{key:.+}", media)
    return app


def priced(settings: Settings, registry: Registry = REGISTRY) -> Registry:
    """The registry at the prices PRICES sets; raises ConfigError naming an unknown model."""
    try:
        return registry.priced(settings.prices)
    except ValueError as exc:
        raise ConfigError(f"PRICES is invalid: {exc}") from None


async def _flush_refusals(app: web.Application) -> None:
    app[REFUSALS].flush()
