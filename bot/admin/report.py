"""The /stats report: figures from Redis, each provider's health and balance, in words."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot import texts
from bot.admin.balances import in_flight_costs, read_balance
from bot.admin.chart import ChartData, ModelTimes, read_hours
from bot.admin.stats import Counted, Money, read_money, read_stats
from bot.jobs.start.failover import Failover
from bot.models import Registry
from bot.providers.base import Provider
from bot.users.access import Access


async def stats_report(
    redis: Redis,
    registry: Registry,
    failover: Failover,
    providers: Mapping[str, Provider],
    access: Access,
    *,
    charges: bool = False,
    callbacks: bool = True,
) -> StatsReport:
    """The figures in words (`callbacks`: whether providers call back, or every job is
    polled), and what the chart draws. Money (credits, Stars, what jobs in flight could spend)
    only when `charges`: with payments off the report stays as it was."""
    titles = {m.key: m.title for m in registry.models}
    figures = await read_stats(redis, list(titles))
    kept_out = await access.counts()
    now = time.time()
    chart = ChartData(
        hours=await read_hours(redis, now),
        times=tuple(
            ModelTimes(titles[m.model], m.p50_s, m.p95_s)
            for m in figures.by_model
            if m.p50_s is not None and m.p95_s is not None
        ),
    )
    money = _money_lines(await read_money(redis, now), titles) if charges else []
    in_flight = await in_flight_costs(redis, registry) if charges else None
    provider_lines = [
        await _provider_line(name, provider, failover, in_flight)
        for name, provider in providers.items()
    ]
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
        money_lines=money,
        callbacks=callbacks,
        provider_lines=provider_lines,
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


def _money_lines(money: Money, titles: Mapping[str, str]) -> list[str]:
    def pair(counted: Counted) -> tuple[int, int]:
        return counted.today, counted.total

    return texts.money_lines(
        spent=pair(money.spent),
        by_model=_by_title(money.by_model, titles),
        by_provider=[(name, pair(c)) for name, c in money.by_provider],
        stars=pair(money.stars),
        refunds=pair(money.refunds),
        refunded_stars=pair(money.refunded_stars),
        spenders=money.top_spenders,
    )


def _by_title(
    by_model: Sequence[tuple[str, Counted]], titles: Mapping[str, str]
) -> list[tuple[str, tuple[int, int]]]:
    """Models as admins know them: keys sharing a title (a model's text and image variants) on
    one line, largest total first; a key the registry no longer has stays a key."""
    summed: dict[str, tuple[int, int]] = {}
    for key, counted in by_model:
        today, total = summed.get(titles.get(key, key), (0, 0))
        summed[titles.get(key, key)] = (today + counted.today, total + counted.total)
    return sorted(summed.items(), key=lambda row: (-row[1][1], -row[1][0], row[0]))


async def _provider_line(
    name: str, provider: Provider, failover: Failover, in_flight: Mapping[str, float] | None
) -> str:
    health = await failover.health(name)
    cooldown = health.cooldown
    cooling = (cooldown.until, cooldown.why) if cooldown else None
    balance = await read_balance(name, provider)
    could_spend = None if in_flight is None else in_flight.get(name, 0.0)
    return texts.provider_line(
        name, cooling, balance, health.errors, health.submits, in_flight=could_spend
    )
