"""Admin commands: /stats."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot import texts
from bot.admin.stats import read_stats
from bot.deps import Deps, deps_of
from bot.errors import ProviderError
from bot.providers.base import Provider

log = logging.getLogger(__name__)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    deps = deps_of(context)
    if user.id not in deps.settings.admin_ids:
        await message.reply_text(texts.STATS_REFUSED)
        return
    text = await _stats_text(deps)
    if message.chat.type == ChatType.PRIVATE:
        await message.reply_text(text)
        return
    # Figures are for admins only: never post them to a whole group.
    try:
        await context.bot.send_message(user.id, text)
    except Forbidden:  # the admin never opened a private chat with the bot
        await message.reply_text(texts.STATS_ASK_PRIVATELY)
        return
    await message.reply_text(texts.STATS_SENT_PRIVATELY)


async def _stats_text(deps: Deps) -> str:
    titles = {m.key: m.title for m in deps.registry.models}
    figures = await read_stats(deps.redis, list(titles))
    providers = [
        (await deps.failover.health(name), await _balance(name, provider))
        for name, provider in deps.providers.items()
    ]
    return texts.stats_text(
        users=figures.users,
        jobs_today=figures.jobs_today,
        jobs_total=figures.jobs_total,
        succeeded=figures.succeeded,
        failed=figures.failed,
        in_progress=figures.in_progress,
        mean_s=figures.mean_s,
        p95_s=figures.p95_s,
        providers=providers,
        by_model=[(titles[m.model], m) for m in figures.by_model],
    )


async def _balance(name: str, provider: Provider) -> float | None:
    try:
        return await provider.balance()
    except ProviderError as exc:
        log.warning("%s balance unavailable: %s", name, exc.code)
        return None
