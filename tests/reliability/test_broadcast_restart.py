"""A broadcast to 300 users, 20 of whom blocked the bot, killed with SIGKILL half way and started
again: it resumes by itself and reaches each of the 280 exactly once."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot import constants as k
from bot import texts
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator
from tests.child import child_env, running_bot
from tests.conftest import free_port
from tests.figures import record
from tests.harness import eventually

ADMIN = 4242
USERS = list(range(700_001, 700_301))
BLOCKED = set(USERS[::15])  # 20 of them


def _confirmation(call: ApiCall) -> bool:
    return call.ok and str(call.params.get("text")).startswith("That's the preview")


def copied(telegram: TelegramEmulator) -> dict[int, int]:
    """Copies Telegram accepted, by chat."""
    counts: dict[int, int] = {}
    for call in telegram.calls_to("copyMessage"):
        if call.ok:
            chat = int(call.params["chat_id"])
            counts[chat] = counts.get(chat, 0) + 1
    return counts


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
async def test_a_broadcast_killed_half_way_resumes_and_reaches_everyone_once(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    # Everyone who ever wrote to the bot, as the update screen keeps them.
    await redis.zadd(k.SEEN_USERS_KEY, {str(user): time.time() for user in USERS})
    telegram.blocked_by.update(BLOCKED)
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data", ADMIN_IDS=str(ADMIN))
    async with running_bot(env, tmp_path, tmp_path / "first.log") as first:
        telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/broadcast")
        await telegram.wait_for("sendMessage", lambda c: c.ok, timeout=30)
        telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="Hello from Photobot")
        [confirm] = await telegram.wait_for("sendMessage", _confirmation, timeout=30)
        [[send, _]] = confirm.params["reply_markup"]["inline_keyboard"]
        telegram.callback_query_update(
            chat_id=ADMIN, user_id=ADMIN, data=send["callback_data"],
            message_id=confirm.result["message_id"],
        )  # fmt: skip
        await eventually(lambda: len(copied(telegram)) >= 140, within=60)
        door = telegram.hold("copyMessage")  # copies in flight at the kill never arrive
        await asyncio.wait_for(door.arrived.wait(), 30)
        before_kill = sum(copied(telegram).values())
        first.kill()  # SIGKILL: no shutdown code runs
        await first.wait()
        door.fail()

    started = time.monotonic()
    async with running_bot(env, tmp_path, tmp_path / "second.log"):
        final = texts.broadcast_done(sent=281, blocked=20, failed=0)  # the admin gets one too
        await telegram.wait_for(
            "editMessageText", lambda c: c.ok and c.params.get("text") == final, timeout=90
        )
        resumed_in = time.monotonic() - started

    counts = copied(telegram)
    reached = [u for u in USERS if u not in BLOCKED]
    assert all(counts.get(u) == 1 for u in reached)
    assert not any(u in counts for u in BLOCKED)
    assert counts.get(ADMIN) == 2  # the preview and the broadcast
    # The fault really happened: the kill landed half way, with copies in flight.
    assert 140 <= before_kill < 281 and door.waiting >= 1
    assert await redis.scard(k.BROADCASTS_RUNNING_KEY) == 0
    record("broadcast, SIGKILL half way", f"{before_kill} sent before the kill; finished "
           f"{resumed_in:.0f} s after the restart, 280 users reached once, 20 blocked skipped",
           "each once, resumed within a minute")  # fmt: skip
