"""One reconciler tick handles each job on its own: a failing one is logged, the batch goes on;
and it ticks often enough to honour POLL_AFTER_SECONDS without busy-looping."""

from __future__ import annotations

import logging
import time
import uuid

import aiohttp
import pytest
from redis.asyncio import Redis

from bot import constants as k
from bot.errors import FailureKind
from bot.jobs.background.reconciler import Reconciler, reconcile_interval
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.metrics import Metrics
from bot.models import REGISTRY
from bot.providers.base import ResultMedia
from bot.providers.kie import KieClient, KieProvider
from bot.sandbox.emulators.kie import KieEmulator


class Deliveries:
    """Stands in for the Deliverer: records each call and fails on one job as a bug would."""

    def __init__(self, broken: str) -> None:
        self.broken = broken
        self.calls: list[str] = []

    async def deliver(self, job_id: str) -> bool:
        self.calls.append(job_id)
        if job_id == self.broken:
            raise RuntimeError("a bug in one delivery")
        return True


async def new_job(store: JobStore, *, task_id: str = "", final: bool = False) -> str:
    job = Job(uuid.uuid4().hex, 9, 9, "prompt", "nano-banana-pro", "kie", created_at=time.time())
    await store.create(job, first_poll_at=job.created_at)
    if task_id:
        await store.set_task(job, task_id)
    if final:
        await store.record_outcome(job.id, Outcome(JobState.SUCCEEDED, results=(ResultMedia("u"),)))
    return job.id


async def test_a_failing_job_does_not_stop_the_rest_of_its_batch(
    redis: Redis, kie: KieEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    store = JobStore(redis)
    broken, fine = await new_job(store, final=True), await new_job(store, final=True)
    polled = await new_job(store, task_id="task-still-running")
    # A record that cannot be read (a bad field), due for a status check before the others.
    await redis.hset("job:corrupt", mapping={"id": "corrupt", "chat_id": "x", "state": "submitted"})
    now = time.time()
    await redis.zadd(k.POLL_QUEUE_KEY, {"corrupt": now - 60, polled: now - 30})
    # Both final jobs overdue for the reconciler, the broken one first (oldest first).
    await redis.zadd(k.UNDELIVERED_KEY, {broken: now - 60, fine: now - 30})
    deliveries = Deliveries(broken)

    async with aiohttp.ClientSession() as http:
        provider = KieProvider(KieClient(http, kie.url, "kie-test-key", attempts=1))
        await Reconciler(store, {"kie": provider}, REGISTRY, deliveries, interval_s=1).tick()

    assert deliveries.calls == [broken, fine]
    checked = [r.query.get("taskId") for r in kie.requests if r.path.endswith("/recordInfo")]
    assert checked == ["task-still-running"]  # polled although the job before it failed
    failures = {r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and r.exc_info}
    assert failures == {"job corrupt: status check failed", f"job {broken}: delivery failed"}


async def test_a_failed_status_check_is_counted_as_a_provider_error(
    redis: Redis, kie: KieEmulator
) -> None:
    store, metrics = JobStore(redis), Metrics()
    job_id = await new_job(store, task_id="task-in-maintenance")
    kie.fail_next_record_info(455, "Service under maintenance")

    async with aiohttp.ClientSession() as http:
        provider = KieProvider(KieClient(http, kie.url, "kie-test-key", attempts=1))
        reconciler = Reconciler(
            store, {"kie": provider}, REGISTRY, Deliveries(""), interval_s=1, metrics=metrics
        )
        await reconciler.tick()

    polls = [r for r in kie.requests if r.path.endswith("/recordInfo")]
    assert len(polls) == 1  # one status check, answered with the staged 455 (in the body)
    labels = {"provider": "kie", "kind": FailureKind.MAINTENANCE.value}
    assert metrics.registry.get_sample_value("photobot_provider_errors_total", labels) == 1
    assert await store.redis.zscore(k.POLL_QUEUE_KEY, job_id)  # still waiting for a result


@pytest.mark.parametrize(
    ("poll_after", "interval"),
    [(0.01, 0.2), (0.8, 0.2), (1.0, 0.25), (4.0, 1.0), (8.0, 2.0), (20.0, 5.0), (45.0, 5.0)],
)
def test_reconcile_interval(poll_after: float, interval: float) -> None:
    assert reconcile_interval(poll_after) == pytest.approx(interval)
