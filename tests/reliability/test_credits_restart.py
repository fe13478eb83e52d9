"""Credits survive a SIGKILL: jobs running at the kill keep their held price, and once they are
delivered after the restart each is spent exactly once; the ledger still sums to the balance."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.child import BotHarnessView, child_env, running_bot
from tests.conftest import free_port
from tests.harness import eventually
from tests.reliability.test_exactly_once import finish_all
from tests.reliability.test_restart import _all_have_tasks

JOBS = 10
FREE, IMAGE = 12, 4


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_a_restart_mid_job_keeps_the_reservation(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data", PAYMENTS="stars")
    users = BotHarnessView(telegram, kie, redis)
    async with running_bot(env, tmp_path, tmp_path / "first.log") as first:
        jobs = await users.start_jobs(JOBS)
        await eventually(lambda: _held_by_all(redis, jobs), within=30)
        await eventually(lambda: _all_have_tasks(redis, JOBS), within=30)
        first.kill()  # SIGKILL while every job runs and holds its price
        await first.wait()
    held_at_kill = {chat: await _held(redis, chat) for chat in jobs}

    async with running_bot(env, tmp_path, tmp_path / "second.log"):
        assert {chat: await _held(redis, chat) for chat in jobs} == held_at_kill
        finish_all(kie, jobs.values())
        await eventually(lambda: all(users.photos_sent()[c] for c in jobs), within=90)
        await eventually(lambda: _none_held(redis, jobs), within=30)

    assert all(held == IMAGE for held in held_at_kill.values())  # the fault really happened
    for chat in jobs:
        entries = [json.loads(e) for e in await redis.lrange(f"ledger:{chat}", 0, -1)]
        balance = int(await redis.hget(f"credits:{chat}", "balance") or 0)
        assert [e["r"] for e in entries] == ["job", "free"]
        assert balance == sum(e["a"] for e in entries) == FREE - IMAGE


async def _held(redis: Redis, user: int) -> int:
    fields = await redis.hgetall(f"credits:{user}")
    return sum(int(v) for f, v in fields.items() if f.startswith("hold:"))


async def _held_by_all(redis: Redis, jobs: dict[int, object]) -> bool:
    return all([await _held(redis, chat) == IMAGE for chat in jobs])


async def _none_held(redis: Redis, jobs: dict[int, object]) -> bool:
    return all([await _held(redis, chat) == 0 for chat in jobs])
