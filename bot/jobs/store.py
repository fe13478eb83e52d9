"""The Redis job store. Every state change is one Lua script, so it is atomic across replicas."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from redis.asyncio import Redis

from bot import codec
from bot import constants as k
from bot.due import DueTaker
from bot.jobs import lua
from bot.jobs.batching import BatchedScript
from bot.jobs.record import Job, JobState, ResultMark, Results, StoredInputs, StoredMedia
from bot.providers.base import EarlyResult, ResultMedia, TaskOutcome, TaskStatus


@dataclass(frozen=True, slots=True)
class Outcome:
    """A final result to record on a job."""

    state: JobState  # SUCCEEDED or FAILED
    results: tuple[ResultMedia, ...] = ()
    fail_kind: str = ""
    error_code: str = ""
    error_message: str = ""

    @classmethod
    def from_task(cls, task: TaskOutcome) -> Outcome:
        """The job outcome for a provider's final task state."""
        if task.status is TaskStatus.SUCCEEDED:
            return cls(JobState.SUCCEEDED, results=task.results)
        return cls(
            JobState.FAILED,
            fail_kind=task.fail_kind,
            error_code=task.error_code,
            error_message=task.error_message,
        )


class CancelResult(IntEnum):
    """What a cancel did (lua.CANCEL's answer)."""

    CANCELLED = 1
    UNKNOWN_JOB = 0  # expired, or never was
    NOT_YOURS = -1
    ALREADY_CANCELLED = -2
    ALREADY_DONE = -3  # its outcome was recorded first: it is being delivered, or was


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

    def __init__(self, redis: Redis, record_ttl_s: int = k.JOB_TTL_AFTER_DELIVERY_S) -> None:
        self.redis = redis
        # How long a finished job's record is kept (MEDIA_RETENTION_DAYS): its buttons and
        # history entry work that long.
        self._record_ttl_s = record_ttl_s
        self._create = redis.register_script(lua.CREATE)
        # The hot path (every callback): batched into pipelines under load.
        self._record = BatchedScript(redis, lua.RECORD_OUTCOME)
        self._claim = redis.register_script(lua.CLAIM)
        self._extend = redis.register_script(lua.EXTEND_LEASE)
        self._delivered = redis.register_script(lua.MARK_DELIVERED)
        self._mark_results = redis.register_script(lua.MARK_RESULTS)
        self._retry_later = redis.register_script(lua.RETRY_LATER)
        self._set_field = redis.register_script(lua.SET_FIELD)
        self._switch_model = redis.register_script(lua.SWITCH_MODEL)
        self._due = DueTaker(redis)  # the poll queue and the undelivered set
        self._keep_input = redis.register_script(lua.KEEP_INPUT)
        self._keep_result = redis.register_script(lua.KEEP_RESULT)
        self._advance = redis.register_script(lua.ADVANCE)
        self._claim_step = redis.register_script(lua.CLAIM_STEP)
        self._reroute = redis.register_script(lua.REROUTE)
        self._record_early = redis.register_script(lua.RECORD_EARLY)
        self._claim_early = redis.register_script(lua.CLAIM_EARLY)
        self._release_early = redis.register_script(lua.RELEASE_EARLY)
        self._cancel = redis.register_script(lua.CANCEL)

    async def create(self, job: Job, first_poll_at: float) -> None:
        """Store a new job (its user's slot was taken by jobs/admission.py)."""
        await self._create(
            keys=[
                job_key(job.id),
                k.POLL_QUEUE_KEY,
                k.USERS_KEY,
                k.JOBS_TOTAL_KEY,
                k.JOBS_DAY_KEY.format(day=today()),
                k.MODEL_COUNTS_KEY.format(model=job.model),
                k.USER_JOBS_KEY.format(user_id=job.user_id),
            ],
            args=[
                codec.dumps(job.to_redis(), dict[str, str]),
                repr(first_poll_at),
                job.id,
                job.user_id,
                k.DAY_COUNTER_TTL_S,
                repr(job.created_at),
                self._record_ttl_s,
            ],
        )

    async def delete(self, job_id: str) -> None:
        """The record, and the job's place in every schedule (/forget)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(job_key(job_id))
            for schedule in (k.POLL_QUEUE_KEY, k.UNDELIVERED_KEY, k.PROGRESS_KEY):
                pipe.zrem(schedule, job_id)
            await pipe.execute()

    async def user_jobs(self, user_id: int, count: int, offset: int = 0) -> list[Job]:
        """The user's jobs, newest first: up to `count` from the `offset`-th. Ids whose records
        expired leave the index as they are met."""
        index = k.USER_JOBS_KEY.format(user_id=user_id)
        ids = [codec.text(i) for i in await self.redis.zrevrange(index, offset, offset + count - 1)]  # type: ignore[arg-type]
        if not ids:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hgetall(job_key(job_id))
            raws = await pipe.execute()
        gone = [job_id for job_id, raw in zip(ids, raws, strict=True) if not raw]
        if gone:
            await self.redis.zrem(index, *gone)
        return [Job.from_redis(codec.texts(raw)) for raw in raws if raw]

    async def running_jobs(self, user_id: int) -> list[Job]:
        """The user's running jobs (Job.running), oldest first: their place in line."""
        jobs = await self.user_jobs(user_id, k.RUNNING_SCAN)
        return sorted((job for job in jobs if job.running), key=lambda job: job.created_at)

    async def cancel(self, job_id: str, user_id: int) -> CancelResult:
        """Stop a running job for its user, once (see lua.CANCEL)."""
        keys = [job_key(job_id), k.POLL_QUEUE_KEY, k.UNDELIVERED_KEY, k.PROGRESS_KEY,
                k.OUTCOME_COUNT_KEY.format(state=JobState.CANCELLED.value)]  # fmt: skip
        args: list[str | int] = [user_id, repr(time.time()), self._record_ttl_s, job_id,
                                 k.HOURLY_OUTCOMES_TTL_S]  # fmt: skip
        return CancelResult(int(await self._cancel(keys=keys, args=args)))

    async def get(self, job_id: str) -> Job | None:
        raw = await self.redis.hgetall(job_key(job_id))
        return Job.from_redis(codec.texts(raw)) if raw else None

    async def set_task(self, job: Job, task_id: str) -> None:
        await self._set_field(keys=[job_key(job.id)], args=["task_id", task_id])

    async def switch_model(
        self, job: Job, model: str, provider: str, params: Mapping[str, str]
    ) -> bool:
        """Move a job that has no task yet to another model (a failover); False if too late."""
        keys = [job_key(job.id), *(k.MODEL_COUNTS_KEY.format(model=m) for m in (job.model, model))]
        params_json = codec.dumps(dict(params), dict[str, str])
        moved = await self._switch_model(keys=keys, args=[model, provider, params_json])
        return bool(moved)

    async def set_stage(self, job_id: str, stage: str) -> None:
        """A provider's intermediate stage (a song's lyrics written, its first track), shown in
        the status."""
        await self._set_field(keys=[job_key(job_id)], args=["stage", stage[:32]])

    async def set_progress_shown(self, job_id: str, bucket: int) -> None:
        await self._set_field(keys=[job_key(job_id)], args=["progress_shown", bucket])

    async def set_status_message(self, job_id: str, message_id: int) -> None:
        await self._set_field(keys=[job_key(job_id)], args=["status_msg", message_id])

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
                codec.dumps(outcome.results, Results),
                outcome.fail_kind,
                outcome.error_code,
                outcome.error_message,
                repr(time.time()),
                k.CALLBACK_CHANNEL,
                job_id,
                k.DURATIONS_KEPT,
                expected_task_id,
                k.HOURLY_OUTCOMES_TTL_S,
            ],
        )
        return int(result)

    async def record_task_outcome(self, job_id: str, task: TaskOutcome) -> int:
        """A provider's final word on the job's own task, however it arrived."""
        return await self.record_outcome(
            job_id, Outcome.from_task(task), expected_task_id=task.task_id
        )

    async def claim(self, job_id: str, owner: str, lease_s: float) -> Job | None:
        """Take the right to deliver a final job, unless someone holds an unexpired lease."""
        now = time.time()
        raw = await self._claim(
            keys=[job_key(job_id)], args=[owner, repr(now), repr(now + lease_s)]
        )
        return _job_from_flat(raw) if raw else None

    async def record_early(
        self, job_id: str, early: tuple[EarlyResult, ...], *, expected_task_id: str = ""
    ) -> int:
        """Keep results ready before the task ends, each once, and wake a deliverer for the new
        ones; returns how many were new (or RecordResult's UNKNOWN_JOB, TASK_MISMATCH)."""
        pairs: list[str | int] = []
        for item in early:
            pairs += [item.index, codec.dumps(item.media)]
        args: list[str | int] = [
            expected_task_id,
            repr(time.time()),
            k.CALLBACK_CHANNEL,
            job_id,
            *pairs,
        ]
        result = await self._record_early(keys=[job_key(job_id), k.UNDELIVERED_KEY], args=args)
        return int(result)

    async def claim_early(self, job_id: str, owner: str, lease_s: float) -> Job | None:
        """The lease on a running job with an early result to send (see lua.CLAIM_EARLY)."""
        now = time.time()
        raw = await self._claim_early(
            keys=[job_key(job_id), k.UNDELIVERED_KEY],
            args=[owner, repr(now), repr(now + lease_s), job_id],
        )
        return _job_from_flat(raw) if raw else None

    async def release_early(self, job_id: str, owner: str) -> JobState | None:
        """Give an early lease back; the job's state then (None without the lease)."""
        state = await self._release_early(keys=[job_key(job_id), k.UNDELIVERED_KEY],
                                          args=[owner, job_id])  # fmt: skip
        text = codec.text(state) if state else ""
        return JobState(text) if text else None

    async def extend_lease(self, job_id: str, owner: str, lease_s: float) -> bool:
        until = repr(time.time() + lease_s)
        return bool(await self._extend(keys=[job_key(job_id)], args=[owner, until]))

    async def undelivered(self, limit: int) -> list[str]:
        """Final jobs not yet delivered, oldest first."""
        return [str(i) for i in await self.redis.zrange(k.UNDELIVERED_KEY, 0, limit - 1)]

    async def mark_delivered(self, job_id: str, owner: str) -> bool:
        done = await self._delivered(
            keys=[job_key(job_id), k.UNDELIVERED_KEY],
            args=[owner, repr(time.time()), self._record_ttl_s, job_id],
        )
        return bool(done)

    async def mark_result(self, job_id: str, owner: str, index: int, mark: ResultMark) -> bool:
        """Record what became of one result; False when the caller no longer holds the lease."""
        return await self.mark_results(job_id, owner, {index: mark})

    async def mark_results(self, job_id: str, owner: str, marks: Mapping[int, ResultMark]) -> bool:
        """Record what became of several results at once (an album is one message)."""
        pairs = [part for index, mark in marks.items() for part in (index, mark.value)]
        done = await self._mark_results(keys=[job_key(job_id)], args=[owner, *pairs])
        return bool(done)

    async def retry_later(
        self, job_id: str, owner: str, retry_at: float, *, crashed: bool = False
    ) -> bool:
        """Give the job back until `retry_at`, counting an attempt (or a crash)."""
        # The reconciler takes jobs DELIVERY_GRACE_S after their score (the pub/sub path's
        # head start); a retry has no such path, so it is scored to come due at retry_at.
        score = retry_at - k.DELIVERY_GRACE_S
        done = await self._retry_later(
            keys=[job_key(job_id), k.UNDELIVERED_KEY],
            args=[owner, repr(retry_at), repr(score), job_id, "crashes" if crashed else "attempts"],
        )
        return bool(done)

    async def keep_input(self, job_id: str, owner: str, index: int, media: StoredMedia) -> bool:
        """Record a result stored as the next step's input; False without the lease."""
        args: list[str | int] = [owner, index, codec.dumps(media)]
        return bool(await self._keep_input(keys=[job_key(job_id)], args=args))

    async def keep_result(self, job_id: str, owner: str, index: int, media: StoredMedia) -> bool:
        """Record a sent result's copy in storage; False without the lease."""
        args: list[str | int] = [owner, index, codec.dumps(media)]
        return bool(await self._keep_result(keys=[job_key(job_id)], args=args))

    async def advance(
        self, job: Job, owner: str, next_model: str, next_provider: str, first_poll_at: float
    ) -> bool:
        """Move a chain's job from its delivered step to the next, once (see lua.ADVANCE)."""
        inputs = tuple(job.next_inputs[index] for index in sorted(job.next_inputs))
        args: list[str | int] = [
            owner, job.step, next_model, next_provider, codec.dumps(inputs, StoredInputs),
            repr(time.time()), repr(first_poll_at), job.id,
        ]  # fmt: skip
        keys = [job_key(job.id), k.UNDELIVERED_KEY, k.POLL_QUEUE_KEY,
                k.MODEL_COUNTS_KEY.format(model=next_model)]  # fmt: skip
        done = await self._advance(keys=keys, args=args)
        return bool(done)

    async def reroute(
        self,
        job: Job,
        owner: str,
        spec: tuple[str, str],
        params: Mapping[str, str],
        first_poll_at: float,
    ) -> bool:
        """Move a job whose model was withdrawn (its task failed saying so) to another
        provider's model `spec` (key, provider), once; see lua.REROUTE."""
        model, provider = spec
        keys = [job_key(job.id), k.UNDELIVERED_KEY, k.POLL_QUEUE_KEY,
                k.OUTCOME_COUNT_KEY.format(state=JobState.FAILED.value),
                *(k.MODEL_COUNTS_KEY.format(model=m) for m in (job.model, model))]  # fmt: skip
        args: list[str | int] = [
            owner, model, provider, codec.dumps(dict(params), dict[str, str]),
            repr(time.time()), repr(first_poll_at), job.id,
        ]  # fmt: skip
        return bool(await self._reroute(keys=keys, args=args))

    async def claim_step(self, job_id: str, step: int, owner: str) -> bool:
        """The one right to submit this step of a chain's job (see lua.CLAIM_STEP)."""
        return bool(await self._claim_step(keys=[job_key(job_id)], args=[step, owner]))

    async def take_due_polls(self, now: float, limit: int, lease_s: float) -> list[str]:
        return await self._due.take(k.POLL_QUEUE_KEY, now, limit, lease_s)

    async def take_stale_undelivered(self, before: float, limit: int, lease_s: float) -> list[str]:
        return await self._due.take(k.UNDELIVERED_KEY, before, limit, lease_s)

    async def reschedule_poll(self, job_id: str, at: float) -> None:
        # XX: a job that became final meanwhile has left the queue and must not come back.
        await self.redis.zadd(k.POLL_QUEUE_KEY, {job_id: at}, xx=True)


def _job_from_flat(raw: list[Any]) -> Job:
    flat = [v.decode() if isinstance(v, bytes) else str(v) for v in raw]
    return Job.from_redis(dict(zip(flat[::2], flat[1::2], strict=True)))
