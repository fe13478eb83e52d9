"""The failover decisions (pure) and the shared cool-down state (real Redis)."""

from __future__ import annotations

import dataclasses

import pytest
from redis.asyncio import Redis

from bot.errors import FailureKind, ProviderError
from bot.jobs.start.failover import Failover, by_health, fails_over, one_per_provider
from bot.models import REGISTRY
from bot.models.spec import Capability
from tests.harness import eventually

T2I = REGISTRY.candidates(Capability.TEXT_TO_IMAGE)
I2V = REGISTRY.candidates(Capability.IMAGE_TO_VIDEO, engine="sora")


@pytest.mark.parametrize(
    ("kind", "moves"),
    [(FailureKind.MISCONFIGURED, True), (FailureKind.NO_CREDITS, True),
     (FailureKind.MAINTENANCE, True), (FailureKind.BUSY, True),
     (FailureKind.REJECTED, False), (FailureKind.FAILED, False)],
)  # fmt: skip
def test_only_the_providers_own_trouble_fails_over(kind: FailureKind, moves: bool) -> None:
    assert fails_over(ProviderError("kie", 1, "x", kind)) is moves


def test_providers_cooling_down_go_last_keeping_their_order() -> None:
    assert [s.provider for s in T2I] == ["kie", "novita"]
    assert [s.provider for s in by_health(T2I, {"kie"})] == ["novita", "kie"]
    assert by_health(T2I, set()) == T2I
    assert by_health(T2I, {"kie", "novita"}) == T2I


def test_a_job_fails_over_to_one_model_of_each_other_provider() -> None:
    assert [(s.provider, s.engine) for s in I2V] == [
        ("kie", "sora"),
        ("kie", "sora"),  # Sora 2 Pro, for those who chose it
        ("kie", "grok"),
        ("novita", ""),
    ]
    route = one_per_provider(I2V)
    assert [s.key for s in route] == ["sora-2-image-to-video", "kling-v2.1-i2v-master"]
    assert one_per_provider(I2V[:2]) == I2V[:1]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_cooldown_trips_once_and_ends_by_itself(redis: Redis) -> None:
    clock = Clock()
    failover = Failover(redis, cooldown_s=0.3, clock=clock)
    assert await failover.cooling(["kie", "novita"]) == set()
    assert await failover.trip("kie", FailureKind.NO_CREDITS) is True
    assert await failover.trip("kie", FailureKind.BUSY) is False  # one switch, one alert
    assert await failover.cooling(["kie", "novita"]) == {"kie"}
    health = await failover.health("kie")
    assert health.cooldown is not None and health.cooldown.why is FailureKind.NO_CREDITS
    assert health.cooldown.until == pytest.approx(clock.now + 0.3)

    async def ended() -> bool:
        return await failover.cooling(["kie"]) == set()

    await eventually(ended, within=5)
    assert await failover.succeeded("kie") is True  # the first good submit after it
    assert await failover.succeeded("kie") is False


async def test_health_counts_submits_of_the_last_hour_only(redis: Redis) -> None:
    clock = Clock()
    failover = Failover(redis, cooldown_s=60, clock=clock)
    down = ProviderError("novita", 503, "down", FailureKind.BUSY)
    refused = ProviderError("novita", 400, "nsfw", FailureKind.REJECTED)
    await failover.failed("novita", down)  # more than an hour ago
    clock.now += 61 * 60
    await failover.succeeded("novita")
    await failover.failed("novita", refused)  # the user's input: a good answer
    await failover.failed("novita", down)
    clock.now += 59 * 60
    assert await failover.succeeded("novita") is False  # never switched away from

    health = await failover.health("novita")
    assert (health.submits, health.errors) == (4, 1)
    assert health.error_rate == 0.25
    assert dataclasses.replace(health, submits=0).error_rate is None
