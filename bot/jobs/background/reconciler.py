"""The safety net: poll overdue jobs, redeliver stalled ones, fail those past the deadline."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from bot.constants import DELIVERY_GRACE_S, DELIVERY_LEASE_S
from bot.errors import FailureKind, ProviderError
from bot.jobs.chains import ChainSteps
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.log_context import bind_job_id
from bot.loops import every
from bot.metrics import Metrics
from bot.models import Registry
from bot.models.spec import ModelSpec
from bot.providers.base import Provider

log = logging.getLogger(__name__)

BATCH = 50
POLL_LEASE_S = 30.0
# A job still without a task id this long after creation lost its submission (a crash).
SUBMIT_GRACE_S = 120.0


def reconcile_interval(poll_after_s: float) -> float:
    """Tick often enough to honour POLL_AFTER_SECONDS without busy-looping."""
    return max(0.2, min(5.0, poll_after_s / 4))


class Delivers(Protocol):
    async def deliver(self, job_id: str) -> bool: ...


class Reconciler:
    def __init__(
        self,
        store: JobStore,
        providers: Mapping[str, Provider],
        registry: Registry,
        deliverer: Delivers,
        interval_s: float,
        metrics: Metrics | None = None,
        *,
        steps: ChainSteps | None = None,
    ) -> None:
        self._steps = steps  # submits a chain's step a process advanced to and died
        self._store = store
        self._providers = providers
        self._registry = registry
        self._deliverer = deliverer
        self.interval_s = interval_s
        self._metrics = metrics or Metrics()

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick until stopped; a failed tick is logged and the next one tries again."""
        await every(self.interval_s, self.tick, stopping, what="reconciler tick")

    async def tick(self) -> None:
        now = time.time()
        due = await self._store.take_due_polls(now, BATCH, POLL_LEASE_S)
        await _each(due, "status check", lambda job_id: self._check(job_id, now))
        stale_before = now - DELIVERY_GRACE_S
        stale = await self._store.take_stale_undelivered(stale_before, BATCH, DELIVERY_LEASE_S)
        await _each(stale, "delivery", self._deliverer.deliver)

    async def _check(self, job_id: str, now: float) -> None:
        """Poll one job, or fail it when it is past its model's deadline or lost its
        submission."""
        job = await self._store.get(job_id)
        if job is None or job.state is not JobState.SUBMITTED:
            return
        spec = self._registry.find(job.model)
        # Records from before jobs named their provider: the model's own provider served them.
        provider = self._providers.get(job.provider or (spec.provider if spec else ""))
        age = now - job.started_at  # a chain's job: its current step's age
        if spec is None or provider is None:
            log.warning("job %s: model %s of %s is not available", job.id, job.model, job.provider)
            await self._fail(job, FailureKind.FAILED, "unavailable")
        elif age > spec.deadline_s:
            log.warning("job %s passed its deadline", job.id)
            await self._fail(job, FailureKind.TIMEOUT, "deadline")
        elif not job.task_id:
            await self._without_task(job, spec, age, now)
        else:
            await self._poll(job, spec, provider, age, now)

    async def _fail(self, job: Job, kind: FailureKind, code: str) -> None:
        await self._store.record_outcome(
            job.id, Outcome(JobState.FAILED, fail_kind=kind, error_code=code)
        )

    async def _without_task(self, job: Job, spec: ModelSpec, age: float, now: float) -> None:
        # A chain's later step nobody claimed is submitted here; one claimed that never got a
        # task id may have reached the provider, so it is failed below rather than paid twice.
        if job.step and self._steps is not None and await self._steps.start(job.id):
            return
        if age > SUBMIT_GRACE_S:
            await self._fail(job, FailureKind.FAILED, "lost")
        else:
            await self._store.reschedule_poll(job.id, now + spec.cadence.next_delay(age))

    async def _poll(
        self, job: Job, spec: ModelSpec, provider: Provider, age: float, now: float
    ) -> None:
        try:
            task = await provider.poll(spec, job.task_id)
        except ProviderError as exc:
            log.warning("job %s: status poll failed: %s", job.id, exc.code)
            self._metrics.provider_error(provider.name, exc.kind)
            await self._store.reschedule_poll(job.id, now + spec.cadence.next_delay(age))
            return
        if task.final:
            log.info("job %s: poll found it %s", job.id, task.status)
            await self._store.record_outcome(
                job.id, Outcome.from_task(task), expected_task_id=job.task_id
            )
        else:
            if task.stage and task.stage != job.stage:
                await self._store.set_stage(job.id, task.stage)
            if task.early:  # a song's first track: kept once, and sent while the rest is made
                await self._store.record_early(job.id, task.early, expected_task_id=job.task_id)
            await self._store.reschedule_poll(job.id, now + spec.cadence.next_delay(age))


async def _each(job_ids: list[str], what: str, handle: Callable[[str], Awaitable[object]]) -> None:
    """Handle each job on its own: one that fails is logged and the batch goes on (it comes
    due again later, since taking it pushed its time forward)."""
    for job_id in job_ids:
        bind_job_id(job_id)
        try:
            await handle(job_id)
        except Exception:
            log.exception("job %s: %s failed", job_id, what)
    bind_job_id(None)  # the reconciler's own lines are about no job
