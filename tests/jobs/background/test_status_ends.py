"""A status message that reaches the chat as its job ends or is cancelled never lingers with a
Cancel button: the notice reads the job again once it is posted."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot import texts
from bot.flood import SendRateLimiter
from bot.jobs.background.notices import StatusNotices
from bot.jobs.record import Job, JobState, ResultMark
from bot.jobs.store import CancelResult, JobStore, Outcome
from bot.providers.base import ResultMedia
from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator
from tests.conftest import TOKEN

Meanwhile = Callable[[JobStore, Job], Awaitable[None]]


@pytest.fixture
async def notices(redis: Redis, telegram: TelegramEmulator) -> AsyncIterator[StatusNotices]:
    limiter = SendRateLimiter(max_retries=1)
    async with ExtBot(TOKEN, base_url=f"{telegram.url}/bot", rate_limiter=limiter) as bot:
        queue = StatusNotices(bot, JobStore(redis))
        stopping = asyncio.Event()
        running = asyncio.create_task(queue.run(stopping))
        yield queue
        stopping.set()
        await asyncio.wait_for(running, timeout=5)


async def posted_while(
    notices: StatusNotices, redis: Redis, telegram: TelegramEmulator, meanwhile: Meanwhile
) -> ApiCall:
    """The job's status message is held at Telegram's door while `meanwhile` happens."""
    store = JobStore(redis)
    chat = 63_000 + uuid.uuid4().int % 10_000
    job = Job(uuid.uuid4().hex, chat, chat, "prompt", "m", created_at=time.time())
    await store.create(job, first_poll_at=job.created_at + 60)
    door = telegram.hold("sendMessage")
    notices.post(job.id)
    await asyncio.wait_for(door.arrived.wait(), 5)
    await meanwhile(store, job)
    door.release()
    [status] = await telegram.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] == chat
    )
    return status


async def delivered(store: JobStore, job: Job, state: JobState) -> None:
    """A deliverer that never saw the status message (it was not out yet)."""
    await store.record_outcome(job.id, Outcome(state, results=(ResultMedia("u"),)))
    assert await store.claim(job.id, "deliverer", 15) is not None
    if state is JobState.SUCCEEDED:
        assert await store.mark_result(job.id, "deliverer", 0, ResultMark.SENT)
    assert await store.mark_delivered(job.id, "deliverer")


async def test_delivered_meanwhile_it_is_removed(
    notices: StatusNotices, redis: Redis, telegram: TelegramEmulator
) -> None:
    status = await posted_while(
        notices, redis, telegram, lambda s, j: delivered(s, j, JobState.SUCCEEDED)
    )
    message_id = status.result["message_id"]
    await telegram.wait_for("deleteMessage", lambda c: c.params["message_id"] == message_id)


async def test_failed_meanwhile_it_loses_its_cancel(
    notices: StatusNotices, redis: Redis, telegram: TelegramEmulator
) -> None:
    status = await posted_while(
        notices, redis, telegram, lambda s, j: delivered(s, j, JobState.FAILED)
    )
    message_id = status.result["message_id"]
    [edit] = await telegram.wait_for(
        "editMessageReplyMarkup", lambda c: c.params["message_id"] == message_id
    )
    assert edit.ok and not edit.params.get("reply_markup")


async def test_cancelled_meanwhile_it_says_so(
    notices: StatusNotices, redis: Redis, telegram: TelegramEmulator
) -> None:
    async def cancel(store: JobStore, job: Job) -> None:
        assert await store.cancel(job.id, job.user_id) is CancelResult.CANCELLED

    status = await posted_while(notices, redis, telegram, cancel)
    assert status.params["reply_markup"]  # it went out with its Cancel button…
    message_id = status.result["message_id"]
    [edit] = await telegram.wait_for(
        "editMessageText", lambda c: c.params["message_id"] == message_id
    )
    assert edit.params["text"] == texts.JOB_CANCELLED()  # …and says it was cancelled, without
    assert not edit.params.get("reply_markup")
