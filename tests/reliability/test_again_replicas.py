"""Again pressed twice at once on two replicas over one Redis: one new job, not two."""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack

from bot import texts
from bot.jobs.buttons import JobAction, button_data
from bot.sandbox.emulators.kie import KieEmulator
from tests.conftest import free_port
from tests.e2e.test_again import delivered, job_of, press
from tests.harness import StartBot
from tests.reliability.test_replicas import WEBHOOK_SECRET, RoundRobin


async def test_two_presses_on_two_replicas_start_one_job(
    start_bot: StartBot, kie: KieEmulator
) -> None:
    balancer = RoundRobin(free_port())
    public = f"http://127.0.0.1:{balancer.port}"
    async with balancer.running(), AsyncExitStack() as stack:
        for _ in range(2):
            replica = await stack.enter_async_context(
                start_bot(public_base_url=public, telegram_webhook_secret=WEBHOOK_SECRET)
            )
            balancer.backends.append(f"http://127.0.0.1:{replica.settings.http_port}")
        bot = replica
        chat = bot.new_user()
        bot.send_photo(chat, caption="make it a watercolor")
        first = await bot.submitted_task()
        result = await delivered(bot, chat, first)
        before = Counter(balancer.served)

        data = button_data(JobAction.AGAIN, job_of(first))
        press(bot, chat, data, result)
        press(bot, chat, data, result)
        await bot.submitted_task(2)
        answers = await bot.telegram.wait_for("answerCallbackQuery", count=2)
        served = Counter(balancer.served)
        served.subtract(before)

        # The fault really happened: each replica took one of the presses.
        assert sorted(served.values()) == [1, 1]
        assert sorted(str(a.params.get("text")) for a in answers) == sorted(
            [texts.AGAIN_ALREADY(), "None"]
        )
        assert len(kie.tasks) == 2  # the first job, and one again
