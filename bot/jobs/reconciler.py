"""The safety net: poll overdue jobs, redeliver stalled ones, fail those past the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.constants import DELIVERY_GRACE_S, DELIVERY_LEASE_S, JOB_DEADLINE_S
from bot.errors import FailureKind, ProviderError
from bot.jobs.model import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.providers.kie import KieClient

log = logging.getLogger(__name__)

BATCH = 50
POLL_LEASE_S = 30.0
# A job still without a task id this long after creation lost its submission (a crash).
SUBMIT_GRACE_S = 120.0


def next_poll_delay(age_s: float) -> float:
    """Kie's suggested cadence: every 3 s for the first 30 s, then 10 s to 2 min, then 30 s."""
    if age_s < 30:
        return 3.0
    if age_s < 120:
        return 10.0
    return 30.0


def reconcile_interval(poll_after_s: float) -> float:
    """Tick often enough to honour POLL_AFTER_SECONDS without busy-looping."""
    return max(0.2, min(5.0, poll_after_s / 4))


class Delivers(Protocol):
    async def deliver(self, job_id: str) -> bool: ...


class Reconciler:
    def __init__(
        self, store: JobStore, kie_client: KieClient, deliverer: Delivers, interval_s: float
    ) -> None:
        self._store = store
        self._kie = kie_client
        self._deliverer = deliverer
        self.interval_s = interval_s
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        """Tick until stopped; a failed tick is logged and the next one tries again."""
        while not self.stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("reconciler tick failed")
            # An event, not a bare sleep: shutdown must not depend on a cancel reaching us,
            # and redis-py can swallow a cancel that lands inside a command.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), self.interval_s)

    async def tick(self) -> None:
        now = time.time()
        due = await self._store.take_due_polls(now, BATCH, POLL_LEASE_S)
        await _each(due, "status check", lambda job_id: self._check(job_id, now))
        stale_before = now - DELIVERY_GRACE_S
        stale = await self._store.take_stale_undelivered(stale_before, BATCH, DELIVERY_LEASE_S)
        await _each(stale, "delivery", self._deliverer.deliver)

    async def _check(self, job_id: str, now: float) -> None:
        """Poll one job, or fail it when it is past the deadline or lost its submission."""
        job = await self._store.get(job_id)
        if job is None or job.state is not JobState.SUBMITTED:
            return
        age = now - job.created_at
        if age > JOB_DEADLINE_S:
            log.warning("job %s passed its deadline", job.id)
            await self._store.record_outcome(
                job.id,
                Outcome(JobState.FAILED, fail_kind=FailureKind.TIMEOUT, error_code="deadline"),
            )
            return
        if not job.task_id:
            await self._without_task(job, age, now)
            return
        await self._poll(job, age, now)

    async def _without_task(self, job: Job, age: float, now: float) -> None:
        if age > SUBMIT_GRACE_S:
            outcome = Outcome(JobState.FAILED, fail_kind=FailureKind.FAILED, error_code="lost")
            await self._store.record_outcome(job.id, outcome)
        else:
            await self._store.reschedule_poll(job.id, now + next_poll_delay(age))

    async def _poll(self, job: Job, age: float, now: float) -> None:
        try:
            task = await self._kie.record_info(job.task_id)
        except ProviderError as exc:
            log.warning("job %s: status poll failed: %s", job.id, exc.code)
            await self._store.reschedule_poll(job.id, now + next_poll_delay(age))
            return
        if task.final:
            log.info("job %s: poll found it %s", job.id, task.status)
            await self._store.record_outcome(
                job.id, Outcome.from_task(task), expected_task_id=job.task_id
            )
        else:
            await self._store.reschedule_poll(job.id, now + next_poll_delay(age))


async def _each(job_ids: list[str], what: str, handle: Callable[[str], Awaitable[object]]) -> None:
    """Handle each job on its own: one that fails is logged and the batch goes on (it comes
    due again later, since taking it pushed its time forward)."""
    for job_id in job_ids:
        try:
            await handle(job_id)
        except Exception:
            log.exception("job %s: %s failed", job_id, what)
