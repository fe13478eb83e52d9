"""Figures for /stats, read from Redis counters; the arithmetic is pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import constants as k
from bot.codec import text, texts
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


# --- Money: what bot/credits/lua.py's `settle` counts when a held price is spent, and what
# payments count when Stars come in or go back. Named here because only /stats reads them.
CREDITS_TOTALS_KEY = "credits:totals"  # hash: spent, model:<key>, provider:<name>, stars, ...
CREDITS_DAY_KEY = "credits:day:{day}"  # the same hash for one UTC day (unix time // 86400)
CREDITS_SPENDERS_KEY = "credits:spenders"  # sorted set: user id -> credits spent in total
TOP_SPENDERS = 5
_MODEL, _PROVIDER = "model:", "provider:"


@dataclass(frozen=True, slots=True)
class Counted:
    """One figure today (UTC) and in total."""

    today: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class Money:
    """Credits spent (by model key and provider, largest first), Stars received, refunds, and
    the top spenders as (user id, credits)."""

    spent: Counted
    by_model: tuple[tuple[str, Counted], ...]
    by_provider: tuple[tuple[str, Counted], ...]
    stars: Counted
    refunds: Counted
    refunded_stars: Counted
    top_spenders: tuple[tuple[int, int], ...]


async def read_money(redis: Redis, now: float, top: int = TOP_SPENDERS) -> Money:
    """Today's and all-time money figures, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(CREDITS_DAY_KEY.format(day=int(now // 86400)))
        pipe.hgetall(CREDITS_TOTALS_KEY)
        pipe.zrevrange(CREDITS_SPENDERS_KEY, 0, top - 1, withscores=True)
        day, totals, spenders = await pipe.execute()
    return money_from(_counts(day), _counts(totals), spenders)


def money_from(
    day: dict[str, int], totals: dict[str, int], spenders: list[tuple[str | bytes, float]]
) -> Money:
    """The figures from the two hashes (fields absent count 0) and the spenders' scores."""

    def counted(field: str) -> Counted:
        return Counted(day.get(field, 0), totals.get(field, 0))

    def by(prefix: str) -> tuple[tuple[str, Counted], ...]:
        names = {f.removeprefix(prefix) for f in (*totals, *day) if f.startswith(prefix)}
        rows = [(name, counted(prefix + name)) for name in names]
        return tuple(sorted(rows, key=lambda row: (-row[1].total, -row[1].today, row[0])))

    return Money(
        spent=counted("spent"),
        by_model=by(_MODEL),
        by_provider=by(_PROVIDER),
        stars=counted("stars"),
        refunds=counted("refunds"),
        refunded_stars=counted("stars_refunded"),
        top_spenders=tuple((int(text(user)), int(score)) for user, score in spenders),
    )


def _counts(raw: dict[str | bytes, str | bytes]) -> dict[str, int]:
    return {name: int(value) for name, value in texts(raw).items()}
