"""Each result delivered exactly once: duplicate storms, lost callbacks, forgeries, Redis faults."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from redis.asyncio import Redis

from bot import texts
from bot.app.redis_server import RedisServer
from bot.sandbox.emulators.kie import KieEmulator, KieTask
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import free_port
from tests.figures import record
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png

T = TypeVar("T")
RESULT_PNG = png(text=b"exactly-once")
LOCAL_STORAGE: dict[str, Any] = {
    "r2_endpoint_url": None, "r2_access_key_id": None, "r2_secret_access_key": None,
    "r2_bucket": None,
}  # fmt: skip


async def bounded(calls: Iterable[Callable[[], Awaitable[T]]], limit: int = 32) -> list[T]:
    """Run coroutine factories with at most `limit` in flight."""
    slots = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[T]]) -> T:
        async with slots:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


def finish_all(kie: KieEmulator, tasks: Iterable[KieTask]) -> None:
    url = kie.add_result_file(RESULT_PNG)
    for task in tasks:
        kie.finish(task.task_id, result_urls=[url])


async def all_delivered(bot: BotHarness, chats: Iterable[int]) -> None:
    chats = list(chats)
    await eventually(lambda: all(bot.photos_sent()[c] >= 1 for c in chats), within=60)
    await eventually(lambda: _none_left(bot), within=30)


async def _none_left(bot: BotHarness) -> bool:
    return await bot.redis.zcard("jobs:undelivered") == 0


async def test_duplicate_storm(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(**LOCAL_STORAGE) as bot:
        jobs = await bot.start_jobs(200)
        finish_all(kie, jobs.values())

        answers = await bounded(
            lambda t=task: kie.send_callback(t.task_id) for task in jobs.values() for _ in range(5)
        )
        await all_delivered(bot, jobs)

        sent = bot.photos_sent()
        assert [status for status, _ in answers] == [200] * 1000
        assert {chat: sent[chat] for chat in jobs} == dict.fromkeys(jobs, 1)
        record("duplicate storm: 200 jobs x 5 callbacks", f"{sum(sent.values())} deliveries",
               "200 deliveries")  # fmt: skip


async def test_lost_callbacks_are_delivered_by_polling(
    start_bot: StartBot,
    kie: KieEmulator,
) -> None:
    async with start_bot(poll_after_seconds=0.5, **LOCAL_STORAGE) as bot:
        jobs = await bot.start_jobs(50)
        finish_all(kie, jobs.values())  # results exist, callbacks never come

        await all_delivered(bot, jobs)

        sent = bot.photos_sent()
        assert {chat: sent[chat] for chat in jobs} == dict.fromkeys(jobs, 1)
        polled = {r.query["taskId"] for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"}
        assert polled == {t.task_id for t in jobs.values()}
        record("lost callbacks: 50 jobs, no callback", f"{len(sent)} delivered by polling",
               "50 delivered by polling")  # fmt: skip


async def test_forged_callbacks_are_all_refused(
    start_bot: StartBot,
    telegram: TelegramEmulator,
    kie: KieEmulator,
    redis: Redis,
) -> None:
    hmac_key = "kie-hmac-test-key"
    async with start_bot(kie_webhook_hmac_key=hmac_key, **LOCAL_STORAGE) as bot:
        jobs = await bot.start_jobs(2)
        (chat_a, task_a), (_, task_b) = jobs.items()
        finish_all(kie, jobs.values())
        job_a = parse_qs(urlsplit(task_a.callback_url).query)["job"][0]
        for chat in jobs:  # status messages go out on their own; let them, then count
            await bot.wait_said(chat, lambda t: t == texts.GENERATING())
        telegram_before, kie_before = _bot_calls(telegram), len(kie.requests)
        forgeries = _forgeries(kie, task_a, task_b, hmac_key, job_a)

        answers = await bounded(
            lambda f=f: kie.send_callback(task_a.task_id, url=f[0], headers=f[1]) for f in forgeries
        )

        statuses = [status for status, _ in answers]
        assert len(statuses) == 1000
        assert set(statuses) <= {401, 403}
        assert await redis.hget(f"job:{job_a}", "state") == "submitted"
        assert _bot_calls(telegram) == telegram_before
        assert len(kie.requests) == kie_before + 0  # answers came from us, not from Kie
        # The genuine callback, properly signed, still works afterwards.
        good, _ = await kie.send_callback(
            task_a.task_id, headers=kie.sign_webhook(task_a.task_id, hmac_key)
        )
        assert good == 200
        await bot.wait_sent(chat_a)
        record("1,000 forged callbacks", f"{statuses.count(200)} accepted, 0 Telegram calls, "
               "0 provider calls", "0 accepted")  # fmt: skip


def _bot_calls(telegram: TelegramEmulator) -> int:
    """Calls that do something in a chat (long polls come and go on their own)."""
    return sum(1 for c in telegram.calls if c.method != "getUpdates")


def _forgeries(
    kie: KieEmulator, task_a: KieTask, task_b: KieTask, hmac_key: str, job_a: str
) -> list[tuple[str, dict[str, str]]]:
    base = task_a.callback_url.split("?")[0]
    good_signature = kie.sign_webhook(task_a.task_id, hmac_key)
    stale = kie.sign_webhook(task_a.task_id, hmac_key, timestamp=int(time.time()) - 3600)
    wrong_key = kie.sign_webhook(task_a.task_id, "not-the-key")
    kinds: list[tuple[str, dict[str, str]]] = [
        (f"{base}?job={job_a}", good_signature),  # no token
        (f"{base}?job={job_a}&token={'f' * 32}", good_signature),  # wrong token
        (task_b.callback_url, good_signature),  # another job's token
        (task_a.callback_url, wrong_key),  # bad HMAC
        (task_a.callback_url, stale),  # stale timestamp
        (task_a.callback_url, {}),  # no signature at all
        (f"{base}?token={'0' * 32}", good_signature),  # no job
        (f"{base}?job={job_a}&token={'0' * 31}g", good_signature),  # near miss
    ]
    return [kinds[i % len(kinds)] for i in range(1000)]


async def test_redis_restart_loses_and_repeats_nothing(
    start_bot: StartBot,
    kie: KieEmulator,
    redis: Redis,
    tmp_path: Path,
) -> None:
    own = RedisServer(tmp_path / "restarting-redis", port=free_port())
    await own.start()
    values = dict(redis_url=own.url, poll_after_seconds=1, **LOCAL_STORAGE)
    try:
        async with start_bot(**values) as bot:
            jobs = await bot.start_jobs(50)
            finish_all(kie, jobs.values())
            tasks = list(jobs.values())

            own.stop()
            during = await bounded(lambda t=t: kie.send_callback(t.task_id) for t in tasks[:25])
            await own.start()
            await eventually(bot.healthy, within=30)
            # Kie's retries of the refused callbacks; the other 25 never call back (polling).
            after = await bounded(lambda t=t: kie.send_callback(t.task_id) for t in tasks[:25])

            sent = await _delivered_counts(bot, own.url, jobs)
            assert {status for status, _ in during} == {503}
            assert {status for status, _ in after} == {200}
            assert sent == dict.fromkeys(jobs, 1)
            record("Redis restarted, 50 jobs in flight", "0 lost, 0 duplicated",
                   "0 lost, 0 duplicated")  # fmt: skip
    finally:
        own.stop()


async def _delivered_counts(bot: BotHarness, url: str, jobs: dict[int, KieTask]) -> dict[int, int]:
    own_redis = Redis.from_url(url, decode_responses=True)
    try:
        await eventually(lambda: all(bot.photos_sent()[c] >= 1 for c in jobs), within=60)
        await eventually(lambda: _zero(own_redis.zcard("jobs:undelivered")), within=30)
    finally:
        await own_redis.aclose()
    sent = bot.photos_sent()
    return {chat: sent[chat] for chat in jobs}


async def _zero(value: Awaitable[int]) -> bool:
    return await value == 0
