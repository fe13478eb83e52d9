"""Typed keys for what the aiohttp app holds."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from telegram.ext import Application

from bot.config import Settings
from bot.deps import Deps
from bot.jobs.deliver import Subscriber
from bot.metrics import Metrics
from bot.models import Registry
from bot.web.refusals import RefusalLog
from bot.web.slow_clients import ClientLimits

DEPS: web.AppKey[Deps] = web.AppKey("deps", Deps)
PTB_APP: web.AppKey[Application[Any, Any, Any, Any, Any, Any]] = web.AppKey("ptb_app", Application)
REFUSALS: web.AppKey[RefusalLog] = web.AppKey("refusals", RefusalLog)
CLIENT_LIMITS: web.AppKey[ClientLimits] = web.AppKey("client_limits", ClientLimits)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
# "live", or "sandbox" when the offline sandbox runs the bot against its emulators.
MODE: web.AppKey[str] = web.AppKey("mode", str)
SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
REDIS: web.AppKey[Redis] = web.AppKey("redis", Redis)
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
# Provider result downloads: every connection through the address guard (bot/media/fetch.py).
MEDIA_HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("media_http", aiohttp.ClientSession)
SUBSCRIBER: web.AppKey[Subscriber] = web.AppKey("subscriber", Subscriber)
# The model registry this app serves (create_app's argument; bot.models.REGISTRY by default).
MODELS: web.AppKey[Registry] = web.AppKey("models", Registry)
