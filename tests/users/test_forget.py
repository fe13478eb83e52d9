"""The /forget runner: a confirmation counts once while it runs, a part that fails leaves it for
the next try (after its lease), and counts add up across tries."""

from __future__ import annotations

import time

import pytest
from redis.asyncio import Redis

from bot.users.forget import FORGET_PENDING_KEY, LEASE_S, Forgetter


class Part:
    def __init__(self, counts: dict[str, int], fail_times: int = 0) -> None:
        self.counts = counts
        self.fail_times = fail_times
        self.calls = 0

    async def forget(self, user_id: int) -> dict[str, int]:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise ConnectionError("storage went away")
        counts, self.counts = self.counts, dict.fromkeys(self.counts, 0)  # gone once deleted
        return counts


async def test_a_second_press_while_it_runs_starts_nothing(redis: Redis) -> None:
    told: list[tuple[int, int, str, dict[str, int]]] = []  # chat, message, language, counts

    async def tell(chat: int, message: int, language: str, counts: dict[str, int]) -> None:
        told.append((chat, message, language, counts))

    forgetter = Forgetter(redis, [Part({"jobs": 2, "files": 3})], tell)
    assert await forgetter.request(7, 7, 100, "id")
    assert not await forgetter.request(7, 7, 101, "id")  # pressed twice, or on another replica

    assert await forgetter.forget_due() == 1
    assert told == [(7, 100, "id", {"jobs": 2, "files": 3})]  # the first press's message
    assert await redis.zcard(FORGET_PENDING_KEY) == 0
    assert await forgetter.request(7, 7, 102, "en")  # done: a new press starts a new one


async def test_a_try_cut_short_is_finished_after_its_lease_with_every_count(
    redis: Redis,
) -> None:
    told: list[dict[str, int]] = []

    async def tell(chat: int, message: int, language: str, counts: dict[str, int]) -> None:
        told.append(counts)

    first, flaky = Part({"jobs": 1}), Part({"records": 4}, fail_times=1)
    forgetter = Forgetter(redis, [first, flaky], tell)
    await forgetter.request(8, 8, 1, "en")
    with pytest.raises(ConnectionError):
        await forgetter.forget_due()
    assert told == [] and flaky.calls == 1  # the fault really happened
    assert await forgetter.forget_due() == 0  # leased: not taken again at once

    assert await forgetter.forget_due(now=time.time() + LEASE_S + 1) == 1
    assert told == [{"jobs": 1, "records": 4}]
