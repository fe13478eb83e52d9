"""Provider balances against what jobs in flight could still spend, and the watch that tells
admins when a balance runs low."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import cast

from redis.asyncio import Redis

from bot import constants as k
from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.codec import text
from bot.errors import ProviderError
from bot.jobs.store import job_key
from bot.loops import every
from bot.models import Registry
from bot.models.spec import ModelSpec
from bot.providers.base import Provider

log = logging.getLogger(__name__)

CHECK_EVERY_S = 10 * 60.0
# One alert per provider this often at most, across replicas: a low balance stays low for a
# while, and admins need telling, not a message every check.
ALERT_EVERY_S = 4 * 3600
# The poll queue holds every submitted job; reading more than this many records for one check
# would cost more than the figure is worth (past it, the sum is a lower bound).
IN_FLIGHT_READ_MAX = 5000


async def in_flight_costs(
    redis: Redis, registry: Registry, limit: int = IN_FLIGHT_READ_MAX
) -> dict[str, float]:
    """Per provider, the `cost` of what submitted jobs could still spend there: the model
    running now and a chain's steps still to come."""
    # zrange's overloads (withscores) leave its element type open: plain members here.
    ids = cast(list[str | bytes], await redis.zrange(k.POLL_QUEUE_KEY, 0, limit - 1))
    if not ids:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(job_key(text(job_id)), "model", "chain", "step")
        rows = await pipe.execute()
    costs: dict[str, float] = defaultdict(float)
    for model, chain, step in rows:
        for spec in still_to_run(registry, model, chain, step):
            costs[spec.provider] += spec.cost
    return dict(costs)


def still_to_run(
    registry: Registry, model: str | None, chain: str | None, step: str | None
) -> list[ModelSpec]:
    """The models a job's record says it runs now and later; none for a record gone since."""
    running = registry.find(text(model)) if model else None
    if running is None:
        return []
    found = registry.chain(text(chain)) if chain else None
    later = registry.step_models(found)[int(step or 0) + 1 :] if found else []
    return [running, *later]


async def read_balance(name: str, provider: Provider) -> float | None:
    """The provider's balance; None when it does not tell or cannot be asked now."""
    try:
        return await provider.balance()
    except ProviderError as exc:
        log.warning("%s balance unavailable: %s", name, exc.code)
        return None


@dataclass(frozen=True, slots=True)
class LowBalance:
    """A provider whose balance is under the threshold, or under what its jobs could spend."""

    provider: str
    balance: float
    in_flight: float
    threshold: float | None


def low_balance(
    provider: str, balance: float, in_flight: float, threshold: float | None
) -> LowBalance | None:
    """Whether admins should hear of this balance. With no threshold set, only a balance that
    cannot cover the jobs in flight counts: those jobs would fail for want of it."""
    under_threshold = threshold is not None and balance < threshold
    cannot_cover = balance < in_flight
    if not (under_threshold or cannot_cover):
        return None
    return LowBalance(provider, balance, in_flight, threshold)


class BalanceWatch:
    """Every CHECK_EVERY_S on every replica; a Redis SET NX EX per provider lets one alert out
    per ALERT_EVERY_S between them."""

    def __init__(
        self,
        redis: Redis,
        registry: Registry,
        providers: Mapping[str, Provider],
        alerts: AdminAlerts,
        threshold: float | None,
    ) -> None:
        self._redis = redis
        self._registry = registry
        self._providers = providers
        self._alerts = alerts
        self._threshold = threshold

    async def run(self, stopping: asyncio.Event) -> None:
        """The first round at start-up when a threshold is set (a deploy over a low balance is
        told at once); without one the watch only guards jobs in flight, so it waits a round
        rather than ask every provider whenever a replica restarts with jobs running."""
        if self._threshold is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), CHECK_EVERY_S)
        await every(CHECK_EVERY_S, self.check, stopping, what="provider balance watch")

    async def check(self) -> list[LowBalance]:
        """Alert admins of each low balance not alerted lately; returns those alerted."""
        costs = await in_flight_costs(self._redis, self._registry)
        told: list[LowBalance] = []
        for name, provider in self._providers.items():
            in_flight = costs.get(name, 0.0)
            # No threshold and nothing in flight: nothing to compare, so the provider is not
            # asked (a balance call per provider every check would be wasted).
            if self._threshold is None and not in_flight:
                continue
            balance = await read_balance(name, provider)
            if balance is None:  # logged; the next round asks again
                continue
            low = low_balance(name, balance, in_flight, self._threshold)
            if low is not None and await self._first_lately(name):
                log.warning("%s balance %s is low (in flight %s)", name, balance, in_flight)
                await self._alerts.tell(
                    partial(texts.balance_alert, name, low.balance, low.in_flight, low.threshold)
                )
                told.append(low)
        return told

    async def _first_lately(self, provider: str) -> bool:
        key = k.ADMIN_ALERT_KEY.format(reason=f"balance:{provider}")
        return bool(await self._redis.set(key, "1", nx=True, ex=ALERT_EVERY_S))
