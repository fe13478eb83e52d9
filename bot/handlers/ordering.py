"""Each person's updates are handled in the order they were sent (a flow's steps, a photo and
then its prompt), while different people's updates run side by side."""

from __future__ import annotations

from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.keyed_locks import KeyedLocks


class InOrderPerSender(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = sender_key(update)
        if key is None:
            await coroutine
            return
        async with self._locks.hold(key):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def sender_key(update: object) -> Hashable | None:
    """(chat, user) for what a person sends; None for what may run at once. An album's photos
    run side by side: they are gathered in Redis, and each waits for the others to arrive."""
    if not isinstance(update, Update) or update.effective_user is None:
        return None
    message = update.effective_message
    if message is not None and message.media_group_id is not None:
        return None
    chat = update.effective_chat
    return (chat.id if chat else None, update.effective_user.id)
