"""A chain's job in Redis: it advances once, its next step is claimed once, an earlier step's
late callbacks are duplicates even before the next step has a task, and it is counted once."""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from bot import constants as k
from bot.jobs.record import Job, JobState, ResultMark, StoredMedia
from bot.jobs.store import JobStore, Outcome, RecordResult
from bot.media.kinds import MediaKind
from bot.providers.base import ResultMedia

OWNER = "replica-a"
IMAGE = StoredMedia(MediaKind.IMAGE, "inputs/x-step2-1.png", "image/png", 1234)
KLING = "kling-v2.1-i2v-master"


async def delivered_first_step(store: JobStore, user: int = 7) -> Job:
    """A sketch whose image went out (kept for the next step, marked sent), lease held."""
    job = Job(uuid.uuid4().hex, user, user, "a boat", "seedream_3_0", "novita",
              created_at=time.time(), chain="sketch", steps=2)  # fmt: skip
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.redis.hset(f"user:{user}", "inflight", 1)
    await store.set_task(job, "seed-task")
    image = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn/seed.png"),))
    assert await store.record_outcome(job.id, image, expected_task_id="seed-task") == 1
    assert await store.claim(job.id, OWNER, 15) is not None
    assert await store.keep_input(job.id, OWNER, 0, IMAGE)
    assert await store.mark_result(job.id, OWNER, 0, ResultMark.SENT)
    latest = await store.get(job.id)
    assert latest is not None
    return latest


async def test_a_step_advances_once_and_only_for_its_lease_holder(redis: Redis) -> None:
    store = JobStore(redis)
    job = await delivered_first_step(store)

    assert not await store.advance(job, "replica-b", KLING, "novita", time.time())
    assert await store.advance(job, OWNER, KLING, "novita", time.time())
    assert not await store.advance(job, OWNER, KLING, "novita", time.time())  # step 0 is gone

    moved = await store.get(job.id)
    assert moved is not None
    assert (moved.state, moved.step, moved.model, moved.task_id) == (
        JobState.SUBMITTED, 1, KLING, ""
    )  # fmt: skip
    assert moved.inputs == (IMAGE,) and moved.results == () and moved.result_marks == {}
    assert moved.next_inputs == {} and moved.step_started_at is not None
    assert await redis.zscore(k.POLL_QUEUE_KEY, job.id) is not None
    assert await redis.zscore(k.UNDELIVERED_KEY, job.id) is None


async def test_the_next_step_is_claimed_once(redis: Redis) -> None:
    store = JobStore(redis)
    job = await delivered_first_step(store)
    assert not await store.claim_step(job.id, 1, OWNER)  # not advanced yet
    await store.advance(job, OWNER, KLING, "novita", time.time())

    claims = [await store.claim_step(job.id, 1, owner) for owner in ("a", "b", "a")]

    assert claims == [True, False, False]
    assert await redis.hget(f"job:{job.id}", "submit:1") == "a"


async def test_the_earlier_steps_late_callbacks_are_duplicates_before_and_after_the_next_task(
    redis: Redis,
) -> None:
    store = JobStore(redis)
    job = await delivered_first_step(store)
    await store.advance(job, OWNER, KLING, "novita", time.time())
    image_again = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn/seed.png"),))

    # The window between the advance and the next step's task id: the image's retry must not
    # pass for the video.
    early = await store.record_outcome(job.id, image_again, expected_task_id="seed-task")
    moved = await store.get(job.id)
    assert moved is not None
    await store.set_task(moved, "kling-task")
    late = await store.record_outcome(job.id, image_again, expected_task_id="seed-task")
    stranger = await store.record_outcome(job.id, image_again, expected_task_id="other-task")

    assert (early, late, stranger) == (RecordResult.DUPLICATE, RecordResult.DUPLICATE,
                                       RecordResult.TASK_MISMATCH)  # fmt: skip
    still = await store.get(job.id)
    assert still is not None and still.state is JobState.SUBMITTED and still.results == ()


async def test_a_chains_job_is_counted_once_when_its_last_step_ends(redis: Redis) -> None:
    store = JobStore(redis)
    job = await delivered_first_step(store, user=8)
    # The image step's success is not the job's: no outcome counted, the user's slot kept.
    assert await redis.get(k.OUTCOME_COUNT_KEY.format(state="succeeded")) is None
    assert await redis.hget("user:8", "inflight") == "1"
    await store.advance(job, OWNER, KLING, "novita", time.time())
    moved = await store.get(job.id)
    assert moved is not None
    await store.set_task(moved, "kling-task")

    video = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn/v.mp4"),))
    assert await store.record_outcome(job.id, video, expected_task_id="kling-task") == 1

    assert await redis.get(k.OUTCOME_COUNT_KEY.format(state="succeeded")) == "1"
    assert await redis.get(k.JOBS_TOTAL_KEY) == "1"
    assert await redis.hget("user:8", "inflight") == "0"
    assert await redis.llen(k.DURATIONS_KEY) == 1
    for model in ("seedream_3_0", KLING):
        counts = await redis.hgetall(k.MODEL_COUNTS_KEY.format(model=model))
        assert (counts["started"], counts["succeeded"]) == ("1", "1")


async def test_a_record_from_before_chains_is_one_step(redis: Redis) -> None:
    """Written field by field as before chains existed: no chain, step or steps."""
    await redis.hset("job:old", mapping={
        "id": "old", "chat_id": "5", "user_id": "5", "prompt": "p", "model": "nano-banana-pro",
        "state": "submitted", "task_id": "t-old", "created_at": repr(time.time()),
    })  # fmt: skip
    await redis.hset("user:5", "inflight", 1)
    store = JobStore(redis)
    old = await store.get("old")
    assert old is not None and (old.chain, old.step, old.steps) == ("", 0, 1)
    assert not old.has_next_step and old.started_at == old.created_at

    done = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn/r.png"),))
    assert await store.record_outcome("old", done, expected_task_id="t-old") == 1

    assert await redis.get(k.OUTCOME_COUNT_KEY.format(state="succeeded")) == "1"
    assert await redis.hget("user:5", "inflight") == "0"
