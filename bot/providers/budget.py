"""Shared budgets for status queries: each provider's documented limit, per API key (or per
task), paced for every replica at once by one GCRA script in Redis.

GCRA (the generic cell rate algorithm) keeps one number per budget, its "theoretical arrival
time" (TAT): the moment the budget would be back to idle. A query may go when the TAT is at
most `tolerance` ahead of now, and pushes it one `interval` further. Queries are therefore
spaced `interval` apart, except for a burst of `burst` after a quiet spell: in any window of
one second there are fewer than `burst + 1 / interval` of them, whichever replica sent them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import constants as k


@dataclass(frozen=True, slots=True)
class PollLimit:
    """A provider's limit on status queries: at most `per_s` in any one second."""

    per_s: float


@dataclass(frozen=True, slots=True)
class Budget:
    """One shared budget a status query takes a slot from. `name` goes into a Redis key: it
    names the provider, the endpoint and a hash of the API key (`key_id`), never the key."""

    name: str
    limit: PollLimit


@dataclass(frozen=True, slots=True)
class Pace:
    """How a budget spends its limit: one query every `interval_s`, up to `burst` at once."""

    interval_s: float
    burst: int

    @property
    def tolerance_s(self) -> float:
        """How far ahead of now the TAT may be for a query to go (GCRA's tau)."""
        return (self.burst - 1) * self.interval_s


@dataclass(frozen=True, slots=True)
class Taken:
    """What a budget said: `wait_s` 0 means the query may go now; otherwise the budget has room
    in `wait_s`, and `full` names the budget that is short."""

    wait_s: float
    full: str = ""

    @property
    def granted(self) -> bool:
        return self.wait_s <= 0


def key_id(api_key: str) -> str:
    """A short, stable name for an API key that does not reveal it (budgets are per key)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def pace(limit: PollLimit) -> Pace:
    """The pace that keeps every one-second window under the limit with queries to spare: a
    query granted on time may reach the provider late (a busy event loop, a slow connection)
    and land in the next query's second.

    k queries granted within a window shorter than a second need (k - burst) * interval < 1,
    so k < burst + rate. With rate = per_s - burst - 1, k <= per_s - 2: Kie's 10 a second is
    paced at 7, at most 8 granted in any second. A burst of two (for limits of five and up)
    lets a replica that ticks every few slots still use the whole rate; small limits keep at
    least half of their rate.
    """
    burst = 2 if limit.per_s >= 5 else 1
    rate = max(limit.per_s - burst - 1, limit.per_s / 2)
    return Pace(interval_s=1.0 / rate, burst=burst)


# KEYS: each budget's TAT, then the polled task's marker. ARGV: now (empty: Redis's own clock,
# the same for every replica), the marker's TTL in seconds, then each budget's interval and
# tolerance in seconds. Either every budget has room and each takes a slot (and the task is
# marked as polled), or none is touched: returns {wait seconds, index of the fullest budget}.
# Numbers are returned and stored as strings (a Lua number in a reply is cut to an integer).
TAKE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local budgets = #KEYS - 1
local tats, wait, fullest = {}, 0, 0
for i = 1, budgets do
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  local short = tat - tonumber(ARGV[2 + 2 * i]) - now
  if short > wait then wait, fullest = short, i end
  tats[i] = tat
end
if wait > 0 then return {string.format('%.6f', wait), fullest} end
for i = 1, budgets do
  local tat = tats[i] + tonumber(ARGV[1 + 2 * i])
  local ttl_ms = math.ceil((tat - now) * 1000) + 1000
  redis.call('SET', KEYS[i], string.format('%.6f', tat), 'PX', ttl_ms)
end
redis.call('SET', KEYS[budgets + 1], '1', 'EX', ARGV[2])
return {'0', 0}
"""


class PollBudgets:
    """Takes slots from shared budgets; remembers which tasks were ever polled."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._take = redis.register_script(TAKE)

    async def take(
        self, budgets: Sequence[Budget], task_id: str, marked_s: int, *, now: float | None = None
    ) -> Taken:
        """One slot from every budget, or none; `marked_s` is how long the task stays known as
        polled. `now` is for tests: Redis's clock otherwise."""
        keys = [k.POLL_BUDGET_KEY.format(name=b.name) for b in budgets]
        args: list[str | float | int] = ["" if now is None else repr(now), max(1, marked_s)]
        for budget in budgets:
            paced = pace(budget.limit)
            args += [repr(paced.interval_s), repr(paced.tolerance_s)]
        keys.append(k.POLLED_TASK_KEY.format(task_id=task_id))
        wait, fullest = await self._take(keys=keys, args=args)
        full = budgets[int(fullest) - 1].name if int(fullest) else ""
        return Taken(float(wait), full)

    async def never_polled(self, task_ids: Sequence[str]) -> set[str]:
        """The tasks no replica has polled yet (as far as the markers remember)."""
        if not task_ids:
            return set()
        keys = [k.POLLED_TASK_KEY.format(task_id=t) for t in task_ids]
        marked = await self._redis.mget(keys)
        return {t for t, mark in zip(task_ids, marked, strict=True) if mark is None}
