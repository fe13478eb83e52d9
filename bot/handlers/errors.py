"""The last-resort error handler: log it, tell the user plainly, keep serving everyone else."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import texts

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("handler failed: %r", context.error, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, texts.SOMETHING_WRONG())
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_chat.id)
