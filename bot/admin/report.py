"""The /stats report: figures from Redis, each provider's health and balance, in words."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import texts
from bot.admin.chart import ChartData, ModelTimes, read_hours
from bot.admin.stats import read_stats
from bot.errors import ProviderError
from bot.jobs.start.failover import Failover
from bot.models import Registry
from bot.providers.base import Provider
from bot.users.access import Access

log = logging.getLogger(__name__)


async def stats_report(
    redis: Redis,
    registry: Registry,
    failover: Failover,
    providers: Mapping[str, Provider],
    access: Access,
    *,
    callbacks: bool = True,
) -> StatsReport:
    """The figures in words (`callbacks`: whether providers call back, or every job is
    polled), and what the chart draws."""
    titles = {m.key: m.title for m in registry.models}
    figures = await read_stats(redis, list(titles))
    kept_out = await access.counts()
    chart = ChartData(
        hours=await read_hours(redis, time.time()),
        times=tuple(
            ModelTimes(titles[m.model], m.p50_s, m.p95_s)
            for m in figures.by_model
            if m.p50_s is not None and m.p95_s is not None
        ),
    )
    text = texts.stats_text(
        users=figures.users,
        jobs_today=figures.jobs_today,
        jobs_total=figures.jobs_total,
        succeeded=figures.succeeded,
        failed=figures.failed,
        cancelled=figures.cancelled,
        in_progress=figures.in_progress,
        active=kept_out.active,
        banned=kept_out.banned,
        refused=kept_out.refused,
        mean_s=figures.mean_s,
        p95_s=figures.p95_s,
        callbacks=callbacks,
        provider_lines=[await _provider_line(n, p, failover) for n, p in providers.items()],
        model_lines=[
            texts.model_line(titles[m.model], m.started, m.success_rate, m.p50_s, m.p95_s)
            for m in figures.by_model
        ],
    )
    return StatsReport(text, chart)


@dataclass(frozen=True, slots=True)
class StatsReport:
    text: str
    chart: ChartData


async def _provider_line(name: str, provider: Provider, failover: Failover) -> str:
    health = await failover.health(name)
    cooldown = health.cooldown
    cooling = (cooldown.until, cooldown.why) if cooldown else None
    balance = await _balance(name, provider)
    return texts.provider_line(name, cooling, balance, health.errors, health.submits)


async def _balance(name: str, provider: Provider) -> float | None:
    try:
        return await provider.balance()
    except ProviderError as exc:
        log.warning("%s balance unavailable: %s", name, exc.code)
        return None
