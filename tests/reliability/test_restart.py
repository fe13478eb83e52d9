"""The bot process killed with SIGKILL mid-flight and started again: nothing lost."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.child import BotHarnessView, child_env, running_bot
from tests.conftest import free_port
from tests.figures import record
from tests.harness import eventually
from tests.reliability.test_exactly_once import finish_all

JOBS = 50


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_sigkill_mid_flight_loses_nothing(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data")
    # The harness gives the test its user-side helpers; the bot itself runs in the child.
    users = BotHarnessView(telegram, kie, redis)
    async with running_bot(env, tmp_path, tmp_path / "first.log") as first:
        jobs = await users.start_jobs(JOBS)
        await eventually(lambda: _all_have_tasks(redis, JOBS), within=30)
        finish_all(kie, jobs.values())
        task_ids = [t.task_id for t in jobs.values()]
        # Two thirds call back before the kill; once a third are delivered, sends are held at
        # Telegram's door, and the kill lands while deliveries wait there; the last third
        # calls back while the bot is down, so those callbacks are lost.
        answered = await _callbacks(kie, task_ids[: JOBS * 2 // 3])
        await telegram.wait_for("sendPhoto", lambda c: c.ok, count=JOBS // 3, timeout=30)
        door = telegram.hold("sendPhoto")
        await asyncio.wait_for(door.arrived.wait(), 30)
        leased = await _leased(redis)
        held = door.waiting
        first.kill()  # SIGKILL: no shutdown code runs
        await first.wait()
        door.fail()  # what was held never reached the chat
        lost = await _callbacks(kie, task_ids[JOBS * 2 // 3 :])

    async with running_bot(env, tmp_path, tmp_path / "second.log"):
        await eventually(lambda: all(users.photos_sent()[c] for c in jobs), within=90)
        await eventually(lambda: _zero(redis.zcard("jobs:undelivered")), within=30)

    sent = users.photos_sent()
    duplicates = sum(sent[c] - 1 for c in jobs)
    assert all(sent[c] >= 1 for c in jobs)
    assert duplicates <= 1
    # The faults really happened: deliveries were in flight at the kill, and the callbacks sent
    # while the bot was down were all refused.
    assert held >= 1 and leased >= 1
    assert answered == JOBS * 2 // 3 and lost == 0
    cut_off = JOBS - answered
    record("SIGKILL mid-flight + restart, 50 jobs", f"0 lost, {duplicates} duplicated ({leased} "
           f"deliveries in flight at the kill, {cut_off} callbacks cut off)",
           "0 lost, <= 1 duplicate per kill")  # fmt: skip


async def _leased(redis: Redis) -> int:
    """Jobs whose delivery is claimed (a lease is held) but not finished."""
    leases = [await redis.hget(key, "lease_owner") async for key in redis.scan_iter("job:*")]
    return sum(1 for owner in leases if owner)


async def _callbacks(kie: KieEmulator, task_ids: list[str]) -> int:
    """Send callbacks one by one as Kie would; count those the bot answered 200."""
    answered = 0
    for task_id in task_ids:
        try:
            status, _ = await kie.send_callback(task_id)
        except (aiohttp.ClientError, OSError):
            continue
        answered += status == 200
    return answered


async def _all_have_tasks(redis: Redis, count: int) -> bool:
    ids = [await redis.hget(key, "task_id") async for key in redis.scan_iter("job:*")]
    return len(ids) == count and all(ids)


async def _zero(value: object) -> bool:
    return await value == 0  # type: ignore[misc]
