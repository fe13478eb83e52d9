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

from bot.handlers import (
    admin,
    audience,
    errors,
    flows,
    photo,
    running,
    settings,
    start,
    updates,
)
from bot.intake.flows.catalog import FLOWS
from bot.jobs.buttons import JobAction, pattern

# New messages only: an edited caption or command must never run (and pay for) a job again,
# and channel posts are not users talking to the bot.
NEW = filters.UpdateType.MESSAGE
FLOW_INPUT = (
    filters.PHOTO | filters.VIDEO | filters.Document.ALL | (filters.TEXT & ~filters.COMMAND)
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Order matters: lower groups run first, and the first matching handler in a group wins."""
    # An update Telegram sends again (after a restart, or to a second replica) stops here, and
    # so does a flood from one user.
    application.add_handler(TypeHandler(Update, updates.screen), group=-2)
    # In groups, chatter not addressed to the bot gets no answer.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & ~audience.MAY_CONCERN_BOT, audience.ignore),
        group=-1,
    )
    # A user in a flow (/dance, /music, …) gives it this message; otherwise group 1 handles it.
    application.add_handler(MessageHandler(NEW & FLOW_INPUT, flows.on_flow_message), group=0)

    def add(handler: object) -> None:
        application.add_handler(handler, group=1)  # type: ignore[arg-type]

    add(CommandHandler(["start", "help"], start.start, filters=NEW))
    add(CommandHandler([f.command for f in FLOWS], flows.on_command, filters=NEW))
    add(CommandHandler("cancel", flows.on_cancel, filters=NEW))
    # What runs, and its Cancel buttons (on status messages and under /jobs).
    add(CommandHandler("jobs", running.on_jobs, filters=NEW))
    add(CallbackQueryHandler(running.on_cancel_press, pattern=pattern(JobAction.CANCEL)))
    add(CommandHandler("settings", settings.show, filters=NEW))
    add(CommandHandler("language", settings.on_language, filters=NEW))
    add(CommandHandler("stats", admin.stats, filters=NEW))
    add(CallbackQueryHandler(settings.on_press, pattern=f"^{settings.PREFIX}"))
    # A photo, or an image sent as a file, starts a job (or waits for a style).
    add(MessageHandler(NEW & filters.PHOTO, photo.on_photo))
    add(MessageHandler(NEW & filters.Document.ALL, photo.on_document))
    add(CallbackQueryHandler(photo.on_style, pattern=f"^{photo.STYLE_PREFIX}"))
    # Plain text is a prompt for the photo waiting for one.
    add(MessageHandler(NEW & filters.TEXT & ~filters.COMMAND, photo.on_text))
    add(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & (filters.PHOTO | filters.Document.ALL),
            photo.on_edit,
        )
    )
    # Anything else (video, voice, stickers…) gets a hint instead of silence.
    add(MessageHandler(NEW & ~filters.COMMAND & ~filters.StatusUpdate.ALL, photo.on_other))
    application.add_error_handler(errors.on_error)
