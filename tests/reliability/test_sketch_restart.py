"""/sketch across a restart: the bot SIGKILLed between its steps, or after the video step was
submitted, still sends one preview and one video and submits Kling once; a job left advanced
but unsubmitted is submitted by the next process, and one claimed without a task id is failed,
never paid for twice."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.jobs.background.reconciler import SUBMIT_GRACE_S
from bot.jobs.record import Job, JobState, ResultMark, StoredMedia
from bot.jobs.store import JobStore, Outcome
from bot.media.kinds import MediaKind
from bot.providers.base import ResultMedia
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.novita import NovitaEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.storage.r2 import R2Storage, make_s3_client
from tests.child import BotHarnessView, child_env, r2_env, running_bot
from tests.conftest import BUCKET, NOVITA_KEY, free_port
from tests.e2e.test_commands import command
from tests.e2e.test_sketch import (
    CLIP,
    DRAWING,
    PROMPT,
    finish_video,
    kling_tasks,
    novita_settings,
)
from tests.harness import StartBot, eventually

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
KLING = "kling-v2.1-i2v-master"
WAIT_S = 60.0  # a killed process's delivery lease (15 s) runs out before the next one resends


def sketch_env(
    telegram: TelegramEmulator, kie: KieEmulator, novita: NovitaEmulator, redis_url: str,
    s3_endpoint: str, data_dir: Path,
) -> dict[str, str]:  # fmt: skip
    return child_env(
        telegram, kie, redis_url, free_port(), data_dir,
        NOVITA_API_KEY=NOVITA_KEY, NOVITA_BASE_URL=novita.url, **r2_env(s3_endpoint),
    )  # fmt: skip


async def job_state(redis: Redis, job_id: str) -> str | None:
    return await redis.hget(f"job:{job_id}", "state")


def job_id_of(redis_keys: list[str]) -> str:
    [key] = redis_keys
    return key.removeprefix("job:")


def sent_ok(telegram: TelegramEmulator, method: str, chat: int) -> int:
    return sum(1 for c in telegram.calls_to(method) if c.ok and int(c.params["chat_id"]) == chat)


async def video_once(telegram: TelegramEmulator, redis: Redis, job_id: str) -> None:
    await eventually(lambda: _is(job_state(redis, job_id), "delivered"), within=WAIT_S)


async def _is(value: Any, expected: object) -> bool:
    return bool(await value == expected)


async def test_killed_before_the_preview_went_out_the_chain_goes_on_after_a_restart(
    telegram: TelegramEmulator, kie: KieEmulator, novita: NovitaEmulator, redis: Redis,
    redis_url: str, s3_endpoint: str, tmp_path: Path,
) -> None:  # fmt: skip
    env = sketch_env(telegram, kie, novita, redis_url, s3_endpoint, tmp_path / "data")
    users = BotHarnessView(telegram, kie, redis)
    chat = 5101
    async with running_bot(env, tmp_path, tmp_path / "first.log") as first:
        command(users, chat, f"/sketch {PROMPT}")
        [seed] = await novita.wait_for_task(timeout_s=30)
        url = novita.add_result_file(DRAWING)
        novita.finish(seed.task_id, images=[url])
        door = telegram.hold("sendPhoto")
        assert (await novita.send_webhook(seed.task_id))[0] == 200
        await asyncio.wait_for(door.arrived.wait(), 30)
        first.kill()  # SIGKILL while the preview waits at Telegram's door
        await first.wait()
        door.fail()  # it never reached the chat
    job_id = job_id_of(await redis.keys("job:*"))
    assert await redis.hget(f"job:{job_id}", "step") == "0" and kling_tasks(novita) == []

    async with running_bot(env, tmp_path, tmp_path / "second.log"):
        [kling] = [t for t in await novita.wait_for_task(count=2, timeout_s=WAIT_S)
                   if t.endpoint == "kling"]  # fmt: skip
        assert kling.image == DRAWING and kling.image_source == url
        await finish_video(novita, kling)
        await video_once(telegram, redis, job_id)

    assert sent_ok(telegram, "sendPhoto", chat) == 1
    assert sent_ok(telegram, "sendVideo", chat) == 1
    assert len(kling_tasks(novita)) == 1


async def test_killed_after_the_video_step_was_submitted_the_video_arrives_once(
    telegram: TelegramEmulator, kie: KieEmulator, novita: NovitaEmulator, redis: Redis,
    redis_url: str, s3_endpoint: str, tmp_path: Path,
) -> None:  # fmt: skip
    env = sketch_env(telegram, kie, novita, redis_url, s3_endpoint, tmp_path / "data")
    users = BotHarnessView(telegram, kie, redis)
    chat = 5102
    async with running_bot(env, tmp_path, tmp_path / "first.log") as first:
        command(users, chat, f"/sketch {PROMPT}")
        [seed] = await novita.wait_for_task(timeout_s=30)
        novita.finish(seed.task_id, images=[novita.add_result_file(DRAWING)])
        assert (await novita.send_webhook(seed.task_id))[0] == 200
        [kling] = [t for t in await novita.wait_for_task(count=2, timeout_s=30)
                   if t.endpoint == "kling"]  # fmt: skip
        job_id = job_id_of(await redis.keys("job:*"))
        await eventually(lambda: _is(redis.hget(f"job:{job_id}", "task_id"), kling.task_id))
        first.kill()
        await first.wait()
    clip = novita.add_result_file(CLIP, name="v.mp4", content_type="video/mp4")
    novita.finish(kling.task_id, videos=[clip])
    with pytest.raises(aiohttp.ClientError):  # the bot is down: this event is lost
        await novita.send_webhook(kling.task_id)

    async with running_bot(env, tmp_path, tmp_path / "second.log"):
        await video_once(telegram, redis, job_id)  # found by polling Novita

    assert sent_ok(telegram, "sendPhoto", chat) == 1
    assert sent_ok(telegram, "sendVideo", chat) == 1
    assert len(kling_tasks(novita)) == 1
    assert any(r.path == "/v3/async/task-result" for r in novita.requests)


# --- The two states a crash between the advance and the task id leaves, staged with the real
# store exactly as the dying process wrote them, then met by a fresh bot. -------------------


async def stage_advanced(redis: Redis, s3_endpoint: str, chat: int) -> str:
    """A sketch whose image went out and whose job advanced to the video step, and then the
    process died before claiming that step."""
    store, owner = JobStore(redis), "the process that died"
    job = Job(uuid.uuid4().hex, chat, chat, PROMPT, "seedream_3_0", "novita",
              created_at=time.time(), chain="sketch", steps=2,
              params={"aspect_ratio": "auto", "video_length": "short"})  # fmt: skip
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.set_task(job, "seed-task")
    image = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn.novita.ai/x.png"),))
    await store.record_outcome(job.id, image, expected_task_id="seed-task")
    assert await store.claim(job.id, owner, 15) is not None
    client = await asyncio.to_thread(make_s3_client, s3_endpoint, "test", "test")
    key = f"inputs/{job.id}-step2-1.png"
    await R2Storage(client, BUCKET).put(key, DRAWING, "image/png")
    stored = StoredMedia(MediaKind.IMAGE, key, "image/png", len(DRAWING))
    assert await store.keep_input(job.id, owner, 0, stored)
    assert await store.mark_result(job.id, owner, 0, ResultMark.SENT)
    latest = await store.get(job.id)
    assert latest is not None
    assert await store.advance(latest, owner, KLING, "novita", first_poll_at=time.time())
    return job.id


async def test_a_job_advanced_but_never_submitted_is_submitted_once_by_the_next_process(
    start_bot: StartBot, novita: NovitaEmulator, redis: Redis, s3_endpoint: str
) -> None:
    chat = 5103
    job_id = await stage_advanced(redis, s3_endpoint, chat)

    async with start_bot(**novita_settings(novita), poll_after_seconds=0.4) as bot:
        [kling] = await novita.wait_for_task(timeout_s=30)
        assert kling.endpoint == "kling" and kling.image == DRAWING
        assert kling.body["prompt"] == PROMPT and kling.body["duration"] == "5"
        await finish_video(novita, kling)
        [video] = await bot.wait_sent(chat, "sendVideo")
        assert video.params["video"] == CLIP
        await eventually(lambda: _is(job_state(redis, job_id), "delivered"))

    assert len(kling_tasks(novita)) == 1


async def test_a_step_claimed_but_never_given_a_task_is_failed_not_submitted_again(
    start_bot: StartBot, novita: NovitaEmulator, redis: Redis, s3_endpoint: str
) -> None:
    chat = 5104
    job_id = await stage_advanced(redis, s3_endpoint, chat)
    # The dying process had claimed the step (its upload may have reached Novita), and that
    # was longer ago than a submission may take.
    assert await JobStore(redis).claim_step(job_id, 1, "the process that died")
    await redis.hset(f"job:{job_id}", "step_started_at", repr(time.time() - SUBMIT_GRACE_S - 5))

    async with start_bot(**novita_settings(novita), poll_after_seconds=0.4) as bot:
        await bot.wait_said(chat, lambda t: t.startswith("The video step failed:"))
        await eventually(lambda: _is(job_state(redis, job_id), "delivered"))

    assert await redis.hget(f"job:{job_id}", "error_code") == "lost"
    assert novita.requests == [] and kling_tasks(novita) == []
