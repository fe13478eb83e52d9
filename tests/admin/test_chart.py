"""/stats' chart: hourly outcome buckets written where jobs end, drawn as a real PNG in either
language, with or without figures."""

from __future__ import annotations

import struct
import time
import uuid

from redis.asyncio import Redis

from bot import constants as k
from bot.admin.chart import ChartData, ChartLabels, HourOutcomes, ModelTimes, draw, read_hours
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.locales import speaking

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def sane_png(data: bytes) -> None:
    width, height = png_size(data)
    assert (width, height) == (800, 700)
    assert 10_000 < len(data) < 400_000


async def test_jobs_that_end_are_counted_in_their_hour_once(redis: Redis) -> None:
    store = JobStore(redis)
    now = time.time()
    for state in (JobState.SUCCEEDED, JobState.FAILED, JobState.SUCCEEDED):
        job = Job(uuid.uuid4().hex, 1, 1, "p", "nano-banana-pro", created_at=now)
        await store.create(job, first_poll_at=now + 60)
        await store.record_outcome(job.id, Outcome(state))
        await store.record_outcome(job.id, Outcome(state))  # a duplicate callback

    hours = await read_hours(redis, time.time())

    assert len(hours) == 24 and hours[-1].hour == int(time.time() // 3600)
    assert hours[-1].counts == {"succeeded": 2, "failed": 1}
    assert all(not h.counts for h in hours[:-1])
    ttl = await redis.ttl(k.HOURLY_OUTCOMES_KEY.format(hour=hours[-1].hour))
    assert 0 < ttl <= k.HOURLY_OUTCOMES_TTL_S


def test_the_chart_is_a_png_in_the_readers_language() -> None:
    hours = tuple(
        HourOutcomes(490_000 + i, {"succeeded": i, "failed": i % 3, "cancelled": i % 2})
        for i in range(24)
    )
    times = (ModelTimes("Nano Banana Pro", 12.5, 30.0), ModelTimes("Sora 2", 95.0, 240.0))
    with speaking("id"):
        labels = ChartLabels.current()
    assert labels.jobs_title != ChartLabels.current().jobs_title  # Indonesian, not English

    sane_png(draw(ChartData(hours, times), labels))


def test_an_empty_chart_still_draws() -> None:
    empty = tuple(HourOutcomes(490_000 + i, {}) for i in range(24))
    sane_png(draw(ChartData(empty, ()), ChartLabels.current()))
