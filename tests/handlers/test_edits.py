"""Edited messages never start (and pay for) a job again."""

from __future__ import annotations

from bot import texts
from tests.harness import BotHarness


async def test_editing_a_caption_twice_starts_no_new_job(bot: BotHarness) -> None:
    chat = bot.new_user()
    photo = bot.send_photo(chat, caption="make it a watercolor")
    await bot.submitted_task()
    message_id = photo["message"]["message_id"]

    edits = [
        bot.telegram.edited_message_update(chat_id=chat, message_id=message_id, caption=caption)
        for caption in ("make it an oil painting", "make it a pencil sketch")
    ]

    await bot.wait_said(chat, lambda t: t == texts.EDIT_IGNORED(), count=2)
    await bot.settled(photo, *edits)
    assert len(bot.kie.tasks) == 1


async def test_an_edited_command_is_not_run_again(bot: BotHarness) -> None:
    chat = bot.new_user()
    command = bot.telegram.message_update(chat_id=chat, user_id=chat, text="/help")
    await bot.wait_said(chat, lambda t: t == texts.HELP())

    edit = bot.telegram.edited_message_update(
        chat_id=chat, message_id=command["message"]["message_id"], text="/start"
    )

    await bot.settled(command, edit)
    assert len(bot.telegram.sent_messages(chat)) == 1
