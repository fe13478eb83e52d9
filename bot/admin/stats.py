"""Figures for /stats, read from Redis counters; the arithmetic is pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    by_model: tuple[ModelStats, ...] = ()
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class ModelStats:
    model: str  # the registry key
    started: int
    succeeded: int
    failed: int
    p50_s: float | None
    p95_s: float | None

    @property
    def success_rate(self) -> float | None:
        finished = self.succeeded + self.failed
        return self.succeeded / finished if finished else None


def mean_and_p95(durations: list[float]) -> tuple[float | None, float | None]:
    """Mean and nearest-rank 95th percentile."""
    if not durations:
        return None, None
    ordered = sorted(durations)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return sum(ordered) / len(ordered), ordered[rank - 1]


def percentile(durations: list[float], share: float) -> float | None:
    """Nearest-rank percentile (share 0.5 for the median)."""
    if not durations:
        return None
    ordered = sorted(durations)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


async def read_stats(redis: Redis, models: Sequence[str] = ()) -> Stats:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.pfcount(k.USERS_KEY)
        pipe.get(k.JOBS_DAY_KEY.format(day=today()))
        pipe.get(k.JOBS_TOTAL_KEY)
        pipe.get(k.OUTCOME_COUNT_KEY.format(state="succeeded"))
        pipe.get(k.OUTCOME_COUNT_KEY.format(state="failed"))
        pipe.zcard(k.POLL_QUEUE_KEY)
        pipe.lrange(k.DURATIONS_KEY, 0, -1)
        pipe.get(k.OUTCOME_COUNT_KEY.format(state="cancelled"))
        for model in models:
            pipe.hgetall(k.MODEL_COUNTS_KEY.format(model=model))
            pipe.lrange(k.MODEL_DURATIONS_KEY.format(model=model), 0, -1)
        (
            users,
            day,
            total,
            ok,
            failed,
            in_progress,
            durations,
            cancelled,
            *per_model,
        ) = await pipe.execute()
    mean_s, p95_s = mean_and_p95([float(d) for d in durations])
    by_model = tuple(
        _model_stats(model, counts, [float(d) for d in took])
        for model, counts, took in zip(models, per_model[::2], per_model[1::2], strict=True)
        if counts
    )
    return Stats(
        users=int(users),
        jobs_today=int(day or 0),
        jobs_total=int(total or 0),
        succeeded=int(ok or 0),
        failed=int(failed or 0),
        in_progress=int(in_progress),
        mean_s=mean_s,
        p95_s=p95_s,
        by_model=by_model,
        cancelled=int(cancelled or 0),
    )


def _model_stats(model: str, counts: dict[str, str], durations: list[float]) -> ModelStats:
    return ModelStats(
        model=model,
        started=int(counts.get("started", 0)),
        succeeded=int(counts.get("succeeded", 0)),
        failed=int(counts.get("failed", 0)),
        p50_s=percentile(durations, 0.5),
        p95_s=percentile(durations, 0.95),
    )
