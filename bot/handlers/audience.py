"""In groups the bot answers only what is addressed to it: commands, mentions, replies to it."""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes, filters


def addressed_to_bot(message: Message) -> bool:
    """A private message, or in a group a command, a mention of the bot, or a reply to it."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    bot = message.get_bot()
    replied = message.reply_to_message
    if replied and replied.from_user and replied.from_user.id == bot.id:
        return True
    username = (bot.username or "").lower()
    entities = message.parse_entities() or message.parse_caption_entities()
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return True
        if entity.type == MessageEntity.MENTION and text[1:].lower() == username:
            return True
    return False


class _MayConcernBot(filters.MessageFilter):
    """What handlers get to see. An album's photos all pass: the album is judged as a whole,
    since only one of them carries the caption that may mention the bot."""

    def filter(self, message: Message) -> bool:
        return addressed_to_bot(message) or message.media_group_id is not None


MAY_CONCERN_BOT = _MayConcernBot()


async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group chatter not meant for the bot: no answer, and no later handler sees it."""
    raise ApplicationHandlerStop
