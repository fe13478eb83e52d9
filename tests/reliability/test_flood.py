"""Telegram flood control: 429 retry_after is honoured, nothing is dropped, chat order is kept."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot.emulators.kie import KieEmulator
from bot.emulators.telegram import TelegramEmulator
from tests.figures import record
from tests.harness import StartBot, eventually
from tests.reliability.test_exactly_once import LOCAL_STORAGE, finish_all

NO_USER_LIMITS: dict[str, Any] = {"user_max_jobs_in_flight": 0, "user_max_jobs_per_hour": 0}


async def test_per_chat_flood_keeps_order_and_drops_nothing(
    start_bot: StartBot,
    kie: KieEmulator,
    redis: Redis,
) -> None:
    telegram = TelegramEmulator(token="123456:TEST-token-abcdef", per_chat_limit_per_s=1)
    await telegram.start()
    try:
        limits = {**LOCAL_STORAGE, **NO_USER_LIMITS}
        async with start_bot(telegram_emulator=telegram, **limits) as bot:
            chat = bot.new_user()
            photo_ids = []
            for n in range(4):
                photo_ids.append(
                    bot.send_photo(chat, caption=f"photo {n}")["message"]["message_id"]
                )
                await bot.submitted_task(n + 1)
            tasks = [t for t in kie.tasks.values()]
            finish_all(kie, tasks)
            for task in tasks:  # results arrive in order
                await kie.send_callback(task.task_id)

            sent = await bot.wait_sent(chat, count=4)

            await eventually(lambda: _undelivered(redis), within=20)
            replied_to = [c.params["reply_parameters"]["message_id"] for c in sent]
            throttled = [c for c in telegram.calls if c.status == 429]
            assert replied_to == photo_ids
            assert throttled, "the emulator never answered 429: the flood was not staged"
            assert bot.photos_sent()[chat] == 4
            record("Telegram 429 burst, one chat (1 msg/s)",
                   f"4/4 delivered in order, {len(throttled)} answers were 429",
                   "all delivered, order kept")  # fmt: skip
    finally:
        await telegram.stop()


async def test_global_flood_delivers_every_result(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    telegram = TelegramEmulator(token="123456:TEST-token-abcdef", flood_limit_per_s=15)
    await telegram.start()
    try:
        async with start_bot(telegram_emulator=telegram, **LOCAL_STORAGE) as bot:
            jobs = await bot.start_jobs(40)
            finish_all(kie, jobs.values())
            for task in jobs.values():
                await kie.send_callback(task.task_id)

            await eventually(lambda: all(bot.photos_sent()[c] for c in jobs), within=60)

            assert {c: bot.photos_sent()[c] for c in jobs} == dict.fromkeys(jobs, 1)
            throttled = sum(1 for c in telegram.calls if c.status == 429)
            assert throttled, "the emulator never answered 429: the flood was not staged"
            record("Telegram 429 burst, 40 chats (15 msg/s)",
                   f"40/40 delivered once, {throttled} answers were 429",
                   "all delivered")  # fmt: skip
    finally:
        await telegram.stop()


async def _undelivered(redis: Redis) -> bool:
    return await redis.zcard("jobs:undelivered") == 0
