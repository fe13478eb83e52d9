"""lua.CANCEL against the other moves: exactly one of "cancelled" and "delivered" wins, a
cancelled job is never moved again, and its user's slot goes back once."""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from bot import constants as k
from bot.admin.stats import read_stats
from bot.jobs.record import Job, JobState
from bot.jobs.store import CancelResult, JobStore, Outcome, RecordResult
from bot.providers.base import ResultMedia

OWNER = 7
DONE = Outcome(JobState.SUCCEEDED, results=(ResultMedia("u0"),))


async def running_job(store: JobStore, **fields: object) -> Job:
    """A job just created, its slot taken as admission takes it."""
    job = Job(uuid.uuid4().hex, OWNER, OWNER, "prompt", "nano-banana-pro",
              created_at=time.time(), **fields)  # type: ignore[arg-type]  # fmt: skip
    await store.redis.hincrby(k.USER_KEY.format(user_id=OWNER), "inflight", 1)
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.set_task(job, f"task-{job.id}")
    return job


async def inflight(redis: Redis) -> int:
    return int(await redis.hget(k.USER_KEY.format(user_id=OWNER), "inflight") or 0)


async def test_cancel_then_the_result_the_result_is_a_duplicate(redis: Redis) -> None:
    await redis.delete(k.USER_KEY.format(user_id=OWNER))
    store = JobStore(redis)
    job = await running_job(store)
    assert await inflight(redis) == 1

    assert await store.cancel(job.id, OWNER) is CancelResult.CANCELLED
    assert await store.record_outcome(job.id, DONE) == RecordResult.DUPLICATE

    after = await store.get(job.id)
    assert after is not None and after.state is JobState.CANCELLED and after.results == ()
    assert await store.claim(job.id, "deliverer", 15) is None  # nothing is ever sent
    assert await inflight(redis) == 0  # given back once: by the cancel, not by the result
    for schedule in (k.POLL_QUEUE_KEY, k.UNDELIVERED_KEY, k.PROGRESS_KEY):
        assert await redis.zscore(schedule, job.id) is None
    assert 0 < await redis.ttl(f"job:{job.id}") <= k.JOB_TTL_AFTER_DELIVERY_S


async def test_the_result_then_cancel_is_already_done(redis: Redis) -> None:
    store = JobStore(redis)
    job = await running_job(store)
    assert await store.record_outcome(job.id, DONE) == RecordResult.STORED
    slots = await inflight(redis)

    assert await store.cancel(job.id, OWNER) is CancelResult.ALREADY_DONE  # stored, not leased
    assert await store.claim(job.id, "deliverer", 15) is not None
    assert await store.cancel(job.id, OWNER) is CancelResult.ALREADY_DONE  # being delivered
    assert await store.mark_delivered(job.id, "deliverer")
    assert await store.cancel(job.id, OWNER) is CancelResult.ALREADY_DONE  # delivered

    assert await inflight(redis) == slots  # the result gave it back; the cancels did not
    after = await store.get(job.id)
    assert after is not None and after.state is JobState.DELIVERED


async def test_twice_another_user_and_an_unknown_job(redis: Redis) -> None:
    store = JobStore(redis)
    first, second = await running_job(store), await running_job(store)
    before = await inflight(redis)

    assert await store.cancel(first.id, OWNER + 1) is CancelResult.NOT_YOURS
    assert (await store.get(first.id)).state is JobState.SUBMITTED  # type: ignore[union-attr]
    assert await store.cancel(first.id, OWNER) is CancelResult.CANCELLED
    assert await store.cancel(first.id, OWNER) is CancelResult.ALREADY_CANCELLED
    assert await store.cancel(uuid.uuid4().hex, OWNER) is CancelResult.UNKNOWN_JOB

    assert await inflight(redis) == before - 1  # one slot back for one job, however often
    assert [j.id for j in await store.running_jobs(OWNER)][-1] == second.id


async def test_the_slot_counter_never_goes_negative(redis: Redis) -> None:
    store = JobStore(redis)
    job = await running_job(store)
    await redis.hset(k.USER_KEY.format(user_id=OWNER), "inflight", 0)  # drifted, or healed

    assert await store.cancel(job.id, OWNER) is CancelResult.CANCELLED
    assert await inflight(redis) == 0


async def test_a_chain_between_steps_is_cancelled_and_never_advances(redis: Redis) -> None:
    store = JobStore(redis)
    job = await running_job(store, chain="sketch", steps=2)
    assert await store.record_outcome(job.id, DONE) == RecordResult.STORED  # step 1 of 2
    claimed = await store.claim(job.id, "deliverer", 15)
    assert claimed is not None and claimed.running
    slots = await inflight(redis)

    assert await store.cancel(job.id, OWNER) is CancelResult.CANCELLED

    assert not await store.advance(claimed, "deliverer", "kling", "novita", time.time())
    assert not await store.claim_step(job.id, 1, "anyone")
    assert not await store.mark_delivered(job.id, "deliverer")
    assert await inflight(redis) == slots - 1  # a chain's slot is held until it ends


async def test_cancellations_are_counted_for_stats(redis: Redis) -> None:
    store = JobStore(redis)
    before = (await read_stats(redis, ["nano-banana-pro"])).cancelled
    job = await running_job(store)

    await store.cancel(job.id, OWNER)

    stats = await read_stats(redis, ["nano-banana-pro"])
    assert stats.cancelled == before + 1
    counts = await redis.hgetall(k.MODEL_COUNTS_KEY.format(model="nano-banana-pro"))
    assert int(counts["cancelled"]) >= 1
