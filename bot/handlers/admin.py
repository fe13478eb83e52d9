"""Admin commands: /stats, /ban and /unban."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot import texts
from bot.admin import stats_report
from bot.admin.chart import ChartLabels, render
from bot.deps import deps_of
from bot.users.access import BanResult, parse_user_id

log = logging.getLogger(__name__)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admin_ids:
        await message.reply_text(texts.STATS_REFUSED())
        return
    report = await stats_report(
        deps.redis, deps.registry, deps.failover, deps.providers, deps.access,
        charges=deps.settings.charges, callbacks=deps.settings.callbacks,
    )  # fmt: skip
    # Figures are for admins only: in a group, they go to the admin's private chat.
    to = message.chat_id if message.chat.type == ChatType.PRIVATE else user.id
    try:
        await context.bot.send_message(to, report.text)
    except Forbidden:  # the admin never opened a private chat with the bot
        await message.reply_text(texts.STATS_ASK_PRIVATELY())
        return
    if to != message.chat_id:
        await message.reply_text(texts.STATS_SENT_PRIVATELY())
    try:
        chart = await render(report.chart, ChartLabels.current())
    except Exception:  # the figures went out; a picture is not worth failing /stats for
        log.exception("the /stats chart could not be drawn")
        return
    await context.bot.send_photo(to, chart)


async def ban(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ban <user id>, or /ban in reply to the user's message (in a group)."""
    await _ban_or_unban(update, context, unban=False)


async def unban(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _ban_or_unban(update, context, unban=True)


async def _ban_or_unban(update: Update, context: ContextTypes.DEFAULT_TYPE, *, unban: bool) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admin_ids:
        await message.reply_text(texts.ADMIN_ONLY())
        return
    replied = message.reply_to_message
    target = ban_target(context.args or (), _author(replied))
    command = "unban" if unban else "ban"
    if target is None:
        await message.reply_text(texts.BAN_USAGE(command=command))
        return
    outcome = await (deps.access.unban(target) if unban else deps.access.ban(target))
    await message.reply_text(ban_answer(str(target), outcome.result, outcome.known, unban))


def _author(replied: Message | None) -> int | None:
    """The person who wrote the message replied to; never a bot (the admin meant someone)."""
    if replied is None or replied.from_user is None or replied.from_user.is_bot:
        return None
    return replied.from_user.id


def ban_target(args: Sequence[str], replied_user_id: int | None) -> int | None:
    """Whom a /ban or /unban names: its one argument, else the author of the message it
    replies to; None when neither names a user."""
    if args:
        return parse_user_id(args[0]) if len(args) == 1 else None
    return replied_user_id


def ban_answer(user: str, result: BanResult, known: bool, unban: bool) -> str:
    """What /ban or /unban did."""
    if result is BanResult.ADMIN:
        return texts.BAN_ADMIN(user=user)
    if unban:
        return (texts.UNBANNED if result is BanResult.DONE else texts.UNBAN_ALREADY)(user=user)
    if result is BanResult.ALREADY:
        return texts.BAN_ALREADY(user=user)
    return (texts.BANNED if known else texts.BANNED_UNKNOWN)(user=user)
