"""bot.loops: a loop ends when told to and survives a failing tick; retries follow their delays."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.loops import doubling, every, retrying


async def test_every_ticks_until_stopped_and_survives_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopping = asyncio.Event()
    ticks: list[int] = []
    enough = asyncio.Event()

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 1:
            raise RedisConnectionError("gone")
        if len(ticks) == 2:
            raise ValueError("a bug")
        if len(ticks) >= 4:
            enough.set()

    loop = asyncio.create_task(every(0.01, tick, stopping, what="test loop"))
    await asyncio.wait_for(enough.wait(), 5)
    stopping.set()
    await asyncio.wait_for(loop, 5)  # ends by itself, no cancel

    assert len(ticks) >= 4
    assert "test loop failed: ConnectionError" in caplog.text
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)


async def test_every_stops_during_its_wait_at_once() -> None:
    stopping = asyncio.Event()
    ticked = asyncio.Event()

    async def tick() -> None:
        ticked.set()

    loop = asyncio.create_task(every(3600, tick, stopping, what="slow loop"))
    await asyncio.wait_for(ticked.wait(), 5)
    stopping.set()
    await asyncio.wait_for(loop, 5)


def test_doubling_is_capped() -> None:
    assert list(itertools.islice(doubling(0.25, max_s=1.0), 5)) == [0.25, 0.5, 1.0, 1.0, 1.0]


async def test_a_woken_loop_ticks_again_without_waiting_its_interval() -> None:
    stopping, wake, ticks = asyncio.Event(), asyncio.Event(), asyncio.Queue[int]()
    count = itertools.count(1)

    async def tick() -> None:
        await ticks.put(next(count))

    loop = asyncio.create_task(every(3600, tick, stopping, what="test", wake=wake))
    assert await asyncio.wait_for(ticks.get(), 5) == 1
    wake.set()  # work handed in: the hour-long wait ends now
    assert await asyncio.wait_for(ticks.get(), 5) == 2
    stopping.set()
    await asyncio.wait_for(loop, 5)
    assert ticks.empty()


async def test_retrying_gives_up_when_the_delays_run_out() -> None:
    calls = 0

    async def call() -> int:
        nonlocal calls
        calls += 1
        raise ValueError(calls)

    with pytest.raises(ValueError, match="3"):
        await retrying(call, retry_if=lambda _: True, delays=[0, 0], what="call")
    assert calls == 3


async def test_retrying_stops_at_an_error_it_does_not_retry_and_returns_a_success() -> None:
    answers: list[BaseException | str] = [OSError("blip"), "ok"]

    async def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    assert await retrying(call, retry_if=lambda e: isinstance(e, OSError), delays=[0] * 5,
                          what="call") == "ok"  # fmt: skip

    async def refused() -> str:
        raise KeyError("never retried")

    with pytest.raises(KeyError):
        await retrying(refused, retry_if=lambda e: isinstance(e, OSError), delays=[0], what="x")


async def test_retrying_gives_up_when_the_next_try_would_come_too_late() -> None:
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        raise OSError("down")

    with pytest.raises(OSError):
        await retrying(call, retry_if=lambda _: True, delays=doubling(10.0), within_s=5.0,
                       what="call")  # fmt: skip
    assert calls == 1  # the first delay alone would end past the patience
