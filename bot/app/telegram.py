"""The PTB application inside the aiohttp app: built with our rate limiter and update order,
its dependencies attached, started and stopped with the server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ExtBot

from bot import texts
from bot.app.graph import build_deps
from bot.config import Settings
from bot.deps import BOT_DATA_KEY
from bot.flood import SendRateLimiter
from bot.handlers import register
from bot.handlers.ordering import InOrderPerSender
from bot.locales import LANGUAGES, Message, speaking
from bot.metrics import Metrics
from bot.web.keys import DEPS, METRICS, PTB_APP, SETTINGS

log = logging.getLogger(__name__)

# Telegram asks for waits of seconds; a delivery holds its lease meanwhile, so keep trying.
MAX_FLOOD_RETRIES = 10
PtbApp = Application[Any, Any, Any, Any, Any, Any]
# Updates in progress at once; one sender's queue of updates holds slots while it waits its turn.
MAX_CONCURRENT_UPDATES = 256


async def bot_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    application = build_ptb_application(settings, app[METRICS])
    deps = await build_deps(app, application.bot)
    application.bot_data[BOT_DATA_KEY] = deps
    app[DEPS] = deps
    app[PTB_APP] = application
    log.info(
        "backends: redis=%s, storage=%s, telegram=%s, callbacks=%s",
        "external" if settings.redis_url else "embedded",
        deps.storage.name,
        "webhook" if settings.webhook_mode else "polling",
        settings.callbacks_label,
    )
    async with application:
        await application.start()
        await _describe(application, settings.default_language, credits=settings.charges)
        await _start_updates(application, settings)
        try:
            yield
        finally:
            if application.updater and application.updater.running:
                await application.updater.stop()
            await application.stop()


def build_ptb_application(settings: Settings, metrics: Metrics) -> PtbApp:
    api = str(settings.telegram_api_base_url).rstrip("/")
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        # Honour Telegram's 429 retry_after instead of dropping the message.
        .rate_limiter(SendRateLimiter(max_retries=MAX_FLOOD_RETRIES, metrics=metrics))
        # One slow upload must not hold up everyone else's updates; one person's updates are
        # handled in the order they were sent.
        .concurrent_updates(InOrderPerSender(MAX_CONCURRENT_UPDATES))
    )
    if settings.webhook_mode:
        builder = builder.updater(None)
    application = builder.build()
    register(application)
    return application


async def _describe(application: PtbApp, default_language: str, *, credits: bool) -> None:
    """The command menu (/balance and /buy only when credits are sold) and the empty chat's
    description, for each language's phones and, in the default language, for everyone
    else's."""
    codes = [(language, language) for language in LANGUAGES] + [(default_language, "")]
    menu = (*texts.COMMAND_MENU[:-1], *texts.CREDITS_MENU, texts.COMMAND_MENU[-1])
    try:
        for language, code in codes:
            with speaking(language):
                await _describe_in(application.bot, code, menu if credits else texts.COMMAND_MENU)
    except TelegramError as exc:  # cosmetic: the commands work without the menu
        log.warning("command menu or description not set: %s", exc)


async def _describe_in(
    bot: ExtBot[Any], language_code: str, menu: Sequence[tuple[str, Message]]
) -> None:
    commands = [BotCommand(name, description()) for name, description in menu]
    await bot.set_my_commands(commands, language_code=language_code or None)
    await bot.set_my_description(texts.DESCRIPTION(), language_code=language_code or None)
    await bot.set_my_short_description(
        texts.SHORT_DESCRIPTION(), language_code=language_code or None
    )


async def _start_updates(application: PtbApp, settings: Settings) -> None:
    if settings.telegram_webhook_secret is not None:
        await application.bot.set_webhook(
            f"{settings.base_url()}/telegram/webhook",
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
    elif application.updater is not None:
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
