"""A job whose task failed because the provider withdrew its model: moved once to another
provider's model of the same capability, where one takes the job as it is; the admins are
told once per model. The lease holder of the failed job moves it (lua.REROUTE), then submits
it on the one submit path, outside the chat's lock."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.errors import FailureKind, InputRejected, ProviderError
from bot.jobs.record import Job
from bot.jobs.start.routing import Router, fits, params
from bot.jobs.start.submit import Submitter
from bot.jobs.start.watch import ProviderWatch
from bot.jobs.store import JobStore
from bot.models import Registry
from bot.models.spec import ModelSpec
from bot.users.settings import UserSettings

log = logging.getLogger(__name__)


class Rerouter:
    def __init__(
        self,
        *,
        store: JobStore,
        registry: Registry,
        router: Router,
        user_settings: UserSettings,
        submitter: Submitter,
        watch: ProviderWatch,
        first_poll_s: Callable[[str], float],
    ) -> None:
        self._store = store
        self._registry = registry
        self._router = router
        self._user_settings = user_settings
        self._submitter = submitter
        self._watch = watch
        self._first_poll_s = first_poll_s  # a model's key -> seconds to its first poll

    async def move(self, job: Job, owner: str) -> bool:
        """For the lease holder of a failed job: True when a withdrawn model's job moved to
        another provider (submit it next); False when it fails as it is."""
        if job.fail_kind != FailureKind.WITHDRAWN or job.steps > 1:
            return False
        code = int(job.error_code) if job.error_code.isdigit() else 0
        exc = ProviderError(job.provider, code, job.error_message, FailureKind.WITHDRAWN)
        await self._watch.withdrawn(exc, job.model)
        settings = await self._user_settings.of(job.user_id)
        spec = await self._elsewhere(job, settings)
        if spec is None:
            return False
        chosen = params(spec, settings)
        first_poll_at = time.time() + self._first_poll_s(spec.key)
        if not await self._store.reroute(job, owner, (spec.key, spec.provider), chosen,
                                         first_poll_at):  # fmt: skip
            return False
        log.warning("job %s: %s withdrew %s; moved to %s", job.id, job.provider, job.model,
                    spec.key)  # fmt: skip
        await self._watch.moved(exc, spec.provider)
        return True

    async def submit(self, job_id: str) -> None:
        """Submit a moved job to its new model (a failure lands on the job, as ever)."""
        job = await self._store.get(job_id)
        if job is None or job.task_id:
            return
        await self._submitter.submit_step(job)

    async def _elsewhere(self, job: Job, settings: dict[str, str]) -> ModelSpec | None:
        """Another provider's model of the job's capability that takes its inputs."""
        current = self._registry.find(job.model)
        if current is None:
            return None
        texts = {"prompt": job.prompt, **job.texts}
        try:
            route = await self._router.models(current.capability, settings)
        except InputRejected:  # no provider serves the capability now
            return None
        for spec in route:
            if spec.provider != job.provider and fits(job, spec, settings, texts):
                return spec
        return None
