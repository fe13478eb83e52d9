"""Submitting a job to its model's provider: when the provider fails for a reason the user did
not cause, the job moves to the next model that takes it, at once; a failure lands on the job."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from bot.errors import FailureKind, PhotobotError, ProviderError
from bot.jobs.record import Job, JobState
from bot.jobs.start.failover import fails_over
from bot.jobs.start.handoff import InputHandOff
from bot.jobs.start.routing import Router, fits, params
from bot.jobs.start.status import StartStatus
from bot.jobs.start.watch import ProviderWatch
from bot.jobs.store import JobStore, Outcome
from bot.locales import speaking
from bot.loops import doubling, retrying
from bot.media.kinds import MediaKind
from bot.models.requests import ModelInputs, provider_fields
from bot.models.spec import ModelSpec
from bot.providers.base import FileHost, Provider, StoredInput, SubmitRequest
from bot.providers.callback_tokens import callback_url
from bot.storage import Storage

log = logging.getLogger(__name__)

SET_TASK_PATIENCE_S = 60.0


@dataclass(frozen=True, slots=True)
class SubmitConfig:
    public_base_url: str | None  # None: polling mode, no callback URL is given out
    callback_secret: bytes
    signed_url_ttl_s: int
    # Providers' own file hosts, for inputs storage cannot offer at a public URL.
    file_hosts: Mapping[str, FileHost] = field(default_factory=dict)


class Submitter:
    """The one submit path: new jobs and a chain's later steps."""

    def __init__(
        self,
        *,
        store: JobStore,
        storage: Storage,
        providers: Mapping[str, Provider],
        router: Router,
        watch: ProviderWatch,
        status: StartStatus,
        config: SubmitConfig,
    ) -> None:
        self._store = store
        self._providers = providers
        self._router = router
        self._watch = watch
        self._status = status
        self._config = config
        self._handoff = InputHandOff(storage, config.signed_url_ttl_s, config.file_hosts)

    async def submit(
        self,
        job: Job,
        route: Sequence[ModelSpec],
        settings: Mapping[str, str],
        job_texts: Mapping[str, str],
    ) -> None:
        """Submit to the route's first model, failing over along it; then the status message
        says the job is generating."""
        try:
            await self._submit_with_failover(job, route, settings, job_texts)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return
        await self._status.generating(job)

    async def submit_step(self, job: Job) -> None:
        """Submit a chain's later step, claimed by the caller (bot/jobs/chains.py); as for a
        new job, a failure lands on the job."""
        await self._status.track(job)
        try:
            spec = self._router.step_model(job)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return
        # A step names its model: no other provider to move to, but health is recorded. The
        # reconciler may be the caller: the status speaks the job's language, not its own.
        with speaking(job.language):
            await self.submit(job, [spec], job.params, {"prompt": job.prompt, **job.texts})

    async def _submit_with_failover(
        self,
        job: Job,
        specs: Sequence[ModelSpec],
        settings: Mapping[str, str],
        job_texts: Mapping[str, str],
    ) -> None:
        spec: ModelSpec | None = specs[0]
        rest = list(specs[1:])
        while spec is not None:
            try:
                await self._submit(job, spec, job_texts)
            except ProviderError as exc:
                await self._watch.failed(spec.provider, exc)
                if exc.kind is FailureKind.WITHDRAWN:
                    log.warning("job %s: %s no longer offers %s", job.id, exc.provider, spec.key)
                    await self._watch.withdrawn(exc, spec.key)
                spec = await self._fail_over(job, exc, rest, settings, job_texts)
                if spec is None:
                    raise  # the job fails: counted when its user is told
                continue
            await self._watch.succeeded(spec.provider)
            return

    async def _fail_over(
        self,
        job: Job,
        exc: ProviderError,
        rest: list[ModelSpec],
        settings: Mapping[str, str],
        job_texts: Mapping[str, str],
    ) -> ModelSpec | None:
        """Move the job to the next model that can take it; None when there is none."""
        if not fails_over(exc):
            return None
        while rest:
            spec = rest.pop(0)
            if not fits(job, spec, settings, job_texts):
                continue
            chosen = params(spec, settings)
            if not await self._store.switch_model(job, spec.key, spec.provider, chosen):
                return None
            log.warning(
                "job %s: %s failed (%s %s), moved to %s",
                job.id, exc.provider, exc.kind, exc.code, spec.provider,
            )  # fmt: skip
            await self._watch.moved(exc, spec.provider)
            job.model, job.provider, job.params = spec.key, spec.provider, chosen
            return spec
        return None

    async def _submit(self, job: Job, spec: ModelSpec, job_texts: Mapping[str, str]) -> None:
        provider = self._providers[spec.provider]
        request = await self._request(job, spec, provider, job_texts)
        task_id = await provider.submit(request)
        await self._remember_task(job, task_id)
        log.info("job %s submitted to %s as task %s", job.id, provider.name, task_id)

    async def _request(
        self, job: Job, spec: ModelSpec, provider: Provider, job_texts: Mapping[str, str]
    ) -> SubmitRequest:
        """What the provider is sent: the stored inputs as URLs it can fetch, the fields the
        model reads, and where to call back (nowhere in polling mode)."""
        stored = [
            StoredInput(m.kind, m.key, m.mime_type, await self._handoff.url(provider.name, m))
            for m in job.inputs
        ]
        urls: dict[MediaKind, list[str]] = {}
        for item in stored:
            urls.setdefault(item.kind, []).append(item.url)
        seconds = {m.kind: m.seconds for m in job.inputs if m.seconds is not None}
        inputs = ModelInputs(urls=urls, texts=job_texts, seconds=seconds)
        return SubmitRequest(
            job_id=job.id,
            spec=spec,
            fields=provider_fields(spec, inputs, job.params),
            callback_url=self._callback_url(provider, job.id),
            inputs=tuple(stored),
        )

    def _callback_url(self, provider: Provider, job_id: str) -> str | None:
        cfg = self._config
        if cfg.public_base_url is None:
            return None
        route, name = provider.callback_route, provider.name
        return callback_url(cfg.public_base_url, route, cfg.callback_secret, name, job_id)

    async def _remember_task(self, job: Job, task_id: str) -> None:
        """The task now runs at the provider and the poller needs its id: a Redis blip here is
        waited out rather than given up on."""
        await retrying(
            lambda: self._store.set_task(job, task_id),
            retry_if=lambda exc: isinstance(exc, (RedisError, OSError)),
            delays=doubling(0.25, max_s=5.0),
            within_s=SET_TASK_PATIENCE_S,
            what=f"job {job.id}: storing its task id",
        )

    async def _fail(self, job: Job, exc: PhotobotError) -> None:
        if isinstance(exc, ProviderError):
            kind, code, message = exc.kind, str(exc.code), exc.message
            await self._watch.gave_up(exc)
        else:
            kind, code, message = FailureKind.FAILED, type(exc).__name__, ""
        log.warning("job %s failed at submit: %s %s", job.id, kind, code)
        outcome = Outcome(
            state=JobState.FAILED, fail_kind=kind, error_code=code, error_message=message
        )
        await self._store.record_outcome(job.id, outcome)
