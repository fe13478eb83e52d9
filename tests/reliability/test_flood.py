"""Telegram flood control: 429 retry_after is honoured, nothing is dropped, chat order is kept,
and results go out before status messages waiting at the same time."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis

from bot import texts
from bot.flood import SendPriority
from bot.jobs.background.notices import edit_status
from bot.jobs.store import JobStore
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.web.keys import PTB_APP
from tests.figures import record
from tests.harness import StartBot, eventually
from tests.reliability.test_exactly_once import LOCAL_STORAGE, RESULT_PNG, finish_all

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


STATUS_BURST = 60  # about 2 s of send slots


async def test_a_burst_of_status_edits_does_not_delay_a_result(
    start_bot: StartBot, kie: KieEmulator, telegram: TelegramEmulator, redis: Redis
) -> None:
    async with start_bot(**LOCAL_STORAGE, **NO_USER_LIMITS) as bot:
        jobs = await bot.start_jobs(STATUS_BURST + 1)
        (*busy, waiting) = jobs
        for chat in jobs:  # every job's status message is out and says "Generating…"
            await bot.wait_said(chat, lambda t: t == texts.GENERATING())
        store = JobStore(redis)
        records = [await store.get(_job_id(jobs[chat].callback_url)) for chat in busy]
        ptb_bot = bot.app[PTB_APP].bot

        # Staged: every busy job's status message is edited at once, as the notices would.
        burst = [
            asyncio.create_task(edit_status(ptb_bot, job, texts.WORKING(), SendPriority.STATUS))
            for job in records
            if job is not None
        ]
        await telegram.wait_for("editMessageText", _burst_edit)  # the burst is under way
        kie.finish(jobs[waiting].task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        answer, _ = await kie.send_callback(jobs[waiting].task_id)
        [photo] = await bot.wait_sent(waiting)
        assert all(await asyncio.gather(*burst))

    edits = [c for c in telegram.calls if c.method == "editMessageText" and _burst_edit(c)]
    later = [c for c in edits if telegram.calls.index(c) > telegram.calls.index(photo)]
    assert answer == 200
    assert len(edits) == STATUS_BURST  # the burst really was queued: every edit went out
    # Served first in, first out, the result would have come after all of them.
    assert len(later) >= STATUS_BURST // 2
    record(f"{STATUS_BURST} status edits queued, then a result",
           f"result sent with {len(later)} edits still waiting",
           "before the waiting edits")  # fmt: skip


def _burst_edit(call: Any) -> bool:
    return bool(call.ok and call.params.get("text") == texts.WORKING())


def _job_id(callback_url: str | None) -> str:
    return parse_qs(urlsplit(callback_url or "").query)["job"][0]
