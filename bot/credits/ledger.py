"""Reading a user's credits and keeping the ledger's promises: grants given when due, holds of
jobs that never closed given back, and /forget folding away what a user made."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.codec import text
from bot.constants import JOB_KEY
from bot.credits import lua
from bot.loops import every

log = logging.getLogger(__name__)

# A hold this old whose job has no record never will: admission's downloads are long over.
HOLD_GRACE_S = 15 * 60
SWEEP_BATCH = 500
SWEEP_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Allowance:
    """What users get for free: `free` once, and a balance under `daily` topped up daily."""

    free: int = 0
    daily: int = 0


@dataclass(frozen=True, slots=True)
class Entry:
    """One movement of a user's credits."""

    at: float
    amount: int
    reason: str  # one of bot.credits.lua's reasons
    job_id: str = ""
    charge_id: str = ""
    model: str = ""

    @classmethod
    def parse(cls, raw: str | bytes) -> Entry:
        data = json.loads(raw)
        return cls(
            float(data["t"]), int(data["a"]), str(data["r"]), str(data.get("j", "")),
            str(data.get("p", "")), str(data.get("m", "")),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Balance:
    """What a user can spend, what their running jobs hold, and their latest movements."""

    available: int
    held: int
    entries: tuple[Entry, ...]


class Ledger:
    """A user's credits, read (and granted) atomically; the sweep of forgotten holds."""

    def __init__(self, redis: Redis, allowance: Allowance) -> None:
        self._redis = redis
        self.allowance = allowance
        self._view = redis.register_script(lua.VIEW)
        self._sweep = redis.register_script(lua.SWEEP_HOLDS)
        self._forget = redis.register_script(lua.FORGET)

    async def balance(self, user_id: int, entries: int = 10) -> Balance:
        """The balance after any free credits due, with the `entries` latest movements."""
        raw = await self._view(
            args=[user_id, repr(time.time()), self.allowance.free, self.allowance.daily, entries]
        )
        return Balance(int(raw[0]), int(raw[1]), tuple(Entry.parse(text(e)) for e in raw[2:]))

    async def entries(self, user_id: int) -> list[Entry]:
        """Every entry, newest first."""
        return [Entry.parse(text(e)) for e in await self._redis.lrange(f"ledger:{user_id}", 0, -1)]

    async def run(self, stopping: asyncio.Event) -> None:
        """The hold sweep, on every replica (each batch is one script: they never overlap)."""
        await every(SWEEP_EVERY_S, self.sweep_holds, stopping, what="credit hold sweep")

    async def sweep_holds(self, now: float | None = None) -> int:
        """Give back holds of jobs that never started or closed unsettled; returns how many."""
        now = time.time() if now is None else now
        released = int(
            await self._sweep(
                args=[repr(now), repr(now - HOLD_GRACE_S), SWEEP_BATCH, JOB_KEY.format(job_id="")]
            )
        )
        if released:
            log.info("gave back %d held price(s) of jobs that never closed", released)
        return released

    async def forget(self, user_id: int) -> dict[str, int]:
        """/forget's part: the entries of what the user made are folded into one; purchases
        and refunds stay, for accounting and refunds, and so does the balance."""
        return {"records": int(await self._forget(args=[user_id, repr(time.time())]))}
