"""Send slots: one per interval, results before status messages, cancelled waiters skipped."""

from __future__ import annotations

import asyncio
import itertools
import time

from bot.flood import SendPriority, SendSlots
from tests.harness import eventually

INTERVAL_S = 0.01
RESULT, STATUS = SendPriority.RESULT, SendPriority.STATUS


async def queue_up(slots: SendSlots, order: list[str], *calls: tuple[str, int]) -> None:
    """Each call waits for a slot (in the order given, before any is served) and logs its turn."""

    async def one(name: str, priority: int) -> None:
        await slots.take(priority)
        order.append(name)

    tasks = [asyncio.create_task(one(name, priority)) for name, priority in calls]
    await asyncio.gather(*tasks)


async def test_a_result_overtakes_status_messages_already_waiting() -> None:
    slots = SendSlots(INTERVAL_S)
    await slots.take(STATUS)  # the current slot is taken: everyone below has to wait
    order: list[str] = []

    await queue_up(slots, order, *[(f"status {n}", STATUS) for n in range(5)],
                   ("result", RESULT), ("failure", RESULT))  # fmt: skip

    assert order == ["result", "failure", *[f"status {n}" for n in range(5)]]


async def test_slots_are_one_interval_apart() -> None:
    slots = SendSlots(INTERVAL_S)
    granted: list[float] = []

    async def one() -> None:
        await slots.take(RESULT)
        granted.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(6)))

    gaps = [b - a for a, b in itertools.pairwise(granted)]
    assert min(gaps) >= INTERVAL_S * 0.9  # the event loop's clock is coarser than monotonic


async def test_a_waiter_that_gives_up_does_not_hold_the_queue() -> None:
    slots = SendSlots(0.3)  # long enough for the test to see the quitter waiting
    await slots.take(RESULT)
    quitter = asyncio.create_task(slots.take(RESULT))
    await eventually(lambda: slots.waiting == 1)  # it joined the queue
    quitter.cancel()

    await asyncio.wait_for(slots.take(STATUS), timeout=2.0)

    assert quitter.cancelled() and slots.waiting == 0
