"""The Redis job store. Every state change is one Lua script, so it is atomic across replicas."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from bot import constants as k
from bot.errors import FailureKind, kind_for_code
from bot.jobs.model import Job, JobState
from bot.providers.outcome import TaskOutcome, TaskStatus

# KEYS: job, poll, undelivered, outcome counter, durations
# ARGV: state, urls json, fail kind, error code, error message, now, channel, job id,
#       durations kept, expected task id ("" = any)
_RECORD_OUTCOME = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
local task = redis.call('HGET', KEYS[1], 'task_id')
if ARGV[10] ~= '' and task and task ~= '' and task ~= ARGV[10] then return -2 end
if state ~= 'submitted' then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'outcome', ARGV[1], 'result_urls', ARGV[2],
  'fail_kind', ARGV[3], 'error_code', ARGV[4], 'error_message', ARGV[5], 'completed_at', ARGV[6])
redis.call('ZREM', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[8])
redis.call('INCR', KEYS[4])
local created = tonumber(redis.call('HGET', KEYS[1], 'created_at'))
if ARGV[1] == 'succeeded' and created then
  redis.call('LPUSH', KEYS[5], tostring(tonumber(ARGV[6]) - created))
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[9]) - 1)
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""

# KEYS: job. ARGV: owner, now, lease until
_CLAIM = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' then return false end
local lease = tonumber(redis.call('HGET', KEYS[1], 'lease_until') or '0') or 0
if lease > tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'lease_owner', ARGV[1], 'lease_until', ARGV[3])
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: job, undelivered. ARGV: owner, now, ttl, job id
_MARK_DELIVERED = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'succeeded' and state ~= 'failed' then return 0 end
if redis.call('HGET', KEYS[1], 'lease_owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'delivered', 'delivered_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_until')
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: job, task index. ARGV: task id, ttl, job id
_SET_TASK = """
if not redis.call('HGET', KEYS[1], 'state') then return 0 end
redis.call('HSET', KEYS[1], 'task_id', ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
return 1
"""

# KEYS: a schedule zset. ARGV: now, limit, lease seconds. Pushes each due member forward by the
# lease, so another replica's reconciler does not pick the same job meanwhile.
_TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + tonumber(ARGV[3]), id)
end
return due
"""


_NUMERIC_CODE = re.compile(r"[0-9]{1,4}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """A final result to record on a job."""

    state: JobState  # SUCCEEDED or FAILED
    result_urls: tuple[str, ...] = ()
    fail_kind: str = ""
    error_code: str = ""
    error_message: str = ""

    @classmethod
    def from_task(cls, task: TaskOutcome) -> Outcome:
        """The job outcome for a provider's final task state."""
        if task.status is TaskStatus.SUCCEEDED:
            return cls(JobState.SUCCEEDED, result_urls=task.result_urls)
        code = task.error_code
        kind = kind_for_code(int(code)) if _NUMERIC_CODE.fullmatch(code) else FailureKind.FAILED
        return cls(
            JobState.FAILED, fail_kind=kind, error_code=code, error_message=task.error_message
        )


class RecordResult:
    """What record_outcome did; duplicates are a return value, not an exception."""

    STORED = 1
    DUPLICATE = 0
    UNKNOWN_JOB = -1
    TASK_MISMATCH = -2


def job_key(job_id: str) -> str:
    return k.JOB_KEY.format(job_id=job_id)


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


class JobStore:
    """Reads and moves jobs; the only place that writes job records."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._record = redis.register_script(_RECORD_OUTCOME)
        self._claim = redis.register_script(_CLAIM)
        self._delivered = redis.register_script(_MARK_DELIVERED)
        self._set_task = redis.register_script(_SET_TASK)
        self._take_due = redis.register_script(_TAKE_DUE)

    async def create(self, job: Job, first_poll_at: float) -> None:
        day_key = k.JOBS_DAY_KEY.format(day=today())
        async with self.redis.pipeline(transaction=True) as pipe:
            fields: Mapping[Any, Any] = job.to_redis()
            pipe.hset(job_key(job.id), mapping=fields)
            pipe.zadd(k.POLL_QUEUE_KEY, {job.id: first_poll_at})
            pipe.sadd(k.USERS_KEY, str(job.user_id))
            pipe.incr(k.JOBS_TOTAL_KEY)
            pipe.incr(day_key)
            pipe.expire(day_key, k.DAY_COUNTER_TTL_S)
            await pipe.execute()

    async def get(self, job_id: str) -> Job | None:
        raw = await self.redis.hgetall(job_key(job_id))
        return Job.from_redis(_decode(raw)) if raw else None

    async def set_task(self, job: Job, task_id: str) -> None:
        index = k.TASK_INDEX_KEY.format(provider=job.provider, task_id=task_id)
        await self._set_task(
            keys=[job_key(job.id), index], args=[task_id, k.TASK_INDEX_TTL_S, job.id]
        )

    async def job_for_task(self, provider: str, task_id: str) -> str | None:
        value = await self.redis.get(k.TASK_INDEX_KEY.format(provider=provider, task_id=task_id))
        return value.decode() if isinstance(value, bytes) else value

    async def record_outcome(
        self, job_id: str, outcome: Outcome, *, expected_task_id: str = ""
    ) -> int:
        """Store a final outcome and publish the job for delivery; see RecordResult."""
        result = await self._record(
            keys=[
                job_key(job_id),
                k.POLL_QUEUE_KEY,
                k.UNDELIVERED_KEY,
                k.OUTCOME_COUNT_KEY.format(state=outcome.state.value),
                k.DURATIONS_KEY,
            ],
            args=[
                outcome.state.value,
                json.dumps(list(outcome.result_urls)),
                outcome.fail_kind,
                outcome.error_code,
                outcome.error_message,
                repr(time.time()),
                k.CALLBACK_CHANNEL,
                job_id,
                k.DURATIONS_KEPT,
                expected_task_id,
            ],
        )
        return int(result)

    async def claim(self, job_id: str, owner: str, lease_s: float) -> Job | None:
        """Take the right to deliver a final job, unless someone holds an unexpired lease."""
        now = time.time()
        raw = await self._claim(
            keys=[job_key(job_id)], args=[owner, repr(now), repr(now + lease_s)]
        )
        if not raw:
            return None
        flat = [v.decode() if isinstance(v, bytes) else str(v) for v in raw]
        return Job.from_redis(dict(zip(flat[::2], flat[1::2], strict=True)))

    async def mark_delivered(self, job_id: str, owner: str) -> bool:
        done = await self._delivered(
            keys=[job_key(job_id), k.UNDELIVERED_KEY],
            args=[owner, repr(time.time()), k.JOB_TTL_AFTER_DELIVERY_S, job_id],
        )
        return bool(done)

    async def take_due_polls(self, now: float, limit: int, lease_s: float) -> list[str]:
        return await self._take_due_ids(k.POLL_QUEUE_KEY, now, limit, lease_s)

    async def take_stale_undelivered(self, before: float, limit: int, lease_s: float) -> list[str]:
        return await self._take_due_ids(k.UNDELIVERED_KEY, before, limit, lease_s)

    async def reschedule_poll(self, job_id: str, at: float) -> None:
        # XX: a job that became final meanwhile has left the queue and must not come back.
        await self.redis.zadd(k.POLL_QUEUE_KEY, {job_id: at}, xx=True)

    async def _take_due_ids(self, key: str, now: float, limit: int, lease_s: float) -> list[str]:
        ids = await self._take_due(keys=[key], args=[repr(now), limit, lease_s])
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


def _decode(raw: dict[Any, Any]) -> dict[str, str]:
    return {
        (key.decode() if isinstance(key, bytes) else key): (
            val.decode() if isinstance(val, bytes) else val
        )
        for key, val in raw.items()
    }
