"""A chain's job between its steps: keep a step's result as the next step's input, move the job
on once the result went out, and submit the next step at most once.

The order, each a Redis write a crash can stop after: the result is stored and recorded
(`keep`), sent and marked (delivery), the job advanced (`advance`, a compare-and-set on the
step), the step claimed and submitted (`start`). A restart resumes at the first step not done:
redelivery sends what was not marked, the reconciler submits an advanced step nobody claimed,
and fails one claimed without a task id rather than paying for it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from bot.errors import FailureKind, LeaseLost
from bot.jobs.record import Job, JobState, StoredMedia
from bot.jobs.store import JobStore, Outcome
from bot.media.fetch import FetchedMedia
from bot.models import Registry
from bot.models.limits import InputFile, check_file, check_files
from bot.models.spec import ModelSpec
from bot.storage import Storage

log = logging.getLogger(__name__)

SubmitStep = Callable[[Job], Awaitable[None]]
# The reconciler looks at an advanced job this soon, so a step whose submitter died with the
# process (a restart between the steps) starts within seconds, not a whole poll interval.
STEP_PICKUP_S = 10.0


class ChainSteps:
    def __init__(
        self,
        store: JobStore,
        storage: Storage,
        registry: Registry,
        submit: SubmitStep,
        *,
        first_poll_s: Callable[[str], float],
        owner: str,
    ) -> None:
        self._store = store
        self._storage = storage
        self._registry = registry
        self._submit = submit  # Submitter.submit_step: the one submit path
        self._first_poll_s = first_poll_s  # a model's key -> seconds to its first poll
        self._owner = owner

    def next_model(self, job: Job) -> ModelSpec | None:
        """The model of the job's next step; None when it has none."""
        chain = self._registry.chain(job.chain)
        if chain is None or not job.has_next_step or job.step + 1 >= len(chain.steps):
            return None
        return self._registry.find(chain.steps[job.step + 1].model)

    async def keep(self, job: Job, owner: str, index: int, media: FetchedMedia) -> None:
        """Store a result the next step takes, before it is sent: those exact bytes go on.

        Raises StorageError (the result waits for a retry) or LeaseLost. A result the next
        model cannot take is not kept; that step then fails, saying so.
        """
        spec, info = self.next_model(job), media.info
        slot = spec.slot(info.kind) if spec is not None and info is not None else None
        if slot is None or info is None or index in job.next_inputs:
            return
        if sum(1 for m in job.next_inputs.values() if m.kind is slot.kind) >= slot.max_count:
            return
        file = InputFile(info.kind, info.mime_type, media.size, None, info.width, info.height)
        if (problem := check_file(slot, file)) is not None:
            log.warning("job %s: result %d does not suit the next step: %s",
                        job.id, index + 1, problem.breach)  # fmt: skip
            return
        key = f"inputs/{job.id}-step{job.step + 2}-{index + 1}.{info.extension}"
        await self._storage.put_file(key, media.path, info.mime_type)
        stored = StoredMedia(
            info.kind, key, info.mime_type, media.size, None, info.width, info.height
        )
        if not await self._store.keep_input(job.id, owner, index, stored):
            raise LeaseLost(job.id)
        job.next_inputs[index] = stored

    async def advance(self, job: Job, owner: str) -> bool:
        """After the step's results went out: move the job to its next step, once. False
        when it has none (it is then delivered as any job)."""
        spec = self.next_model(job)
        if spec is None:
            if job.has_next_step:
                log.warning("job %s: chain %r has no step %d", job.id, job.chain, job.step + 2)
            return False
        first_poll_at = time.time() + min(self._first_poll_s(spec.key), STEP_PICKUP_S)
        if not await self._store.advance(job, owner, spec.key, spec.provider, first_poll_at):
            raise LeaseLost(job.id)
        log.info("job %s: step %d of %d delivered; next %s", job.id, job.step + 1, job.steps,
                 spec.key)  # fmt: skip
        return True

    async def start(self, job_id: str) -> bool:
        """Submit the job's current step if it is a later one nobody has claimed; True when
        this call took it on (submitted it, or failed it for want of an input)."""
        job = await self._store.get(job_id)
        if job is None or job.step == 0 or job.state is not JobState.SUBMITTED or job.task_id:
            return False
        if not await self._store.claim_step(job.id, job.step, self._owner):
            return False
        spec = self._registry.find(job.model)
        if spec is not None and check_files(spec, [m.meta() for m in job.inputs]) is not None:
            log.warning("job %s: step %d has no usable input", job.id, job.step + 1)
            failed = Outcome(JobState.FAILED, fail_kind=FailureKind.INPUT, error_code="step_input")
            await self._store.record_outcome(job.id, failed)
            return True
        log.info("job %s: submitting step %d of %d", job.id, job.step + 1, job.steps)
        await self._submit(job)
        return True
