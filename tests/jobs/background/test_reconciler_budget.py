"""The reconciler polls within the providers' shared budgets: a poll that finds no room is put
off until the budget has some (and counted), the loop wakes for it then, and a job nobody has
polled yet goes ahead of jobs polled before."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from redis.asyncio import Redis

from bot import constants as k
from bot.jobs.background.reconciler import Query, Reconciler, known_room, query_order
from bot.jobs.record import Job
from bot.jobs.store import JobStore
from bot.metrics import Metrics
from bot.models import REGISTRY
from bot.providers.budget import Budget, PollLimit
from bot.providers.kie import KieClient, KieProvider
from bot.sandbox.emulators.kie import KieEmulator
from tests.harness import eventually
from tests.jobs.background.test_reconciler import Deliveries, new_job

DEFERRED = "photobot_polls_deferred_total"
KIE_LABEL = {"provider": "kie"}


def polled(kie: KieEmulator) -> list[str]:
    return [r.query["taskId"] for r in kie.requests if r.path.endswith("/recordInfo")]


@asynccontextmanager
async def kie_provider(kie: KieEmulator) -> AsyncIterator[KieProvider]:
    async with aiohttp.ClientSession() as http:
        yield KieProvider(KieClient(http, kie.url, "kie-test-key", attempts=1))


async def fill(redis: Redis, provider: KieProvider, seconds: float) -> None:
    """The key's budget spent `seconds` ahead (its TAT set by hand, on Redis's clock)."""
    spec = REGISTRY.find("nano-banana-pro")
    assert spec is not None
    [budget] = provider.poll_budgets(spec, "any")
    sec, usec = await redis.time()
    tat = sec + usec / 1e6 + seconds
    await redis.set(k.POLL_BUDGET_KEY.format(name=budget.name), f"{tat:.6f}", px=10_000)


async def test_a_poll_without_room_is_put_off_until_the_budget_has_some(
    redis: Redis, kie: KieEmulator
) -> None:
    store, metrics = JobStore(redis), Metrics()
    job_id = await new_job(store, task_id="task-waiting")
    async with kie_provider(kie) as provider:
        # A minute between ticks: only the budget's wake-up can poll it soon.
        reconciler = Reconciler(
            store, {"kie": provider}, REGISTRY, Deliveries(""), interval_s=60, metrics=metrics
        )
        await fill(redis, provider, 1.0)
        stopping = asyncio.Event()
        started = time.time()
        running = asyncio.create_task(reconciler.run(stopping))
        try:
            await eventually(lambda: metrics.registry.get_sample_value(DEFERRED, KIE_LABEL))
            put_off_to = await redis.zscore(k.POLL_QUEUE_KEY, job_id)
            assert polled(kie) == []
            await eventually(lambda: polled(kie) == ["task-waiting"], within=5)
        finally:
            stopping.set()
            await running

    # Put off to when the budget has room (1 s ahead, less the burst's tolerance), not lost.
    assert put_off_to is not None
    assert put_off_to - started == pytest.approx(1 - 1 / 7, abs=0.2)
    assert metrics.registry.get_sample_value(DEFERRED, KIE_LABEL) == 1


async def test_a_job_never_polled_goes_ahead_of_jobs_polled_before(
    redis: Redis, kie: KieEmulator
) -> None:
    store = JobStore(redis)
    old = [await new_job(store, task_id=f"task-old-{n}") for n in range(20)]
    new = [await new_job(store, task_id=f"task-new-{n}") for n in range(3)]
    now = time.time()
    # The old jobs came due long ago and were polled before; the new ones are due just now.
    await redis.zadd(k.POLL_QUEUE_KEY, {job_id: now - 60 + n for n, job_id in enumerate(old)})
    await redis.zadd(k.POLL_QUEUE_KEY, {job_id: now + n / 1000 for n, job_id in enumerate(new)})
    for n in range(20):
        await redis.set(k.POLLED_TASK_KEY.format(task_id=f"task-old-{n}"), "1")

    async with kie_provider(kie) as provider:
        await Reconciler(store, {"kie": provider}, REGISTRY, Deliveries(""), interval_s=1).tick()

    # A fresh budget's burst of two went to the first two never-polled jobs.
    assert polled(kie) == ["task-new-0", "task-new-1"]
    # The rest put off until the budget has room, in the same order (the third new job still
    # first); the two polled come due again on their cadence, after them.
    queue = await redis.zrange(k.POLL_QUEUE_KEY, 0, -1)
    assert queue[:21] == [new[2], *old] and set(queue[21:]) == {new[0], new[1]}


def query(task_id: str, *budgets: Budget) -> Query:
    spec = REGISTRY.find("nano-banana-pro")
    assert spec is not None
    job = Job(task_id, 1, 1, "p", spec.key, "kie", task_id=task_id)
    return Query(job, spec, None, 0.0, budgets)  # type: ignore[arg-type]


def test_query_order_puts_first_polls_first_and_keeps_the_rest_in_order() -> None:
    queries = [query(t) for t in ("a", "b", "c", "d")]

    ordered = query_order(queries, never_polled={"c", "a"})

    assert [q.job.task_id for q in ordered] == ["a", "c", "b", "d"]


def test_known_room_is_the_fullest_known_budgets() -> None:
    key, song = Budget("kie:x", PollLimit(10)), Budget("kie:song:t", PollLimit(3))

    assert known_room([key, song], {}) == 0.0
    assert known_room([key, song], {"kie:x": 100.1, "kie:song:t": 100.4}) == 100.4
    assert known_room([], {"kie:x": 100.1}) == 0.0
