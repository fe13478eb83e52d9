"""The shared polling budget's Lua pacing, against a real Redis on a simulated clock: every
one-second window stays under the limit, slots are spread evenly (no burst beyond two), two
replicas share one budget, and several budgets are taken together or not at all."""

from __future__ import annotations

import itertools

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.bench.rows import busiest_window
from bot.models import REGISTRY
from bot.providers.budget import Budget, PollBudgets, PollLimit, key_id, pace
from bot.providers.kie import KieClient, KieProvider

KIE = Budget("kie:test", PollLimit(10))


async def granted_times(
    redis_url: str, budgets: list[Budget], seconds: float, *, step_s: float = 0.002
) -> list[float]:
    """Two replicas (each its own connection) try every `step_s` of simulated time, taking
    turns; the times their tries were granted."""
    clients = [Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    replicas = itertools.cycle([PollBudgets(c) for c in clients])
    granted = []
    try:
        for n in range(int(seconds / step_s)):
            now = 1_000_000.0 + n * step_s
            taken = await next(replicas).take(budgets, f"task-{n}", 60, now=now)
            if taken.granted:
                granted.append(now)
    finally:
        for client in clients:
            await client.aclose()
    return granted


async def test_every_one_second_window_stays_under_the_limit(redis: Redis, redis_url: str) -> None:
    times = await granted_times(redis_url, [KIE], seconds=6)

    assert busiest_window(times, 1.0) == 8  # two under Kie's 10, for jitter on the way
    assert len(times) >= 7 * 6  # and the budget is used: seven a second
    # Even spacing: no more than the burst of two within one slot's interval.
    assert busiest_window(times, pace(KIE.limit).interval_s) <= 2


async def test_a_per_task_limit_of_three_allows_two_in_any_second(
    redis: Redis, redis_url: str
) -> None:
    song = Budget("kie:song:t1", PollLimit(3))

    times = await granted_times(redis_url, [song], seconds=5)

    assert busiest_window(times, 1.0) == 2
    assert min(b - a for a, b in itertools.pairwise(times)) == pytest.approx(2 / 3, abs=0.002)


async def test_budgets_are_taken_together_or_not_at_all(redis: Redis) -> None:
    budgets = PollBudgets(redis)
    song = Budget("kie:song:t1", PollLimit(3))
    now = 2_000_000.0

    assert (await budgets.take([KIE, song], "t1", 60, now=now)).granted
    short = await budgets.take([KIE, song], "t1", 60, now=now + 0.01)
    other = await budgets.take([KIE], "t2", 60, now=now + 0.01)

    assert (short.granted, short.full) == (False, song.name)
    assert short.wait_s == pytest.approx(2 / 3 - 0.01)  # the song's own: 1.5 a second
    assert other.granted  # the refusal took nothing from the key's budget (burst of two)


async def test_a_short_budget_says_when_it_has_room(redis: Redis) -> None:
    budgets = PollBudgets(redis)
    now = 3_000_000.0
    for n in range(2):  # the burst
        assert (await budgets.take([KIE], f"t{n}", 60, now=now)).granted

    refused = await budgets.take([KIE], "t2", 60, now=now)
    again = await budgets.take([KIE], "t2", 60, now=now + refused.wait_s)

    assert refused.wait_s == pytest.approx(1 / 7)
    assert again.granted


async def test_only_a_granted_query_marks_its_task_as_polled(redis: Redis) -> None:
    budgets = PollBudgets(redis)
    now = 4_000_000.0
    await budgets.take([KIE], "first", 60, now=now)
    await budgets.take([KIE], "second", 60, now=now)
    await budgets.take([KIE], "refused", 60, now=now)

    assert await budgets.never_polled(["first", "second", "refused", "new"]) == {"refused", "new"}
    assert await redis.ttl("polled:first") == 60


@pytest.mark.parametrize(
    ("per_s", "interval_s", "burst"), [(10, 1 / 7, 2), (5, 0.4, 2), (3, 2 / 3, 1), (1, 2.0, 1)]
)
def test_pace_leaves_queries_to_spare(per_s: float, interval_s: float, burst: int) -> None:
    paced = pace(PollLimit(per_s))

    assert (paced.interval_s, paced.burst) == (pytest.approx(interval_s), burst)


def test_busiest_window_counts_a_half_open_second() -> None:
    assert busiest_window([0.0, 0.5, 0.999, 1.0, 1.5], 1.0) == 3
    assert busiest_window([], 1.0) == 0


async def test_kie_budgets_name_a_hash_of_the_key_never_the_key() -> None:
    image = REGISTRY.find("nano-banana-pro")
    song = next(s for s in REGISTRY.models if s.family == "suno")
    assert image is not None
    async with aiohttp.ClientSession() as http:
        kie = KieProvider(KieClient(http, "http://kie.invalid", "sk-very-secret"))
        other = KieProvider(KieClient(http, "http://kie.invalid", "sk-another-key"))

        [key] = kie.poll_budgets(image, "task-1")
        song_key, per_task = kie.poll_budgets(song, "task-2")
        [elsewhere] = other.poll_budgets(image, "task-1")

    assert key == song_key == Budget(f"kie:{key_id('sk-very-secret')}", PollLimit(10))
    assert per_task == Budget("kie:song:task-2", PollLimit(3))
    assert elsewhere != key  # each API key has its own budget
    assert all("secret" not in b.name for b in (key, per_task))
