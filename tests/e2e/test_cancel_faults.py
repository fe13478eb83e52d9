"""Cancelling across faults: a press that waits out a restart, and a chain (/sketch) cancelled
while its first step's result is on its way: its next step is never submitted."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.sandbox.emulators.novita import NovitaEmulator
from tests.conftest import free_port
from tests.e2e.test_cancel import (
    cancel_buttons,
    inflight,
    job_of,
    late_result,
    press,
    started,
    state,
    status_message,
)
from tests.e2e.test_commands import command
from tests.e2e.test_sketch import DRAWING_STATUS, drawn, novita_settings
from tests.harness import StartBot


async def test_a_press_during_a_restart_is_answered_after_it(start_bot: StartBot) -> None:
    port = free_port()  # the restarted bot is where the provider calls back
    same_place = {"http_port": port, "public_base_url": f"http://127.0.0.1:{port}"}
    async with start_bot(**same_place) as first:
        chat = first.new_user()
        task, status = await started(first, chat)
    job_id = job_of(status)
    # The bot is down: the press waits at Telegram, as it would for a replica to take it.
    update = first.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=button_data(JobAction.CANCEL, job_id),
        message_id=status.result["message_id"],
    )  # fmt: skip
    assert not first.telegram.calls_to("answerCallbackQuery")

    async with start_bot(**same_place) as second:
        query_id = update["callback_query"]["id"]
        [answer] = await second.telegram.wait_for(
            "answerCallbackQuery", lambda c: c.params.get("callback_query_id") == query_id
        )
        assert answer.params["text"] == texts.CANCEL_PRESSED()
        assert await state(second, job_id) == "cancelled"
        await second.wait_said(chat, lambda t: t == texts.JOB_CANCELLED())
        await late_result(second, task)
        assert second.photos_sent()[chat] == 0
        assert await inflight(second, chat) == 0


async def test_a_chain_cancelled_between_its_steps_never_submits_the_next(
    start_bot: StartBot, novita: NovitaEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "bot.jobs.deliver")
    async with start_bot(**novita_settings(novita)) as bot:
        chat = bot.new_user()
        seed, _ = await drawn(bot, novita, chat)
        [status] = await status_message(bot, chat)
        await bot.wait_said(chat, lambda t: t == DRAWING_STATUS)
        [(_, data)] = cancel_buttons(status.params["reply_markup"])

        # The drawing is done and on its way to the chat when the user cancels.
        door = bot.telegram.hold("sendPhoto")
        assert (await novita.send_webhook(seed.task_id, shape="seed"))[0] == 200
        await asyncio.wait_for(door.arrived.wait(), 10)
        assert await bot.redis.hget(f"job:{job_of(status)}", "lease_owner")  # being delivered
        answer = await press(bot, chat, chat, data, status.result["message_id"])
        assert answer.params["text"] == texts.CANCEL_PRESSED()
        door.release()

        await bot.telegram.wait_for("sendPhoto", lambda c: c.ok)
        command(bot, chat, "/jobs")  # a round trip after the delivery gave up
        await bot.wait_said(chat, lambda t: t == texts.JOBS_NONE())
        assert "LeaseLost" in caplog.text  # the delivery found the job cancelled and stopped
        assert [t.endpoint for t in novita.tasks.values()] == ["txt2img"]  # no Kling submit
        assert await state(bot, job_of(status)) == "cancelled"
        assert await inflight(bot, chat) == 0
