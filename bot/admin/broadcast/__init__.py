"""Broadcasts: an admin's message copied to every user who ever wrote to the bot, resumable on
any replica, each user marked done only once Telegram accepted their copy."""

from bot.admin.broadcast.runner import BroadcastRunner
from bot.admin.broadcast.store import BroadcastStore, Draft, Progress

__all__ = ["BroadcastRunner", "BroadcastStore", "Draft", "Progress"]
