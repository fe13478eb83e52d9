"""Synchronous Seedream calls in the background: reported through the hook, kept in Redis for
polling (also by another process after a restart), cancelled at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.errors import FailureKind
from bot.providers.base import TaskOutcome, TaskStatus
from bot.providers.novita.client import NovitaClient
from bot.providers.novita.sync import SyncRunner, is_sync_task
from bot.sandbox.emulators.novita import NovitaEmulator
from tests.conftest import NOVITA_KEY
from tests.harness import eventually

BODY = {"prompt": "a fox", "model": "seedream-3-0-t2i-250415", "size": "720x1280"}


@pytest.fixture
async def client(novita: NovitaEmulator) -> AsyncIterator[NovitaClient]:
    async with aiohttp.ClientSession() as http:
        yield NovitaClient(http, novita.url, NOVITA_KEY, attempts=1)


async def test_the_result_is_reported_and_kept_for_any_process(
    client: NovitaClient, redis: Redis, novita: NovitaEmulator
) -> None:
    reported: list[tuple[str, TaskOutcome]] = []

    async def hook(job_id: str, outcome: TaskOutcome) -> None:
        reported.append((job_id, outcome))

    novita.hold_sync()
    runner = SyncRunner(client, redis, hook)
    task_id = runner.start("job-1", BODY)
    assert is_sync_task(task_id)
    await novita.wait_for_task()
    assert (await runner.outcome(task_id)).status is TaskStatus.PENDING

    novita.release_sync()
    [(job_id, outcome)] = await eventually(lambda: reported)
    assert job_id == "job-1" and outcome.status is TaskStatus.SUCCEEDED
    # Another process (or this one after a restart) reads the same outcome while polling.
    other = SyncRunner(client, redis, hook)
    assert await other.outcome(task_id) == outcome


async def test_a_refusal_is_reported_as_a_failure(
    client: NovitaClient, redis: Redis, novita: NovitaEmulator
) -> None:
    reported: list[TaskOutcome] = []

    async def hook(job_id: str, outcome: TaskOutcome) -> None:
        reported.append(outcome)

    novita.fail_next(400, "INVALID_REQUEST_BODY", "bad size")
    SyncRunner(client, redis, hook).start("job-2", BODY)

    [outcome] = await eventually(lambda: reported)
    assert (outcome.status, outcome.fail_kind, outcome.error_message) == (
        TaskStatus.FAILED, FailureKind.REJECTED, "bad size",
    )  # fmt: skip


async def test_shutdown_cancels_calls_still_running(
    client: NovitaClient, redis: Redis, novita: NovitaEmulator
) -> None:
    reported: list[TaskOutcome] = []

    async def hook(job_id: str, outcome: TaskOutcome) -> None:
        reported.append(outcome)

    novita.hold_sync()
    runner = SyncRunner(client, redis, hook)
    task_id = runner.start("job-3", BODY)
    await novita.wait_for_task()

    await asyncio.wait_for(runner.aclose(), 5)

    assert reported == []
    assert (await runner.outcome(task_id)).status is TaskStatus.PENDING
