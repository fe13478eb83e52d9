"""The eight measurements, each beside its reference from the same run."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.bench.loadgen import PreparedRequest, percentile, run_in_subprocess, write_requests
from bot.bench.rig import BUCKET, BotProcess, Rig, SeededJob, free_port, wait_until
from bot.sandbox.emulators.telegram import TelegramEmulator


@dataclass(frozen=True)
class Sizes:
    """How much work each row does; `tiny` keeps the test-suite run short."""

    rounds: int
    ingest_requests: int
    latency_jobs: int
    intake_photos: int
    photo_bytes: int
    memory_jobs: int
    fanout_results: int
    video_jobs: int
    video_bytes: int
    poll_seconds: float = 20.0  # how long 200 jobs are polled by two replicas (row 8)


MB = 1024 * 1024
FULL = Sizes(3, 20_000, 1_000, 200, MB, 10_000, 600, 8, 45 * MB, poll_seconds=30.0)
QUICK = Sizes(2, 5_000, 200, 50, MB, 2_000, 300, 8, 45 * MB)
TINY = Sizes(1, 200, 20, 5, 64 * 1024, 100, 30, 2, MB, poll_seconds=3.0)


@dataclass
class Row:
    number: int
    what: str
    value: str
    reference: str
    target: str
    met: bool
    figures: dict[str, Any] = field(default_factory=dict)
    completed: bool = True  # every job of the row finished


# -- 1 and 6: callback ingestion ---------------------------------------------------------------


async def ingestion(rig: Rig, sizes: Sizes, replicas: int) -> dict[str, Any]:
    """Median requests/s over rounds for Photobot (with `replicas` processes) and a bare server."""
    ours, bare, errors, stored = [], [], 0, True
    for _ in range(sizes.rounds):
        async with rig.running_bots(replicas) as bots:
            jobs = await rig.seed_jobs(sizes.ingest_requests)
            requests = [
                PreparedRequest(
                    j.callback_url(bots[i % len(bots)].url), rig.callback_body(j.task_id)
                )
                for i, j in enumerate(jobs)
            ]
            report = await _load(rig, requests)
            ours.append(report["rps"])
            errors += report["errors"]
            stored &= await _all_stored(rig, jobs)
        bare.append((await _bare_rps(rig, jobs))["rps"])
    return {
        "rps": statistics.median(ours),
        "bare_rps": statistics.median(bare),
        "errors": errors,
        "all_stored": stored,
        "generator": report["generator"],
        "rounds_rps": ours,
        "rounds_bare_rps": bare,
    }


async def _load(rig: Rig, requests: list[PreparedRequest]) -> dict[str, Any]:
    path = rig.workdir / "requests.jsonl"
    await asyncio.to_thread(write_requests, path, requests)
    return await run_in_subprocess(path, concurrency=64, warmup=min(500, len(requests) // 10))


async def _all_stored(rig: Rig, jobs: list[SeededJob]) -> bool:
    pipe = rig.redis.pipeline(transaction=False)
    for job in jobs:
        pipe.hget(f"job:{job.job.id}", "state")
    states = await pipe.execute()
    return all(state in ("succeeded", "delivered") for state in states)


async def _bare_rps(rig: Rig, jobs: list[SeededJob]) -> dict[str, Any]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.bench.bare", "--port", str(port),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until(_port_open(port), 30, "bare server")
        requests = [
            PreparedRequest(j.callback_url(url), rig.callback_body(j.task_id)) for j in jobs
        ]
        return await _load(rig, requests)
    finally:
        process.kill()
        await process.wait()


def _port_open(port: int) -> Callable[[], Any]:
    async def check() -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    return check


# -- 2: callback -> chat latency ---------------------------------------------------------------


async def latency(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """From a callback request's start to the Bot API emulator receiving the result, at 10/s."""
    async with rig.running_bots(1) as (bot,):
        jobs = await rig.seed_jobs(sizes.latency_jobs, first_chat=50_000)
        before = len(rig.telegram.calls)
        started: dict[int, float] = {}
        answers = await asyncio.gather(
            *(_paced_callback(rig, bot.url, j, i * 0.1, started) for i, j in enumerate(jobs))
        )
        await wait_until(_photos_for(rig.telegram, jobs, before), 60, "latency deliveries")
        arrived = {
            int(c.params["chat_id"]): c.at
            for c in rig.telegram.calls[before:]
            if c.method == "sendPhoto" and c.ok
        }
        lat_ms = sorted((arrived[c] - started[c]) * 1000 for c in started)
        rtt_ms = await _redis_rtt(rig)
    return {
        "p50_ms": percentile(lat_ms, 50),
        "p99_ms": percentile(lat_ms, 99),
        "redis_rtt_ms": rtt_ms,
        "callbacks_ok": sum(1 for a in answers if a == 200),
        "delivered": len(arrived),
    }


async def _paced_callback(
    rig: Rig, url: str, job: SeededJob, delay_s: float, started: dict[int, float]
) -> int:
    await asyncio.sleep(delay_s)  # pacing the load, not synchronising a test
    started[job.job.chat_id] = time.monotonic()
    status, _ = await rig.kie.send_callback(
        job.task_id, body=rig.callback_body(job.task_id), url=job.callback_url(url)
    )
    return status


def _photos_for(
    telegram: TelegramEmulator, jobs: list[SeededJob], before: int
) -> Callable[[], Any]:
    wanted = {j.job.chat_id for j in jobs}

    async def check() -> bool:
        got = {int(c.params["chat_id"]) for c in telegram.calls[before:]
               if c.method == "sendPhoto" and c.ok}  # fmt: skip
        return wanted <= got

    return check


async def _redis_rtt(rig: Rig) -> float:
    samples = []
    for _ in range(200):
        start = time.perf_counter()
        await rig.redis.ping()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


# -- 3: intake -----------------------------------------------------------------------------------


async def intake(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """Photo update available -> createTask at Kie, one photo at a time, against bare put_object."""
    photo = b"\xff\xd8\xff\xe0" + os.urandom(sizes.photo_bytes - 6) + b"\xff\xd9"
    async with rig.running_bots(1):
        samples = []
        for n in range(sizes.intake_photos):
            chat = 70_000 + n
            file_id, _ = rig.telegram.add_file(photo)
            count = len(rig.kie.tasks) + 1
            pushed = time.time()
            rig.telegram.message_update(
                chat_id=chat, user_id=chat, photo_file_id=file_id, caption="bench"
            )
            task = (await rig.kie.wait_for_task(count=count, timeout=60))[-1]
            samples.append((task.created_at - pushed) * 1000)
    bare = await asyncio.to_thread(_bare_uploads, rig.s3_endpoint, photo, sizes.intake_photos)
    return {
        "p50_ms": statistics.median(samples),
        "bare_put_p50_ms": statistics.median(bare),
        "photos": len(samples),
    }


def _bare_uploads(endpoint: str, data: bytes, count: int) -> list[float]:
    from bot.storage.r2 import make_s3_client

    client = make_s3_client(endpoint, "bench", "bench")
    samples = []
    for n in range(count):
        start = time.perf_counter()
        client.put_object(Bucket=BUCKET, Key=f"bare/{n}.jpg", Body=data, ContentType="image/jpeg")
        samples.append((time.perf_counter() - start) * 1000)
    return samples


# -- 4: memory -----------------------------------------------------------------------------------


async def memory(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """RSS and Redis memory with many jobs in flight, created through the real intake path."""
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9"
    async with rig.running_bots(1) as (bot,):
        await asyncio.sleep(1.0)  # let start-up allocations settle before the idle reading
        idle_rss = bot.rss_bytes()
        redis_before = await _memory_held(rig)
        file_id, _ = rig.telegram.add_file(photo)
        first = len(rig.kie.tasks)
        for n in range(sizes.memory_jobs):
            chat = 100_000 + n
            rig.telegram.message_update(
                chat_id=chat, user_id=chat, photo_file_id=file_id, caption="in flight"
            )
        await rig.kie.wait_for_task(count=first + sizes.memory_jobs, timeout=600)
        await wait_until(_poll_queue_is(rig, sizes.memory_jobs), 60, "jobs stored")
        loaded_rss = bot.rss_bytes()
        redis_after = await _memory_held(rig)
    return {
        "idle_rss_mb": idle_rss / 2**20,
        "rss_growth_mb": (loaded_rss - idle_rss) / 2**20,
        "redis_bytes_per_job": (redis_after - redis_before) / sizes.memory_jobs,
        "jobs": sizes.memory_jobs,
    }


async def _memory_held(rig: Rig) -> int:
    """used_memory, less what drains by itself: the append-only file's buffer (writes wait
    there while a busy disk is slow to fsync) and the clients' query and reply buffers, which
    made a busy machine's reading swing by a kilobyte a job."""
    memory = await rig.redis.info("memory")
    draining = int(memory["mem_aof_buffer"]) + int(memory["mem_clients_normal"])
    return int(memory["used_memory"]) - draining


def _poll_queue_is(rig: Rig, count: int) -> Callable[[], Any]:
    async def check() -> bool:
        return int(await rig.redis.zcard("jobs:poll")) >= count

    return check


# -- 5: fan-out under flood control ---------------------------------------------------------------


async def fanout(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """Results for many chats through an emulator enforcing 30 messages/s."""
    telegram = TelegramEmulator(token=rig.telegram.token, flood_limit_per_s=30)
    await telegram.start()
    try:
        async with rig.running_bots(1, telegram=telegram) as (bot,):
            jobs = await rig.seed_jobs(sizes.fanout_results, first_chat=200_000)
            start = time.monotonic()
            sem = asyncio.Semaphore(32)

            async def callback(job: SeededJob) -> None:
                async with sem:
                    await rig.kie.send_callback(
                        job.task_id, body=rig.callback_body(job.task_id),
                        url=job.callback_url(bot.url),
                    )  # fmt: skip

            await asyncio.gather(*(callback(j) for j in jobs))
            await wait_until(_photos_for(telegram, jobs, 0), 300, "fan-out deliveries")
            photos = [c for c in telegram.calls if c.method == "sendPhoto" and c.ok]
            wall_s = max(c.at for c in photos) - start
            refusals = Counter(int(c.params["chat_id"]) for c in telegram.calls if c.status == 429)
    finally:
        await telegram.stop()
    return {
        "wall_s": wall_s,
        "floor_s": sizes.fanout_results / 30,
        "delivered": len({int(c.params["chat_id"]) for c in photos}),
        "duplicates": len(photos) - len({int(c.params["chat_id"]) for c in photos}),
        "answered_429": sum(refusals.values()),
        "max_429_per_message": max(refusals.values(), default=0),
    }


# -- 7: big video results -------------------------------------------------------------------------

VIDEO_MODEL = "grok-imagine/text-to-video"


async def big_videos(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """Concurrent deliveries of one big video result: the bot's peak RSS growth beside the
    files' total size, and the time beside bare uploads of the same bytes to the emulator."""
    video = _movie(sizes.video_bytes)
    url = rig.kie.add_result_file(video, name="big.mp4", content_type="video/mp4")
    async with rig.running_bots(1) as (bot,):
        # The first upload of this size sets up buffers that stay; not counted.
        await _deliver_videos(rig, bot, url, 1, first_chat=300_000)
        base = bot.reset_peak()
        started = time.monotonic()
        jobs = await _deliver_videos(rig, bot, url, sizes.video_jobs, first_chat=300_100)
        wall_s = time.monotonic() - started
        growth = bot.peak_rss_bytes() - base
    path = rig.workdir / "big.mp4"
    await asyncio.to_thread(path.write_bytes, video)
    bare_s = await _bare_video_uploads(rig, path, sizes.video_jobs)
    return {
        "jobs": sizes.video_jobs,
        "file_mb": sizes.video_bytes / MB,
        "total_mb": sizes.video_jobs * sizes.video_bytes / MB,
        "rss_growth_mb": growth / MB,
        "wall_s": wall_s,
        "bare_upload_s": bare_s,
        "delivered": len(_chats_sent(rig.telegram, "sendVideo") & {j.job.chat_id for j in jobs}),
    }


def _movie(size: int) -> bytes:
    """An MP4 the sniffer takes for a video: ftyp, then a media box of zeros to `size`."""
    ftyp = struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isommp42"
    return ftyp + struct.pack(">I", size - len(ftyp)) + b"mdat" + bytes(size - len(ftyp) - 8)


async def _deliver_videos(
    rig: Rig, bot: BotProcess, url: str, count: int, first_chat: int
) -> list[SeededJob]:
    """Video jobs finish at once (their callbacks sent together); returns once every video
    reached the emulator. Seeding the jobs first takes milliseconds."""
    jobs = await rig.seed_jobs(count, first_chat=first_chat, model=VIDEO_MODEL)
    await asyncio.gather(
        *(
            rig.kie.send_callback(j.task_id, body=rig.callback_body(j.task_id, url),
                                  url=j.callback_url(bot.url))
            for j in jobs
        )
    )  # fmt: skip
    await wait_until(_videos_for(rig.telegram, jobs), 300, "video deliveries")
    return jobs


def _chats_sent(telegram: TelegramEmulator, method: str) -> set[int]:
    return {int(c.params["chat_id"]) for c in telegram.calls if c.method == method and c.ok}


def _videos_for(telegram: TelegramEmulator, jobs: list[SeededJob]) -> Callable[[], Any]:
    wanted = {j.job.chat_id for j in jobs}

    async def check() -> bool:
        return wanted <= _chats_sent(telegram, "sendVideo")

    return check


async def _bare_video_uploads(rig: Rig, path: Path, count: int) -> float:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.bench.bare_upload",
        "--api-url", f"{rig.telegram.url}/bot{rig.telegram.token}", "--file", str(path),
        "--count", str(count), "--first-chat", "399000",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"bare upload failed: {stderr.decode(errors='replace')[-2000:]}")
    return float(json.loads(stdout.decode().splitlines()[-1])["seconds"])


# -- 8: the polling budget ------------------------------------------------------------------------

POLLED_JOBS = 200
KIE_RECORD_INFO_PER_S = 10  # Kie's documented limit per API key


async def poll_budget(rig: Rig, sizes: Sizes) -> dict[str, Any]:
    """Two replicas poll 200 jobs in flight (never finished: on a 3 s cadence they would ask
    for 67 queries a second): recordInfo requests as the Kie emulator saw them."""
    async with rig.running_bots(2, POLL_AFTER_SECONDS="1"):
        jobs = await rig.seed_jobs(POLLED_JOBS, first_chat=300_000)
        start = time.monotonic()
        await rig.redis.zadd("jobs:poll", {j.job.id: time.time() for j in jobs}, xx=True)
        await asyncio.sleep(sizes.poll_seconds)  # the measurement's length, not a wait
    return poll_figures(
        [r.at for r in rig.kie.requests if r.path.endswith("/recordInfo") and r.at >= start],
        sizes.poll_seconds,
    )


def poll_figures(times: Sequence[float], seconds: float) -> dict[str, Any]:
    """Status queries' figures from the provider's side: the busiest sliding second beside
    the limit, and the mean rate over the measurement."""
    return {
        "requests": len(times),
        "busiest_second": busiest_window(times, 1.0),
        "mean_per_s": len(times) / seconds,
        "limit_per_s": KIE_RECORD_INFO_PER_S,
        "jobs": POLLED_JOBS,
        "seconds": seconds,
    }


def busiest_window(times: Sequence[float], window_s: float = 1.0) -> int:
    """The most of `times` in any window [t, t + window_s): what a per-second rate limit is
    checked against (a sliding window, not calendar seconds)."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
