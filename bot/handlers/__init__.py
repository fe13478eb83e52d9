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
    again,
    audience,
    balance,
    broadcast,
    errors,
    flows,
    forget,
    history,
    imagine,
    payments,
    photo,
    prices,
    results,
    running,
    settings,
    start,
    updates,
)
from bot.intake.flows.catalog import FLOWS
from bot.jobs.buttons import JobAction
from bot.jobs.buttons import pattern as job_button

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
    # Telegram Stars: a payment is never dropped by the screen below, and a banned user's
    # checkout is still answered (its own groups; see bot/handlers/payments.py).
    payments.register_payments(application)
    application.add_handler(TypeHandler(Update, updates.screen), group=-2)
    # In groups, chatter not addressed to the bot gets no answer.
    application.add_handler(
        MessageHandler(filters.ChatType.GROUPS & ~audience.MAY_CONCERN_BOT, audience.ignore),
        group=-1,
    )
    # An admin writing the message a /broadcast waits for: it is the broadcast's, nobody else's.
    application.add_handler(
        MessageHandler(NEW & filters.ChatType.PRIVATE & ~filters.COMMAND, broadcast.on_message),
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
    add(CallbackQueryHandler(running.on_cancel_press, pattern=job_button(JobAction.CANCEL)))
    add(CommandHandler("settings", settings.show, filters=NEW))
    add(CommandHandler("language", settings.on_language, filters=NEW))
    add(CommandHandler("stats", admin.stats, filters=NEW))
    add(CommandHandler("ban", admin.ban, filters=NEW))
    add(CommandHandler("unban", admin.unban, filters=NEW))
    add(CommandHandler("forget", forget.on_command, filters=NEW))
    # Credits (PAYMENTS=stars): a dear job's price confirmed, and /balance.
    add(CallbackQueryHandler(prices.on_press, pattern=f"^{prices.PREFIX}"))
    add(CommandHandler("balance", balance.show, filters=NEW))
    add(CallbackQueryHandler(forget.on_press, pattern=f"^{forget.PREFIX}"))
    add(CommandHandler("broadcast", broadcast.on_command, filters=NEW))
    add(CallbackQueryHandler(broadcast.on_press, pattern=f"^{broadcast.PREFIX}"))
    add(CallbackQueryHandler(settings.on_press, pattern=f"^{settings.PREFIX}"))
    # A job run again (Again under a result, Run again under /history), and /history's pages.
    add(CommandHandler("history", history.show, filters=NEW))
    add(CallbackQueryHandler(again.on_again, pattern=job_button(JobAction.AGAIN)))
    add(CallbackQueryHandler(history.on_page, pattern=f"^{history.PREFIX}"))
    # A photo, or an image sent as a file, starts a job (or waits for a style).
    add(MessageHandler(NEW & filters.PHOTO, photo.on_photo))
    add(MessageHandler(NEW & filters.Document.ALL, photo.on_document))
    add(CallbackQueryHandler(photo.on_style, pattern=f"^{photo.STYLE_PREFIX}"))
    # Original, Edit this and Animate under a kept image.
    add(CallbackQueryHandler(results.on_press, pattern=results.PATTERN))
    # Plain text is a prompt for the photo waiting for one; with none, in a private chat, an
    # offer to imagine it (the Imagine button).
    add(CallbackQueryHandler(imagine.on_press, pattern=f"^{imagine.PREFIX}"))
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
