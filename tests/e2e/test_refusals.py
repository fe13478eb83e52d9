"""Refusals are refusals: Kie's content refusal reported as a failCode "500" shows its reason,
never invites sending the same thing again, and every failure speaks of what was asked."""

from __future__ import annotations

from bot import texts
from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from tests.e2e.test_commands import command
from tests.harness import BotHarness

REFUSAL = "Inappropriate content, please try another prompt."


async def refuse(bot: BotHarness, count: int = 1, message: str = REFUSAL) -> None:
    """Kie fails the count-th task the way real callbacks carry a content refusal."""
    task = await bot.submitted_task(count=count)
    bot.kie.finish(task.task_id, fail_code="500", fail_msg=message)
    assert (await bot.kie.send_callback(task.task_id))[0] == 200


async def test_an_imagine_refusal_shows_why_and_says_nothing_of_a_photo(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/imagine a fox")
    await refuse(bot)

    expected = texts.failure_text(FailureKind.REJECTED, REFUSAL, from_photo=False)
    [said] = await bot.wait_said(chat, lambda t: t == expected)
    text = said.params["text"]
    assert REFUSAL in text and "photo" not in text and "again" not in text.lower()


async def test_a_photo_edit_refusal_shows_why(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it a watercolor")
    await refuse(bot)

    expected = texts.failure_text(FailureKind.REJECTED, REFUSAL)
    [said] = await bot.wait_said(chat, lambda t: t == expected)
    assert REFUSAL in said.params["text"]
    assert texts.FAILURE_BY_KIND[FailureKind.FAILED]() not in said.params["text"]


async def test_a_video_refusal_does_not_speak_of_an_image_service(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="/video make it dance")
    await refuse(bot)

    expected = texts.failure_text(
        FailureKind.REJECTED, REFUSAL, output=MediaKind.VIDEO, from_photo=True
    )
    [said] = await bot.wait_said(chat, lambda t: t == expected)
    assert "image service" not in said.params["text"] and REFUSAL in said.params["text"]


async def test_a_plain_failure_of_words_asks_for_the_request_not_a_photo(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    command(bot, chat, "/imagine a lighthouse")
    await refuse(bot, message="internal error")

    expected = texts.failure_text(FailureKind.FAILED, from_photo=False)
    [said] = await bot.wait_said(chat, lambda t: t == expected)
    assert "photo" not in said.params["text"]
