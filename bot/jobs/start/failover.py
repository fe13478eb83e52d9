"""Which provider gets a job: the configured order, minus providers cooling down after a failure
the user did not cause; and each provider's health (cool-down, submit errors) for /stats.

State lives in Redis so every replica passes over the same provider, and only the replica that
starts a cool-down (or ends one with a good submit) tells the admins.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot import codec
from bot import constants as k
from bot.errors import FailureKind, ProviderError
from bot.models.spec import ModelSpec

# The provider's own trouble: another provider may well do the job. A refusal of the user's
# content or input (REJECTED) would be refused elsewhere too, and a generation that failed
# (FAILED) may have cost credits already; neither moves.
# A withdrawn model (WITHDRAWN) moves too: another provider's model of the same capability may
# serve, though the provider stays first for its other models.
FAILS_OVER = frozenset(
    {FailureKind.MISCONFIGURED, FailureKind.NO_CREDITS, FailureKind.MAINTENANCE, FailureKind.BUSY,
     FailureKind.WITHDRAWN}
)  # fmt: skip


def fails_over(exc: ProviderError) -> bool:
    """Whether a submit failure sends the job to the next provider: not when the first may
    have started the task after all (its answer was lost)."""
    return exc.kind in FAILS_OVER and not exc.answer_lost


def by_health(specs: Sequence[ModelSpec], cooling: Collection[str]) -> list[ModelSpec]:
    """Models of providers cooling down go last: still tried when every other one fails."""
    return sorted(specs, key=lambda spec: spec.provider in cooling)


def one_per_provider(specs: Sequence[ModelSpec]) -> list[ModelSpec]:
    """The first model of each provider, in order: where a job may go, then fail over to."""
    seen: set[str] = set()
    chosen = []
    for spec in specs:
        if spec.provider not in seen:
            seen.add(spec.provider)
            chosen.append(spec)
    return chosen


@dataclass(frozen=True, slots=True)
class Cooldown:
    """A provider passed over until `until` (unix time); kept as JSON {until, why}."""

    until: float
    why: FailureKind


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """One provider as /stats shows it."""

    provider: str
    cooldown: Cooldown | None
    submits: int  # over the last hour
    errors: int

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.submits if self.submits else None


class Failover:
    """Cool-downs and submit counts per provider, shared by every replica through Redis."""

    def __init__(
        self, redis: Redis, cooldown_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self.cooldown_s = cooldown_s
        self._clock = clock

    async def cooling(self, names: Iterable[str]) -> set[str]:
        """The providers among `names` passed over right now."""
        names = list(names)
        if not names:
            return set()
        keys = [k.PROVIDER_COOLDOWN_KEY.format(name=name) for name in names]
        values = await self._redis.mget(keys)
        return {name for name, value in zip(names, values, strict=True) if value is not None}

    async def trip(self, name: str, why: FailureKind) -> bool:
        """Start the provider's cool-down; True only for the call that started it (one alert)."""
        until = self._clock() + self.cooldown_s
        value = codec.dumps(Cooldown(until, why))
        started = await self._redis.set(
            k.PROVIDER_COOLDOWN_KEY.format(name=name), value, nx=True, px=self._cooldown_ms()
        )
        if started:
            await self._redis.set(
                k.PROVIDER_SWITCHED_KEY.format(name=name), "1", ex=k.PROVIDER_SWITCHED_TTL_S
            )
        return bool(started)

    async def succeeded(self, name: str) -> bool:
        """Count a good submit; True once, for the first since a switch away from `name`."""
        async with self._redis.pipeline(transaction=False) as pipe:
            self._count(pipe, name, "ok")
            pipe.delete(k.PROVIDER_SWITCHED_KEY.format(name=name))
            *_, returned = await pipe.execute()
        return bool(returned)

    async def failed(self, name: str, exc: ProviderError) -> None:
        """Count a failed submit: the user's own (a refusal) counts as a good answer."""
        async with self._redis.pipeline(transaction=False) as pipe:
            self._count(pipe, name, "ok" if exc.kind is FailureKind.REJECTED else "error")
            await pipe.execute()

    def _count(self, pipe: Pipeline, name: str, field: str) -> None:
        """One submit in the provider's current minute."""
        key = k.PROVIDER_CALLS_KEY.format(name=name, minute=self._minute())
        pipe.hincrby(key, field, 1)
        pipe.expire(key, (k.HEALTH_WINDOW_MIN + 2) * 60)

    async def health(self, name: str) -> ProviderHealth:
        now_minute = self._minute()
        minutes = range(now_minute - k.HEALTH_WINDOW_MIN + 1, now_minute + 1)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(k.PROVIDER_COOLDOWN_KEY.format(name=name))
            for minute in minutes:
                pipe.hmget(k.PROVIDER_CALLS_KEY.format(name=name, minute=minute), "ok", "error")
            raw_cooldown, *counts = await pipe.execute()
        ok = sum(int(good or 0) for good, _ in counts)
        errors = sum(int(bad or 0) for _, bad in counts)
        return ProviderHealth(name, _cooldown(raw_cooldown), ok + errors, errors)

    def _minute(self) -> int:
        return int(self._clock() // 60)

    def _cooldown_ms(self) -> int:
        return max(1, int(self.cooldown_s * 1000))


def _cooldown(raw: str | bytes | None) -> Cooldown | None:
    if raw is None:
        return None
    try:
        return codec.loads(Cooldown, raw)
    except ValueError:  # damaged: still cooling, the reason unknown
        return Cooldown(0.0, FailureKind.FAILED)
