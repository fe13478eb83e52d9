"""Per-user limits, checked before anything is downloaded: a job's slot is taken first.

A slot taken here is counted in the user's hash until the job's outcome is recorded (the
record script gives it back) or, when the job never gets created, until `release`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from bot import constants as k
from bot.credits import lua as credits_lua
from bot.credits.ledger import Allowance
from bot.errors import InputRejected, NotEnoughCredits
from bot.jobs.start.request import InputProblem

# KEYS: user hash, the user's credits.
# ARGV: now, max in flight, max per hour, stale after s, notice s, price (-1: free, no ledger),
#       free credits, daily credits, job id, model, user id.
# Returns {verdict, tell, balance}: verdict 0 admitted (slot taken, price held), 1 too many in
# flight, 2 hourly cap, 3 not enough credits; tell 1 when the user has not yet been told about
# this limit in its current window; balance, what the user can spend after this.
# A counter that drifted (a lost write, a crash before create) heals once no job of the user
# can still be in flight. Two requests at once can never spend the same credits: the check and
# the hold are one script.
ADMIT = (
    credits_lua.FUNCTIONS
    + """
local now = tonumber(ARGV[1])
local hour = math.floor(now / 3600)
local price, uid = tonumber(ARGV[6]), ARGV[11]
local user = redis.call('HMGET', KEYS[1], 'inflight', 'hour', 'hour_count', 'last',
  'told_inflight', 'told_hour')
local inflight = tonumber(user[1]) or 0
local hour_count = tonumber(user[3]) or 0
if tonumber(user[2]) ~= hour then hour_count = 0 end
if now - (tonumber(user[4]) or 0) > tonumber(ARGV[4]) then inflight = 0 end
local balance = 0
if price >= 0 then
  grant(uid, ARGV[1], tonumber(ARGV[7]), tonumber(ARGV[8]))
  balance = tonumber(redis.call('HGET', KEYS[2], 'balance') or '0')
end
local verdict = 0
if tonumber(ARGV[2]) > 0 and inflight >= tonumber(ARGV[2]) then verdict = 1
elseif tonumber(ARGV[3]) > 0 and hour_count >= tonumber(ARGV[3]) then verdict = 2
elseif price > balance then verdict = 3 end
if verdict > 0 then
  local told_key, told_hash = ({'told_inflight', 'told_hour', 'told'})[verdict], KEYS[1]
  if verdict == 3 then told_hash = KEYS[2] end
  local told_until = tonumber(redis.call('HGET', told_hash, told_key)) or 0
  if now < told_until then return {verdict, 0, balance} end
  local window_end = verdict == 2 and (hour + 1) * 3600 or now + tonumber(ARGV[5])
  redis.call('HSET', told_hash, told_key, window_end)
  return {verdict, 1, balance}
end
redis.call('HSET', KEYS[1], 'inflight', inflight + 1, 'hour', hour,
  'hour_count', hour_count + 1, 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400)
if price > 0 then
  redis.call('HINCRBY', KEYS[2], 'balance', -price)
  redis.call('HSET', KEYS[2], 'hold:' .. ARGV[9], price)
  redis.call('ZADD', 'credits:holds', now, uid .. ':' .. ARGV[9])
  ledger_entry(uid, ARGV[1], -price, 'job', ARGV[9], '', ARGV[10])
  balance = balance - price
end
return {0, 1, balance}
"""
)

# KEYS: user hash. ARGV: hour the slot was taken in, user id, job id, now.
# Gives back the slot (and the held price) of a job that never started.
RELEASE = (
    credits_lua.FUNCTIONS
    + """
settle(ARGV[2], ARGV[3], false, ARGV[4], '', '')
if tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'inflight', -1)
end
if redis.call('HGET', KEYS[1], 'hour') == ARGV[1]
    and tonumber(redis.call('HGET', KEYS[1], 'hour_count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'hour_count', -1)
end
return 1
"""
)

# A user refused for too many jobs in flight hears it once in this long, however often they send.
IN_FLIGHT_NOTICE_S = 60


@dataclass(frozen=True, slots=True)
class UserLimits:
    """Per-user caps; 0 means no cap (admins)."""

    max_in_flight: int = 0
    max_per_hour: int = 0


NO_LIMITS = UserLimits()
NOTHING_FREE = Allowance()


class Verdict(IntEnum):
    ADMITTED = 0
    TOO_MANY_IN_FLIGHT = 1
    HOURLY_CAP = 2
    NO_CREDITS = 3


_REFUSALS = {
    Verdict.TOO_MANY_IN_FLIGHT: InputProblem.TOO_MANY_IN_FLIGHT,
    Verdict.HOURLY_CAP: InputProblem.HOURLY_CAP,
}


@dataclass(frozen=True, slots=True)
class Charge:
    """What a job is to hold of its user's credits; None (no ledger at all) when it is free."""

    job_id: str
    price: int
    model: str


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    tell: bool  # False: the user already heard about this limit in its window
    user_id: int
    hour: int
    balance: int = 0  # what the user can spend after this (0 when nothing is charged)
    job_id: str = ""


class Admissions:
    """Takes and gives back per-user job slots, atomically across replicas."""

    def __init__(
        self,
        redis: Redis,
        longest_job_s: float = k.JOB_DEADLINE_S,
        *,
        limits: UserLimits = NO_LIMITS,
        admin_ids: frozenset[int] = frozenset(),
        allowance: Allowance = NOTHING_FREE,
    ) -> None:
        self._admit = redis.register_script(ADMIT)
        # Past the longest deadline no job of the user can be in flight: a drifted count heals.
        self._stale_after_s = longest_job_s + 60
        self._release = redis.register_script(RELEASE)
        self._limits = limits
        self._admin_ids = admin_ids
        self._allowance = allowance

    async def take(self, user_id: int, charge: Charge | None = None) -> Admission:
        """The user's slot under their limits (admins have none), and the job's price held;
        raises InputRejected when they are at a limit, NotEnoughCredits when short."""
        limits = limits_of(user_id, self._limits, self._admin_ids)
        admission = await self.admit(user_id, limits, charge)
        if admission.verdict is Verdict.NO_CREDITS:
            assert charge is not None
            raise NotEnoughCredits(charge.price, admission.balance, tell=admission.tell)
        if admission.verdict is not Verdict.ADMITTED:
            raise InputRejected(_REFUSALS[admission.verdict], tell=admission.tell)
        return admission

    async def admit(
        self, user_id: int, limits: UserLimits, charge: Charge | None = None
    ) -> Admission:
        now = time.time()
        verdict, tell, balance = await self._admit(
            keys=[k.USER_KEY.format(user_id=user_id), f"credits:{user_id}"],
            args=[
                repr(now),
                limits.max_in_flight,
                limits.max_per_hour,
                self._stale_after_s,
                IN_FLIGHT_NOTICE_S,
                -1 if charge is None else charge.price,
                self._allowance.free,
                self._allowance.daily,
                charge.job_id if charge else "",
                charge.model if charge else "",
                user_id,
            ],
        )
        return Admission(
            Verdict(int(verdict)), bool(int(tell)), user_id, int(now // 3600), int(balance),
            charge.job_id if charge else "",
        )  # fmt: skip

    async def release(self, admission: Admission) -> None:
        """Give back the slot (and held price) of a job that was never created (its input was
        refused)."""
        await self._release(
            keys=[k.USER_KEY.format(user_id=admission.user_id)],
            args=[admission.hour, admission.user_id, admission.job_id, repr(time.time())],
        )


def limits_of(user_id: int, limits: UserLimits, admin_ids: frozenset[int]) -> UserLimits:
    """Admins are never capped."""
    return NO_LIMITS if user_id in admin_ids else limits
