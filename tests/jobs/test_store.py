"""The delivery scripts: only the lease holder marks results or puts a job back for a retry."""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from bot import constants as k
from bot.jobs.record import Job, JobState, ResultMark, StoredMedia
from bot.jobs.store import JobStore, Outcome
from bot.media.kinds import MediaKind
from bot.providers.base import ResultMedia


async def final_job(store: JobStore) -> Job:
    job = Job(uuid.uuid4().hex, 7, 7, "prompt", "nano-banana-pro", created_at=time.time())
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.record_outcome(
        job.id, Outcome(JobState.SUCCEEDED, results=(ResultMedia("u0"), ResultMedia("u1")))
    )
    return job


async def test_only_the_lease_holder_marks_a_result(redis: Redis) -> None:
    store = JobStore(redis)
    job = await final_job(store)
    assert await store.claim(job.id, "holder", 15) is not None

    assert not await store.mark_result(job.id, "someone-else", 0, ResultMark.SENT)
    assert await store.mark_result(job.id, "holder", 1, ResultMark.UNREACHABLE)

    fields = await redis.hgetall(f"job:{job.id}")
    assert "result:0" not in fields and fields["result:1"] == "unreachable"
    read_back = await store.get(job.id)
    assert read_back is not None and read_back.result_marks == {1: ResultMark.UNREACHABLE}


async def test_a_job_put_back_is_claimable_only_from_its_retry_time(redis: Redis) -> None:
    store = JobStore(redis)
    job = await final_job(store)
    assert await store.claim(job.id, "holder", 15) is not None

    assert not await store.retry_later(job.id, "someone-else", time.time() + 60)
    assert await store.retry_later(job.id, "holder", time.time() + 60)

    assert await store.claim(job.id, "other", 15) is None  # lease given back, retry not due
    assert await redis.hget(f"job:{job.id}", "attempts") == "1"
    await redis.hset(f"job:{job.id}", "retry_at", repr(time.time() - 1))  # time passes
    reclaimed = await store.claim(job.id, "other", 15)
    assert reclaimed is not None and reclaimed.attempts == 1


async def test_a_crash_is_counted_apart_from_retries(redis: Redis) -> None:
    store = JobStore(redis)
    job = await final_job(store)
    assert await store.claim(job.id, "holder", 15) is not None

    assert await store.retry_later(job.id, "holder", time.time(), crashed=True)

    reclaimed = await store.claim(job.id, "holder", 15)
    assert reclaimed is not None and (reclaimed.crashes, reclaimed.attempts) == (1, 0)
    assert await redis.zscore(k.UNDELIVERED_KEY, job.id) is not None


async def test_a_delivered_job_cannot_be_put_back(redis: Redis) -> None:
    store = JobStore(redis)
    job = await final_job(store)
    assert await store.claim(job.id, "holder", 15) is not None
    assert await store.mark_delivered(job.id, "holder")

    assert not await store.retry_later(job.id, "holder", time.time())
    assert not await store.mark_result(job.id, "holder", 0, ResultMark.SENT)
    assert await redis.zscore(k.UNDELIVERED_KEY, job.id) is None


async def test_an_albums_results_are_marked_together(redis: Redis) -> None:
    store = JobStore(redis)
    job = await final_job(store)
    assert await store.claim(job.id, "holder", 15) is not None
    album = {0: ResultMark.SENT, 1: ResultMark.SENT}

    assert not await store.mark_results(job.id, "someone-else", album)
    assert await store.redis.hget(f"job:{job.id}", "result:0") is None
    assert await store.mark_results(job.id, "holder", album)

    read_back = await store.get(job.id)
    assert read_back is not None and read_back.result_marks == album


async def test_a_job_record_stays_in_redis_compact_encoding(redis: Redis) -> None:
    """Ten thousand jobs in flight must fit in about 1 KB each (benchmark row 4): the record's
    JSON fields are written without spaces and the embedded server keeps such hashes compact."""
    store = JobStore(redis)
    album = tuple(
        StoredMedia(MediaKind.IMAGE, f"inputs/{'f' * 32}-{n}.jpg", "image/jpeg", 2_000_000,
                    width=1280, height=960)
        for n in range(1, 9)
    )  # fmt: skip
    params = {"aspect_ratio": "auto", "resolution": "1K", "output_format": "png"}
    job = Job(uuid.uuid4().hex, 7, 7, "a prompt", "nano-banana-pro", provider="kie",
              created_at=time.time(), inputs=album, params=params)  # fmt: skip
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.set_task(job, "task_nano-banana-pro_1795255898155")

    key = f"job:{job.id}"
    assert await redis.object("encoding", key) in ("ziplist", "listpack")
    assert await redis.memory_usage(key) < 1500
    stored = await store.get(job.id)
    assert stored is not None and stored.inputs == album and stored.params == params
