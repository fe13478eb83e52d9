"""`python -m bot` / `photobot`: load settings, then serve until stopped."""

from __future__ import annotations

from aiohttp import web

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
    web.run_app(create_app(settings), host=settings.http_host, port=settings.http_port, print=None)


if __name__ == "__main__":
    main()
