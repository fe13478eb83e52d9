"""Figures for /stats, read from Redis counters; the arithmetic is pure."""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import constants as k
from bot.jobs.store import today


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    jobs_today: int
    jobs_total: int
    succeeded: int
    failed: int
    in_progress: int
    mean_s: float | None
    p95_s: float | None


def mean_and_p95(durations: list[float]) -> tuple[float | None, float | None]:
    """Mean and nearest-rank 95th percentile."""
    if not durations:
        return None, None
    ordered = sorted(durations)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return sum(ordered) / len(ordered), ordered[rank - 1]


async def read_stats(redis: Redis) -> Stats:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.pfcount(k.USERS_KEY)
        pipe.get(k.JOBS_DAY_KEY.format(day=today()))
        pipe.get(k.JOBS_TOTAL_KEY)
        pipe.get(k.OUTCOME_COUNT_KEY.format(state="succeeded"))
        pipe.get(k.OUTCOME_COUNT_KEY.format(state="failed"))
        pipe.zcard(k.POLL_QUEUE_KEY)
        pipe.lrange(k.DURATIONS_KEY, 0, -1)
        users, day, total, ok, failed, in_progress, durations = await pipe.execute()
    mean_s, p95_s = mean_and_p95([float(d) for d in durations])
    return Stats(
        users=int(users),
        jobs_today=int(day or 0),
        jobs_total=int(total or 0),
        succeeded=int(ok or 0),
        failed=int(failed or 0),
        in_progress=int(in_progress),
        mean_s=mean_s,
        p95_s=p95_s,
    )
