"""A request becomes a job record: built from the request, its plan and its stored inputs,
then stored with its first poll time and counted."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from bot.jobs.record import Job, StoredMedia
from bot.jobs.start.request import JobRequest
from bot.jobs.start.routing import Plan, params
from bot.jobs.store import JobStore
from bot.metrics import Metrics
from bot.models.catalog import IMAGES_AS
from bot.models.spec import ModelSpec

log = logging.getLogger(__name__)


def new_job(
    job_id: str,
    request: JobRequest,
    plan: Plan,
    spec: ModelSpec,
    inputs: tuple[StoredMedia, ...],
    settings: Mapping[str, str],
) -> Job:
    """The record of a job going to `spec`; a chain's records every step's settings."""
    return Job(
        id=job_id,
        chat_id=request.chat_id,
        user_id=request.user_id,
        prompt=request.texts.get("prompt", ""),
        model=spec.key,
        provider=spec.provider,
        reply_to_message_id=request.reply_to_message_id,
        status_message_id=request.status_message_id,
        created_at=time.time(),
        inputs=inputs,
        texts={k: v for k, v in request.texts.items() if k != "prompt"},
        params={k: v for m in plan.steps or [spec] for k, v in params(m, settings).items()},
        chain=plan.chain.key if plan.chain else "",
        steps=len(plan.steps) or 1,
        language=request.language,
        as_files=settings.get(IMAGES_AS) == "file",
    )


class JobRecords:
    """Stores new jobs; the poller first looks at one `first_poll_s(model)` after it was
    created (POLL_AFTER_SECONDS with callbacks, the model's first cadence step without)."""

    def __init__(
        self, store: JobStore, first_poll_s: Callable[[str], float], metrics: Metrics
    ) -> None:
        self._store = store
        self._first_poll_s = first_poll_s
        self._metrics = metrics

    async def create(self, job: Job) -> Job:
        first_poll_at = job.created_at + self._first_poll_s(job.model)
        await self._store.create(job, first_poll_at=first_poll_at)
        log.info("job %s created for chat %s (%s)", job.id, job.chat_id, job.model)
        self._metrics.job_started(job.model, job.provider)
        return job
