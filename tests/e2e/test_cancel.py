"""Cancelling a running job end to end: the status message's Cancel button, /cancel, /jobs and
its buttons; a late result is never sent; the slot comes back once; "2nd of 3"."""

from __future__ import annotations

import asyncio
from typing import Any

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.locales import speaking
from bot.sandbox.emulators.kie import KieTask
from bot.sandbox.emulators.telegram import ApiCall
from tests.e2e.test_commands import RESULT, command
from tests.harness import BotHarness, StartBot, eventually

CANCEL_PREFIX = "job:cancel:"


def cancel_buttons(markup: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(label, data) of the Cancel buttons in a keyboard."""
    rows = (markup or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row
            if b.get("callback_data", "").startswith(CANCEL_PREFIX)]  # fmt: skip


async def status_message(bot: BotHarness, chat: int, count: int = 1) -> list[ApiCall]:
    """The chat's status messages that carry a Cancel button, once `count` are out."""
    return await bot.telegram.wait_for(
        "sendMessage",
        lambda c: (
            c.ok
            and int(c.params["chat_id"]) == chat
            and bool(cancel_buttons(c.params.get("reply_markup")))
        ),
        count=count,
    )


async def press(bot: BotHarness, chat: int, user: int, data: str, message_id: int) -> ApiCall:
    """A press of the button with `data` under message `message_id`; Photobot's answer."""
    update = bot.telegram.callback_query_update(
        chat_id=chat, user_id=user, data=data, message_id=message_id
    )
    query_id = update["callback_query"]["id"]
    [answer] = await bot.telegram.wait_for(
        "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query_id
    )
    return answer


async def state(bot: BotHarness, job_id: str) -> str | None:
    return await bot.redis.hget(f"job:{job_id}", "state")


async def inflight(bot: BotHarness, user: int) -> int:
    return int(await bot.redis.hget(f"user:{user}", "inflight") or 0)


async def started(
    bot: BotHarness, chat: int, prompt: str = "make it gold"
) -> tuple[KieTask, ApiCall]:
    """A user's captioned photo became a Kie task; its status message with its Cancel button."""
    before = len(bot.kie.tasks)
    bot.send_photo(chat, caption=prompt)
    task = await bot.submitted_task(before + 1)
    statuses = await status_message(bot, chat, count=1)
    return task, statuses[-1]


def job_of(status: ApiCall) -> str:
    [(_, data)] = cancel_buttons(status.params["reply_markup"])
    return data.removeprefix(CANCEL_PREFIX)


async def late_result(bot: BotHarness, task: KieTask) -> None:
    """The provider finishes the task anyway and calls back: answered 200, as a duplicate."""
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200


async def test_the_status_message_cancel_button_stops_the_job(bot: BotHarness) -> None:
    chat = bot.new_user()
    task, status = await started(bot, chat)
    job_id = job_of(status)
    assert cancel_buttons(status.params["reply_markup"]) == [
        (texts.CANCEL_BUTTON(), button_data(JobAction.CANCEL, job_id))
    ]
    assert await inflight(bot, chat) == 1

    answer = await press(bot, chat, chat, button_data(JobAction.CANCEL, job_id),
                         status.result["message_id"])  # fmt: skip

    assert answer.params["text"] == texts.CANCEL_PRESSED()
    assert await state(bot, job_id) == "cancelled"
    assert await inflight(bot, chat) == 0
    [told] = await bot.wait_said(chat, lambda t: t == texts.JOB_CANCELLED())
    assert told.method == "editMessageText" and "reply_markup" not in told.params  # button gone
    assert await bot.redis.zscore("jobs:poll", job_id) is None

    await late_result(bot, task)  # cancel, then the callback: no media, still cancelled
    assert await state(bot, job_id) == "cancelled"
    assert bot.photos_sent()[chat] == 0
    assert await inflight(bot, chat) == 0  # the late result gave nothing back a second time


async def test_pressed_twice_by_another_user_and_forged(bot: BotHarness) -> None:
    group, owner, other = -1007770042, bot.new_user(), bot.new_user()
    before = len(bot.kie.tasks)
    bot.telegram.message_update(chat_id=group, user_id=owner, text="/imagine a quiet harbour")
    await bot.submitted_task(before + 1)
    [status] = await status_message(bot, group)
    job_id, message_id = job_of(status), status.result["message_id"]
    data = button_data(JobAction.CANCEL, job_id)

    stranger = await press(bot, group, other, data, message_id)
    assert stranger.params["text"] == texts.CANCEL_NOT_YOURS()
    assert stranger.params["show_alert"] is True
    assert await state(bot, job_id) == "submitted"

    forged = f"{CANCEL_PREFIX}{'0' * 32}"
    assert (await press(bot, group, owner, forged, message_id)).params["text"] == (
        texts.CANCEL_GONE()
    )
    garbage = await press(bot, group, owner, f"{CANCEL_PREFIX}../../etc", message_id)
    assert garbage.params["text"] == texts.CANCEL_GONE()
    assert await state(bot, job_id) == "submitted"

    slots = await inflight(bot, owner)
    first = await press(bot, group, owner, data, message_id)
    second = await press(bot, group, owner, data, message_id)
    assert first.params["text"] == texts.CANCEL_PRESSED()
    assert second.params["text"] == texts.CANCEL_ALREADY()
    assert await inflight(bot, owner) == slots - 1


async def test_a_delivered_job_is_already_done(bot: BotHarness) -> None:
    chat = bot.new_user()
    task, _ = await started(bot, chat)
    command(bot, chat, "/jobs")
    [listing] = await bot.telegram.wait_for(
        "sendMessage", lambda c: int(c.params["chat_id"]) == chat
        and str(c.params["text"]).startswith(texts.JOBS_TITLE()),
    )  # fmt: skip
    [(label, data)] = cancel_buttons(listing.params["reply_markup"])
    assert label == texts.CANCEL_NUMBERED(number="1")

    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    await bot.wait_sent(chat)
    await eventually(lambda: state(bot, data.removeprefix(CANCEL_PREFIX)))
    await eventually(lambda: _is(bot, data, "delivered"))

    answer = await press(bot, chat, chat, data, listing.result["message_id"])
    assert answer.params["text"] == texts.CANCEL_TOO_LATE()
    assert await state(bot, data.removeprefix(CANCEL_PREFIX)) == "delivered"


async def _is(bot: BotHarness, data: str, wanted: str) -> bool:
    return await state(bot, data.removeprefix(CANCEL_PREFIX)) == wanted


async def test_cancel_command_with_one_job_cancels_it_and_frees_the_slot(
    start_bot: StartBot,
) -> None:
    async with start_bot(user_max_jobs_in_flight=1) as bot:
        chat = bot.new_user()
        first, status = await started(bot, chat, "first")
        bot.send_photo(chat, caption="second")
        await bot.wait_said(chat, lambda t: t == texts.TOO_MANY_IN_FLIGHT())

        command(bot, chat, "/cancel")
        await bot.wait_said(chat, lambda t: t == texts.CANCEL_PRESSED())
        assert await state(bot, job_of(status)) == "cancelled"
        assert await inflight(bot, chat) == 0

        third, _ = await started(bot, chat, "third")  # the slot is free again
        assert third.input["prompt"] == "third"
        assert await inflight(bot, chat) == 1
        await late_result(bot, first)
        assert await inflight(bot, chat) == 1  # never given back twice, never below zero
        assert bot.photos_sent()[chat] == 0

        command(bot, chat, "/cancel")
        await bot.wait_said(chat, lambda t: t == texts.CANCEL_PRESSED(), count=2)
        command(bot, chat, "/cancel")
        await bot.wait_said(chat, lambda t: t == texts.NOTHING_TO_CANCEL())
        assert await inflight(bot, chat) == 0


async def test_jobs_lists_each_with_its_cancel_and_second_of_three(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/jobs")
    await bot.wait_said(chat, lambda t: t == texts.JOBS_NONE())

    await started(bot, chat, "one")
    await started(bot, chat, "two")
    before = len(bot.kie.tasks)
    command(bot, chat, "/video a kite over the dunes")
    await bot.submitted_task(before + 1)
    third = await bot.wait_said(chat, lambda t: t.endswith(texts.job_place(3, 3)))
    assert texts.job_place(3, 3) == "3rd of 3 in progress"
    assert cancel_buttons(third[0].params.get("reply_markup"))

    command(bot, chat, "/jobs")
    [listing] = await bot.wait_said(chat, lambda t: t.startswith(texts.JOBS_TITLE()))
    lines = str(listing.params["text"]).splitlines()
    assert lines[1].startswith("1) Your image, ") and lines[3].startswith("3) Your video, ")
    assert lines[1].endswith(texts.JOB_MAKING())
    buttons = cancel_buttons(listing.params["reply_markup"])
    assert [label for label, _ in buttons] == ["Cancel 1", "Cancel 2", "Cancel 3"]

    answer = await press(bot, chat, chat, buttons[1][1], listing.result["message_id"])
    assert answer.params["text"] == texts.CANCEL_PRESSED()
    refreshed = await bot.telegram.wait_for(
        "editMessageText",
        lambda c: c.params.get("message_id") == listing.result["message_id"],
    )
    assert [label for label, _ in cancel_buttons(refreshed[0].params["reply_markup"])] == [
        "Cancel 1", "Cancel 2"
    ]  # fmt: skip
    assert await state(bot, buttons[1][1].removeprefix(CANCEL_PREFIX)) == "cancelled"


async def test_second_of_three_in_indonesian(bot: BotHarness) -> None:
    chat = bot.new_user()
    for n in range(3):
        before = len(bot.kie.tasks)
        bot.telegram.message_update(chat_id=chat, user_id=chat, text=f"/imagine kucing {n}",
                                    language_code="id")  # fmt: skip
        await bot.submitted_task(before + 1)
    with speaking("id"):
        place = texts.job_place(3, 3)
    assert place == "ke-3 dari 3 yang sedang berjalan"
    await bot.wait_said(chat, lambda t: t.endswith(place))


async def test_a_status_message_posted_as_its_job_ends_leaves_no_cancel_behind(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    door = bot.telegram.hold("sendMessage")  # the status message waits at Telegram's door
    bot.send_photo(chat, caption="make it gold")
    task = await bot.submitted_task()
    await asyncio.wait_for(door.arrived.wait(), 10)
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    await bot.wait_sent(chat)  # the result went out while the status message was held

    door.release()
    [status] = await status_message(bot, chat)
    [deleted] = await bot.telegram.wait_for(
        "deleteMessage", lambda c: c.params["message_id"] == status.result["message_id"]
    )
    assert deleted.ok
