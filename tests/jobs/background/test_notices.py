"""Status messages: stopping the queue drops what waits and lets its workers end by themselves."""

from __future__ import annotations

import asyncio
import time
import uuid

from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot.flood import SendRateLimiter
from bot.jobs.background.notices import StatusNotices
from bot.jobs.record import Job
from bot.jobs.store import JobStore
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import TOKEN


async def test_stopping_drops_waiting_messages_and_the_workers_end(
    redis: Redis, telegram: TelegramEmulator
) -> None:
    store = JobStore(redis)
    limiter = SendRateLimiter(max_retries=1)
    async with ExtBot(TOKEN, base_url=f"{telegram.url}/bot", rate_limiter=limiter) as bot:
        notices = StatusNotices(bot, store)
        stopping = asyncio.Event()
        for chat in range(61_000, 61_010):  # jobs still waiting for a status message
            job = Job(uuid.uuid4().hex, chat, chat, "prompt", "m", created_at=time.time())
            await store.create(job, first_poll_at=job.created_at + 60)
            notices.post(job.id)

        stopping.set()
        notices.post("posted-before-the-queue-saw-the-stop")
        await asyncio.wait_for(notices.run(stopping), timeout=5)  # ends without a cancel
        notices.post("posted-after-stop")

    assert telegram.calls_to("sendMessage") == []


async def test_a_running_queue_sends_each_waiting_jobs_status(
    redis: Redis, telegram: TelegramEmulator
) -> None:
    store = JobStore(redis)
    limiter = SendRateLimiter(max_retries=1)
    async with ExtBot(TOKEN, base_url=f"{telegram.url}/bot", rate_limiter=limiter) as bot:
        notices = StatusNotices(bot, store)
        stopping = asyncio.Event()
        running = asyncio.create_task(notices.run(stopping))
        chats = list(range(62_000, 62_003))
        for chat in chats:
            job = Job(uuid.uuid4().hex, chat, chat, "prompt", "m", created_at=time.time())
            await store.create(job, first_poll_at=job.created_at + 60)
            notices.post(job.id)

        sent = await telegram.wait_for("sendMessage", lambda c: c.ok, count=len(chats))
        stopping.set()
        await asyncio.wait_for(running, timeout=5)

    assert sorted(c.params["chat_id"] for c in sent) == chats
