"""The safety net: poll overdue jobs within their providers' shared budgets, redeliver stalled
ones, fail those past the deadline."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

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
from bot.providers.budget import Budget, PollBudgets

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH = 50
# Every due poll is looked at in one tick, so a new job's first one can go ahead of a backlog.
POLL_BATCH = 500
POLL_LEASE_S = 30.0
# While a budget is short, the loop wakes when it has room, but at most this often: a burst
# of two slots at seven a second refills in under 0.3 s, and two replicas take turns.
BUDGET_WAKE_MIN_S = 0.25
# Jobs put off together come due in the order they were in, a hair apart.
DEFER_STEP_S = 1e-4
# Due jobs read at once (a tick may look at hundreds while a budget is short).
CHECKS_AT_ONCE = 32
# A job still without a task id this long after creation lost its submission (a crash).
SUBMIT_GRACE_S = 120.0


def reconcile_interval(poll_after_s: float) -> float:
    """Tick often enough to honour POLL_AFTER_SECONDS without busy-looping."""
    return max(0.2, min(5.0, poll_after_s / 4))


class Delivers(Protocol):
    async def deliver(self, job_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Query:
    """A job due a status query, and the budgets the query takes a slot from."""

    job: Job
    spec: ModelSpec
    provider: Provider
    age: float
    budgets: tuple[Budget, ...]


def query_order(queries: Sequence[Query], never_polled: set[str]) -> list[Query]:
    """Tasks nobody has polled yet first, so a backlog of jobs polled before cannot lock a new
    job out; otherwise the order they came due in."""
    return sorted(queries, key=lambda q: q.job.task_id not in never_polled)


def known_room(budgets: Sequence[Budget], full: Mapping[str, float]) -> float:
    """When the fullest of these budgets has room (a unix time), as far as this tick learnt; 0
    when none is known to be full (then only Redis can tell)."""
    return max((full.get(b.name, 0.0) for b in budgets), default=0.0)


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
        budgets: PollBudgets | None = None,
    ) -> None:
        self._steps = steps  # submits a chain's step a process advanced to and died
        self._budgets = budgets or PollBudgets(store.redis)
        self._wake = asyncio.Event()  # set when a short budget has room again
        self._wake_timer: asyncio.TimerHandle | None = None
        self._store = store
        self._providers = providers
        self._registry = registry
        self._deliverer = deliverer
        self.interval_s = interval_s
        self._metrics = metrics or Metrics()

    async def run(self, stopping: asyncio.Event) -> None:
        """Tick until stopped; a failed tick is logged and the next one tries again."""
        try:
            await every(
                self.interval_s, self.tick, stopping, what="reconciler tick", wake=self._wake
            )
        finally:
            if self._wake_timer is not None:
                self._wake_timer.cancel()

    async def tick(self) -> None:
        now = time.time()
        due = await self._store.take_due_polls(now, POLL_BATCH, POLL_LEASE_S)
        checks = asyncio.Semaphore(CHECKS_AT_ONCE)

        async def check(job_id: str) -> Query | None:
            async with checks:
                return await _one(job_id, "status check", lambda: self._check(job_id, now))

        # Concurrent, but in the order they came due: the order the queries go in.
        queries = await asyncio.gather(*(check(job_id) for job_id in due))
        await self._query_all([q for q in queries if q is not None], now)
        stale_before = now - DELIVERY_GRACE_S
        stale = await self._store.take_stale_undelivered(stale_before, BATCH, DELIVERY_LEASE_S)
        await _each(stale, "delivery", self._deliverer.deliver)

    async def _check(self, job_id: str, now: float) -> Query | None:
        """One job's status query to make, or none when the job is failed (past its model's
        deadline, or its submission lost) or has no task yet."""
        job = await self._store.get(job_id)
        if job is None or job.state is not JobState.SUBMITTED:
            return None
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
            return Query(job, spec, provider, age, provider.poll_budgets(spec, job.task_id))
        return None

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

    async def _query_all(self, queries: Sequence[Query], now: float) -> None:
        """Each query takes a slot from its budgets and goes at once (while the next takes its
        slot, so none is sent late); one that finds no room is put off until there is some."""
        never_polled = await self._budgets.never_polled([q.job.task_id for q in queries])
        full: dict[str, float] = {}  # budget -> when it has room, learnt this tick
        polls: list[asyncio.Task[None]] = []
        deferred: list[tuple[Query, float]] = []
        try:
            for query in query_order(queries, never_polled):
                room_at = known_room(query.budgets, full) or await self._take(query, full)
                if room_at:
                    deferred.append((query, room_at))
                else:
                    polls.append(asyncio.create_task(self._poll(query, now)))
            await self._defer(deferred, now)
        finally:
            await asyncio.gather(*polls)

    async def _take(self, query: Query, full: dict[str, float]) -> float:
        """A slot from Redis: 0 when taken, else when the budget that is short has room (a
        unix time, remembered for the rest of the tick)."""
        marked_s = int(query.spec.deadline_s) + 60  # the task is done with by then
        taken = await self._budgets.take(query.budgets, query.job.task_id, marked_s)
        if taken.granted:
            return 0.0
        full[taken.full] = time.time() + taken.wait_s
        return full[taken.full]

    async def _defer(self, deferred: Sequence[tuple[Query, float]], tick_at: float) -> None:
        """Put each query off until its budget has room, keeping their order, and wake the
        loop then rather than at its next interval."""
        if not deferred:
            return
        await asyncio.gather(*(
            self._store.reschedule_poll(q.job.id, room_at + n * DEFER_STEP_S)
            for n, (q, room_at) in enumerate(deferred)
        ))  # fmt: skip
        for provider, count in Counter(q.provider.name for q, _ in deferred).items():
            self._metrics.polls_deferred(provider, count)
        soonest = min(room_at for _, room_at in deferred)
        self._wake_at(max(soonest, tick_at + BUDGET_WAKE_MIN_S))

    def _wake_at(self, at: float) -> None:
        """Wake the loop at unix time `at` (one timer: the latest call wins)."""
        if self._wake_timer is not None:
            self._wake_timer.cancel()
        loop = asyncio.get_running_loop()
        self._wake_timer = loop.call_later(max(0.0, at - time.time()), self._wake.set)

    async def _poll(self, query: Query, now: float) -> None:
        """One status query (its slot taken), logged as its job's own line."""
        await _one(
            query.job.id,
            "status check",
            lambda: self._poll_job(query.job, query.spec, query.provider, query.age, now),
        )

    async def _poll_job(
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


async def _one(job_id: str, what: str, handle: Callable[[], Awaitable[T]]) -> T | None:
    """Handle one job in a task of its own (so its log lines name it); a failure is logged and
    the others go on."""
    bind_job_id(job_id)
    try:
        return await handle()
    except Exception:
        log.exception("job %s: %s failed", job_id, what)
        return None


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
