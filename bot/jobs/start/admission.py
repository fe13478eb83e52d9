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
from bot.errors import InputRejected
from bot.jobs.start.request import InputProblem

# KEYS: user hash. ARGV: now, max in flight, max per hour, stale after s, in-flight notice s.
# Returns {verdict, tell}: verdict 0 admitted (slot taken), 1 too many in flight, 2 hourly cap;
# tell 1 when the user has not yet been told about this limit in its current window.
# A counter that drifted (a lost write, a crash before create) heals once no job of the user
# can still be in flight.
ADMIT = """
local now = tonumber(ARGV[1])
local hour = math.floor(now / 3600)
local user = redis.call('HMGET', KEYS[1], 'inflight', 'hour', 'hour_count', 'last',
  'told_inflight', 'told_hour')
local inflight = tonumber(user[1]) or 0
local hour_count = tonumber(user[3]) or 0
if tonumber(user[2]) ~= hour then hour_count = 0 end
if now - (tonumber(user[4]) or 0) > tonumber(ARGV[4]) then inflight = 0 end
local verdict = 0
if tonumber(ARGV[2]) > 0 and inflight >= tonumber(ARGV[2]) then verdict = 1
elseif tonumber(ARGV[3]) > 0 and hour_count >= tonumber(ARGV[3]) then verdict = 2 end
if verdict > 0 then
  local field = verdict == 1 and 'told_inflight' or 'told_hour'
  local told_until = tonumber(user[verdict == 1 and 5 or 6]) or 0
  if now < told_until then return {verdict, 0} end
  local window_end = verdict == 1 and now + tonumber(ARGV[5]) or (hour + 1) * 3600
  redis.call('HSET', KEYS[1], field, window_end)
  return {verdict, 1}
end
redis.call('HSET', KEYS[1], 'inflight', inflight + 1, 'hour', hour,
  'hour_count', hour_count + 1, 'last', ARGV[1])
redis.call('EXPIRE', KEYS[1], 86400)
return {0, 1}
"""

# KEYS: user hash. ARGV: hour the slot was taken in. Gives back a slot whose job never started.
RELEASE = """
if tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'inflight', -1)
end
if redis.call('HGET', KEYS[1], 'hour') == ARGV[1]
    and tonumber(redis.call('HGET', KEYS[1], 'hour_count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'hour_count', -1)
end
return 1
"""

# A user refused for too many jobs in flight hears it once in this long, however often they send.
IN_FLIGHT_NOTICE_S = 60


@dataclass(frozen=True, slots=True)
class UserLimits:
    """Per-user caps; 0 means no cap (admins)."""

    max_in_flight: int = 0
    max_per_hour: int = 0


NO_LIMITS = UserLimits()


class Verdict(IntEnum):
    ADMITTED = 0
    TOO_MANY_IN_FLIGHT = 1
    HOURLY_CAP = 2


_REFUSALS = {
    Verdict.TOO_MANY_IN_FLIGHT: InputProblem.TOO_MANY_IN_FLIGHT,
    Verdict.HOURLY_CAP: InputProblem.HOURLY_CAP,
}


@dataclass(frozen=True, slots=True)
class Admission:
    verdict: Verdict
    tell: bool  # False: the user already heard about this limit in its window
    user_id: int
    hour: int


class Admissions:
    """Takes and gives back per-user job slots, atomically across replicas."""

    def __init__(
        self,
        redis: Redis,
        longest_job_s: float = k.JOB_DEADLINE_S,
        *,
        limits: UserLimits = NO_LIMITS,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._admit = redis.register_script(ADMIT)
        # Past the longest deadline no job of the user can be in flight: a drifted count heals.
        self._stale_after_s = longest_job_s + 60
        self._release = redis.register_script(RELEASE)
        self._limits = limits
        self._admin_ids = admin_ids

    async def take(self, user_id: int) -> Admission:
        """The user's slot under their limits (admins have none); raises InputRejected when
        they are at one."""
        admission = await self.admit(user_id, limits_of(user_id, self._limits, self._admin_ids))
        if admission.verdict is not Verdict.ADMITTED:
            raise InputRejected(_REFUSALS[admission.verdict], tell=admission.tell)
        return admission

    async def admit(self, user_id: int, limits: UserLimits) -> Admission:
        now = time.time()
        verdict, tell = await self._admit(
            keys=[k.USER_KEY.format(user_id=user_id)],
            args=[
                repr(now),
                limits.max_in_flight,
                limits.max_per_hour,
                self._stale_after_s,
                IN_FLIGHT_NOTICE_S,
            ],
        )
        return Admission(Verdict(int(verdict)), bool(int(tell)), user_id, int(now // 3600))

    async def release(self, admission: Admission) -> None:
        """Give back the slot of a job that was never created (its input was refused)."""
        await self._release(
            keys=[k.USER_KEY.format(user_id=admission.user_id)], args=[admission.hour]
        )


def limits_of(user_id: int, limits: UserLimits, admin_ids: frozenset[int]) -> UserLimits:
    """Admins are never capped."""
    return NO_LIMITS if user_id in admin_ids else limits
