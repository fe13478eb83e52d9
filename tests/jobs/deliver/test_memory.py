"""Big results stream through a file: the real bot process's peak memory stays near one copy of
each file being uploaded at that moment, however many results a job has, and however many big
videos go out at once.

The bot runs as `python -m bot` in a child process with an environment built from scratch; its
peak RSS is read from /proc (VmHWM, reset through clear_refs before each phase).
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.providers.base import ResultMedia
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.child import BotHarnessView, child_env, running_bot
from tests.conftest import free_port
from tests.figures import record
from tests.harness import eventually, files_in
from tests.images import mp4, png

MB = 1024 * 1024
RESULT_BYTES = 45 * MB
RESULTS_PER_JOB = 4
VIDEO_JOBS = 8
VIDEO_MODEL = "grok-imagine/text-to-video"
# Download buffers (1 MiB each), sockets, the allocator's working room: measured under 5 MB.
SLACK_BYTES = 32 * MB

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def big_result(n: int) -> bytes:
    """A 4000x3000 PNG (real pixels, compressed) padded to 45 MB: goes out as a document."""
    image = png(4000, 3000, text=f"result {n}".encode())
    return png(4000, 3000, text=f"result {n}".encode(), padding=RESULT_BYTES - len(image) - 12)


async def memory(pid: int, field: str) -> int:
    status = await asyncio.to_thread(Path(f"/proc/{pid}/status").read_text)
    line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
    return int(line.split()[1]) * 1024


async def reset_peak(pid: int) -> int:
    """Start a new peak measurement; returns the resident size it starts from."""
    await asyncio.to_thread(Path(f"/proc/{pid}/clear_refs").write_text, "5")
    return await memory(pid, "VmRSS")


async def test_big_results_are_held_once_per_upload(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data")
    spool = tmp_path / "spool"
    env |= {"MEDIA_TMP_DIR": str(spool), "POLL_AFTER_SECONDS": "30"}
    results = [big_result(n) for n in range(RESULTS_PER_JOB)]
    urls = [kie.add_result_file(data, name=f"big{n}.png") for n, data in enumerate(results)]
    users = BotHarnessView(telegram, kie, redis)

    async with running_bot(env, tmp_path, tmp_path / "bot.log") as bot:
        # Warm-up: the first upload of this size sets up buffers that stay; not counted.
        await deliver_jobs(users, kie, telegram, 1, urls[:1])
        started = time.monotonic()

        base = await reset_peak(bot.pid)
        await deliver_jobs(users, kie, telegram, 1, urls)
        one_job = await memory(bot.pid, "VmHWM") - base

        base = await reset_peak(bot.pid)
        await deliver_jobs(users, kie, telegram, 3, urls)
        three_jobs = await memory(bot.pid, "VmHWM") - base
        elapsed = time.monotonic() - started

    assert await files_in(spool) == []
    one_bound, three_bound = RESULT_BYTES + SLACK_BYTES, 3 * RESULT_BYTES + SLACK_BYTES
    record("big results: 1 job x 4 x 45 MB", f"peak RSS +{one_job / MB:.0f} MB",
           f"< {one_bound / MB:.0f} MB (one upload at a time)")  # fmt: skip
    record("big results: 3 jobs x 4 x 45 MB at once",
           f"peak RSS +{three_jobs / MB:.0f} MB in {elapsed:.0f} s",
           f"< {three_bound / MB:.0f} MB (three uploads at a time)")  # fmt: skip
    # A job sends its results one at a time; jobs of different chats go out side by side.
    assert one_job < one_bound
    assert three_jobs < three_bound


async def deliver_jobs(
    users: BotHarnessView, kie: KieEmulator, telegram: TelegramEmulator, count: int,
    urls: list[str],
) -> None:  # fmt: skip
    """`count` users each get a job whose results are `urls`; waits until all went out whole."""
    jobs = await users.start_jobs(count)
    for task in jobs.values():
        kie.finish(task.task_id, result_urls=urls)
    for task in jobs.values():
        status, _ = await kie.send_callback(task.task_id)
        assert status == 200
    sent = await telegram.wait_for(
        "sendDocument", lambda c: c.ok and c.params["chat_id"] in jobs,
        count=count * len(urls), timeout=60,
    )  # fmt: skip
    assert all(len(call.params["document"]) == RESULT_BYTES for call in sent)
    await eventually(lambda: _none_undelivered(users.redis), within=30)


async def _none_undelivered(redis: Redis) -> bool:
    return await redis.zcard("jobs:undelivered") == 0


async def test_eight_big_videos_at_once_are_held_once_each(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data")
    spool = tmp_path / "spool"
    env |= {"MEDIA_TMP_DIR": str(spool), "POLL_AFTER_SECONDS": "30"}
    video = mp4(1920, 1080, 30.0, size=RESULT_BYTES, text=b"a big video")
    url = kie.add_result_file(video, name="big.mp4", content_type="video/mp4")

    async with running_bot(env, tmp_path, tmp_path / "bot.log") as bot:
        await deliver_videos(redis, telegram, 1, url)  # warm-up, as above
        base = await reset_peak(bot.pid)
        started = time.monotonic()
        await deliver_videos(redis, telegram, VIDEO_JOBS, url)
        elapsed = time.monotonic() - started
        growth = await memory(bot.pid, "VmHWM") - base

    assert await files_in(spool) == []
    total = VIDEO_JOBS * RESULT_BYTES
    record(f"big videos: {VIDEO_JOBS} x 45 MB at once",
           f"peak RSS +{growth / MB:.0f} MB ({growth / total:.2f}x their size) in {elapsed:.0f} s",
           f"< {(total + SLACK_BYTES) / MB:.0f} MB (one copy each)")  # fmt: skip
    assert growth < total + SLACK_BYTES


_video_chats = itertools.count(880_000)


async def deliver_videos(redis: Redis, telegram: TelegramEmulator, count: int, url: str) -> None:
    """`count` video jobs (new chats) finish with `url` at once; waits until all went out."""
    store = JobStore(redis)
    chats = [next(_video_chats) for _ in range(count)]
    jobs = [Job(uuid.uuid4().hex, chat, chat, "a clip", VIDEO_MODEL, provider="kie",
                task_id=f"task-{chat}", created_at=time.time()) for chat in chats]  # fmt: skip
    for job in jobs:
        await store.create(job, first_poll_at=job.created_at + 600)
    for job in jobs:  # as callbacks store them: each wakes the bot's delivery
        await store.record_outcome(job.id, Outcome(JobState.SUCCEEDED, (ResultMedia(url),)))
    sent = await telegram.wait_for(
        "sendVideo", lambda c: c.ok and c.params["chat_id"] in chats, count=count, timeout=120
    )
    assert all(len(call.params["video"]) == RESULT_BYTES for call in sent)
    await eventually(lambda: _none_undelivered(redis), within=30)
