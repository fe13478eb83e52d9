"""Telegram handlers, registered in one ordered place."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.handlers import admin, errors, photo, start, updates


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Order matters: the first matching handler in a group wins."""
    # Group -1 runs first: an update Telegram sends again (after a restart, or to a second
    # replica) stops here.
    application.add_handler(TypeHandler(Update, updates.drop_repeats), group=-1)
    application.add_handler(CommandHandler(["start", "help"], start.start))
    application.add_handler(CommandHandler("stats", admin.stats))
    # A photo, or an image sent as a file, starts a job (or waits for a style).
    application.add_handler(MessageHandler(filters.PHOTO, photo.on_photo))
    application.add_handler(MessageHandler(filters.Document.ALL, photo.on_document))
    application.add_handler(CallbackQueryHandler(photo.on_style, pattern=f"^{photo.STYLE_PREFIX}"))
    # Plain text is a prompt for the photo waiting for one.
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, photo.on_text))
    # Anything else (video, voice, stickers…) gets a hint instead of silence.
    application.add_handler(
        MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, photo.on_other)
    )
    application.add_error_handler(errors.on_error)
