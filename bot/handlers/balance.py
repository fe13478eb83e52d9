"""/balance: what the user can spend, what running jobs hold, and the latest movements."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.credits import Entry
from bot.deps import deps_of
from bot.models import Registry

LATEST = 10


async def show(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    deps = deps_of(context)
    if message is None or user is None or not deps.settings.charges:
        return
    balance = await deps.ledger.balance(user.id, LATEST)
    lines = [_line(entry, deps.registry) for entry in balance.entries]
    await message.reply_text(texts.balance_text(balance.available, balance.held, lines))


def _line(entry: Entry, registry: Registry) -> str:
    model = registry.find(entry.model)
    return texts.ledger_line(entry.amount, entry.reason, entry.at, model.title if model else "")
