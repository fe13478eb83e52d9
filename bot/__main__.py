"""`python -m bot` / `photobot`: load settings, then serve until stopped."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.log import access_logger

from bot.app import create_app
from bot.config import load_settings_or_exit
from bot.log_setup import setup_logging


def main() -> None:
    settings = load_settings_or_exit()
    secrets = [
        s.get_secret_value()
        for s in (
            settings.telegram_bot_token,
            settings.kie_api_key,
            settings.kie_webhook_hmac_key,
            settings.novita_api_key,
            settings.r2_secret_access_key,
            settings.callback_secret,
            settings.telegram_webhook_secret,
        )
        if s is not None
    ]
    setup_logging(settings.log_level, secrets)
    web.run_app(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        print=None,
        # One log line per request costs more than the request itself at callback rates.
        access_log=access_logger if settings.log_level == "DEBUG" else None,
        loop=new_event_loop(),
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed (Linux, macOS): faster sockets for callback ingestion."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


if __name__ == "__main__":
    main()
