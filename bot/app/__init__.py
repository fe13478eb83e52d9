"""Wiring: `create_app(settings)` builds the aiohttp app that also runs the Telegram bot. One
place builds the object graph (graph.py), one starts and stops background work (background.py)."""

from bot.app.factory import create_app
from bot.app.telegram import build_ptb_application
from bot.web.keys import SETTINGS, SUBSCRIBER

__all__ = ["SETTINGS", "SUBSCRIBER", "build_ptb_application", "create_app"]
