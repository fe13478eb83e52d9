"""/history end to end: the user's jobs newest first with what became of each, Run again under
those that can, older pages in place, and a plain answer for everything else."""

from __future__ import annotations

from typing import Any

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.jobs.history import page_data
from bot.sandbox.emulators.telegram import ApiCall
from tests.e2e.test_again import delivered, job_of, press
from tests.e2e.test_commands import command
from tests.harness import BotHarness, StartBot


def buttons(call: ApiCall) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


async def history(bot: BotHarness, chat: int) -> ApiCall:
    """Send /history; the bot's answer."""
    update = bot.telegram.message_update(chat_id=chat, user_id=chat, text="/history")
    await bot.settled(update)
    starts = (texts.HISTORY_TITLE(), texts.HISTORY_EMPTY())
    return [
        c for c in bot.telegram.calls_to("sendMessage")
        if c.ok and int(c.params["chat_id"]) == chat and c.params["text"].startswith(starts)
    ][-1]  # fmt: skip


async def test_no_jobs_says_what_to_do(bot: BotHarness) -> None:
    chat = bot.new_user()
    answer = await history(bot, chat)

    assert answer.params["text"] == texts.HISTORY_EMPTY()
    assert "/imagine" in answer.params["text"]
    assert buttons(answer) == []


async def test_jobs_newest_first_with_their_outcomes_and_run_again(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it a watercolor")
    done = await bot.submitted_task()
    await delivered(bot, chat, done)
    command(bot, chat, "/imagine a forbidden thing")
    refused = await bot.submitted_task(2)
    bot.kie.finish(refused.task_id, fail_code="500", fail_msg="Inappropriate content")
    assert (await bot.kie.send_callback(refused.task_id))[0] == 200
    await bot.wait_said(chat, lambda t: "Inappropriate content" in t)
    command(bot, chat, "/video waves\u202e at \u200bsunset")  # a prompt with invisible marks
    running = await bot.submitted_task(3)

    answer = await history(bot, chat)
    text = answer.params["text"]

    lines = text.split("\n\n")
    assert lines[0] == texts.HISTORY_TITLE()
    assert lines[1].startswith("1. Video, ") and lines[1].endswith(
        "still running\n“waves at sunset”"
    )
    assert lines[2].startswith("2. Image, ")
    assert "failed (refused: Inappropriate content)" in lines[2]
    assert lines[2].endswith("“a forbidden thing”")
    assert lines[3].startswith("3. Image, ") and "delivered\n“make it a watercolor”" in lines[3]
    assert " UTC: " in lines[3]
    assert answer.params.get("parse_mode") is None  # a prompt is shown as typed, never markup
    assert buttons(answer) == [
        (texts.RUN_AGAIN(number=str(n)), button_data(JobAction.AGAIN, job_of(task)))
        for n, task in enumerate([running, refused, done], start=1)
    ]

    press(bot, chat, button_data(JobAction.AGAIN, job_of(done)), answer)
    again = await bot.submitted_task(4)
    assert (again.model, again.input["prompt"]) == (done.model, "make it a watercolor")


async def test_pages_go_back_in_place_for_their_owner_only(start_bot: StartBot) -> None:
    async with start_bot(user_max_jobs_in_flight=0) as bot:
        chat, stranger = bot.new_user(), bot.new_user()
        for n in range(11):
            command(bot, chat, f"/imagine picture {n}")
        await bot.submitted_task(11)

        first = await history(bot, chat)
        assert first.params["text"].count("\n\n") == 10
        assert "picture 10" in first.params["text"] and "picture 0" not in first.params["text"]
        assert buttons(first)[-1] == (texts.HISTORY_OLDER(), page_data(chat, 10))

        press(bot, chat, page_data(chat, 10), first)
        page_turned = lambda c: c.params["message_id"] == first.result["message_id"]  # noqa: E731
        [edit] = await bot.telegram.wait_for("editMessageText", page_turned)
        assert "picture 0" in edit.params["text"]
        assert edit.params["message_id"] == first.result["message_id"]
        assert edit.params["text"].startswith(texts.HISTORY_TITLE_OLDER(first="11", last="11"))
        assert buttons(edit)[-1] == (texts.HISTORY_NEWER(), page_data(chat, 0))

        refused: list[dict[str, Any]] = [
            press(bot, chat, page_data(chat, 20), first),  # past the end
            press(bot, chat, "hist:garbage", first),
            press(bot, chat, f"hist:{chat}:7", first),  # not a page's start
            press(bot, chat, page_data(chat, 0), first, user_id=stranger),
        ]
        await bot.settled(*refused)
        await bot.telegram.wait_for("answerCallbackQuery", count=5)
        said = {
            c.params["callback_query_id"]: c.params.get("text")
            for c in bot.telegram.calls_to("answerCallbackQuery")
        }

        assert [said[u["callback_query"]["id"]] for u in refused] == [
            texts.HISTORY_NO_MORE(), texts.HISTORY_NO_MORE(), texts.HISTORY_NO_MORE(),
            texts.HISTORY_NOT_YOURS(),
        ]  # fmt: skip
        # Only the owner's page turn edited the list.
        assert len([c for c in bot.telegram.calls_to("editMessageText") if page_turned(c)]) == 1
