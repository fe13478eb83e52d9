"""Typed keys for what the aiohttp app holds."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from telegram.ext import Application

from bot.deps import Deps
from bot.metrics import Metrics
from bot.web.refusals import RefusalLog
from bot.web.slow_clients import ClientLimits

DEPS: web.AppKey[Deps] = web.AppKey("deps", Deps)
PTB_APP: web.AppKey[Application[Any, Any, Any, Any, Any, Any]] = web.AppKey("ptb_app", Application)
REFUSALS: web.AppKey[RefusalLog] = web.AppKey("refusals", RefusalLog)
CLIENT_LIMITS: web.AppKey[ClientLimits] = web.AppKey("client_limits", ClientLimits)
METRICS: web.AppKey[Metrics] = web.AppKey("metrics", Metrics)
# "live", or "sandbox" when the offline sandbox runs the bot against its emulators.
MODE: web.AppKey[str] = web.AppKey("mode", str)
