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

from bot.handlers import admin, audience, errors, photo, settings, start, updates

# New messages only: an edited caption or command must never run (and pay for) a job again,
# and channel posts are not users talking to the bot.
NEW = filters.UpdateType.MESSAGE


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Order matters: the first matching handler in a group wins, lower groups first."""
    # An update Telegram sends again (after a restart, or to a second replica) stops here, and
    # so does a flood from one user.
    application.add_handler(TypeHandler(Update, updates.screen), group=-2)
    # In groups, chatter not addressed to the bot gets no answer.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & ~audience.MAY_CONCERN_BOT, audience.ignore),
        group=-1,
    )
    application.add_handler(CommandHandler(["start", "help"], start.start, filters=NEW))
    application.add_handler(CommandHandler("stats", admin.stats, filters=NEW))
    application.add_handler(CommandHandler("settings", settings.show, filters=NEW))
    application.add_handler(CallbackQueryHandler(settings.on_press, pattern=f"^{settings.PREFIX}"))
    # A photo, or an image sent as a file, starts a job (or waits for a style).
    application.add_handler(MessageHandler(NEW & filters.PHOTO, photo.on_photo))
    application.add_handler(MessageHandler(NEW & filters.Document.ALL, photo.on_document))
    application.add_handler(CallbackQueryHandler(photo.on_style, pattern=f"^{photo.STYLE_PREFIX}"))
    # Plain text is a prompt for the photo waiting for one.
    application.add_handler(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, photo.on_text))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & (filters.PHOTO | filters.Document.ALL),
            photo.on_edit,
        )
    )
    # Anything else (video, voice, stickers…) gets a hint instead of silence.
    application.add_handler(
        MessageHandler(NEW & ~filters.COMMAND & ~filters.StatusUpdate.ALL, photo.on_other)
    )
    application.add_error_handler(errors.on_error)
