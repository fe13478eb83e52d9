"""Starting jobs: check the inputs against the model, take the user's slot, store the files,
and submit to the model's provider."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import aiohttp
from redis.exceptions import RedisError
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.constants import TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import FailureKind, InputRejected, PhotobotError, ProviderError
from bot.flood import SendPriority
from bot.jobs.background.notices import StatusNotices, edit_status
from bot.jobs.background.progress import Progress
from bot.jobs.record import Job, JobState, StoredMedia
from bot.jobs.start.admission import Admissions, UserLimits, Verdict
from bot.jobs.start.failover import Failover, by_health, fails_over, one_per_provider
from bot.jobs.start.sent_files import SentFile
from bot.jobs.store import JobStore, Outcome
from bot.log_context import bind_job_id
from bot.media.kinds import MediaKind
from bot.media.sniff import sniff
from bot.metrics import Metrics
from bot.models import Registry
from bot.models.chains import Chain
from bot.models.limits import InputFile, Problem, check_file, check_files, check_texts
from bot.models.requests import ModelInputs, provider_fields
from bot.models.spec import Capability, ModelSpec
from bot.providers.base import Provider, StoredInput, SubmitRequest
from bot.providers.callback_tokens import callback_url
from bot.storage import Storage
from bot.users.settings import UserSettings

log = logging.getLogger(__name__)

NO_LIMITS = UserLimits()
SET_TASK_PATIENCE_S = 60.0
INPUT_DOWNLOAD_TIMEOUT_S = 60.0


class InputProblem:
    """Reasons an input is refused before any job starts (keys of InputRejected)."""

    NOT_AN_IMAGE = "not_an_image"
    NOT_A_VIDEO = "not_a_video"
    TOO_BIG_FOR_TELEGRAM = "too_big_for_telegram"
    DOWNLOAD_FAILED = "download_failed"
    TOO_MANY_IN_FLIGHT = "too_many_in_flight"
    HOURLY_CAP = "hourly_cap"
    OVER_LIMIT = "over_limit"  # a model's limit: the exception carries the Problem
    UNAVAILABLE = "unavailable"  # no model serves this right now


_REFUSALS = {
    Verdict.TOO_MANY_IN_FLIGHT: InputProblem.TOO_MANY_IN_FLIGHT,
    Verdict.HOURLY_CAP: InputProblem.HOURLY_CAP,
}
_NOT_A = {MediaKind.VIDEO: InputProblem.NOT_A_VIDEO}


@dataclass(frozen=True, slots=True)
class JobRequest:
    """Everything needed to start a job, free of Telegram types."""

    chat_id: int
    user_id: int
    capability: Capability
    files: tuple[SentFile, ...] = ()  # in the order the user sent them
    texts: Mapping[str, str] = field(default_factory=dict)  # prompt, lyrics, style, title
    reply_to_message_id: int | None = None
    status_message_id: int | None = None  # a message to edit, instead of a new one


@dataclass(frozen=True, slots=True)
class SubmitConfig:
    public_base_url: str
    callback_secret: bytes
    signed_url_ttl_s: int
    poll_after_s: float
    limits: UserLimits = NO_LIMITS
    admin_ids: frozenset[int] = frozenset()
    # The providers allowed for a capability, in order; a capability not listed: any, in the
    # catalog's order.
    provider_order: Mapping[Capability, tuple[str, ...]] = field(default_factory=dict)


class JobService:
    """The one way a job starts."""

    def __init__(
        self,
        *,
        store: JobStore,
        admissions: Admissions,
        storage: Storage,
        providers: Mapping[str, Provider],
        registry: Registry,
        user_settings: UserSettings,
        bot: ExtBot[int],
        http: aiohttp.ClientSession,
        notices: StatusNotices,
        progress: Progress,
        alerts: AdminAlerts,
        failover: Failover,
        config: SubmitConfig,
        metrics: Metrics | None = None,
    ) -> None:
        self._http = http
        self._notices = notices
        self._progress = progress
        self._store = store
        self._admissions = admissions
        self._storage = storage
        self._providers = providers
        self._registry = registry
        self._user_settings = user_settings
        self._bot = bot
        self._alerts = alerts
        self._failover = failover
        self._config = config
        self._metrics = metrics or Metrics()

    async def start_job(self, request: JobRequest) -> Job:
        """Raises InputRejected before a job exists; after that, failures land on the job.

        Every limit the model declares is checked on Telegram's metadata before the user's slot
        is taken and anything is downloaded, and again on the files themselves. Without a status
        message of its own, the job gets one from the notices queue, so neither this call nor
        the upload waits on Telegram's flood control.
        """
        settings = await self._user_settings.of(request.user_id)
        chain = self._registry.chain_for(request.capability)
        steps = self._chain_models(chain, request, settings)  # every step's model, checked now
        route = steps[:1] or await self._route(request, settings)
        limits = NO_LIMITS if request.user_id in self._config.admin_ids else self._config.limits
        admission = await self._admissions.admit(request.user_id, limits)
        if admission.verdict is not Verdict.ADMITTED:
            raise InputRejected(_REFUSALS[admission.verdict], tell=admission.tell)
        job_id = uuid.uuid4().hex
        bind_job_id(job_id)
        inputs = []
        try:
            for index, file in enumerate(request.files):
                stored, route = await self._store_input(job_id, index, file, route)
                inputs.append(stored)
        except BaseException:
            await self._admissions.release(admission)
            raise
        spec = route[0]
        job = Job(
            id=job_id,
            chat_id=request.chat_id,
            user_id=request.user_id,
            prompt=request.texts.get("prompt", ""),
            model=spec.key,
            provider=spec.provider,
            reply_to_message_id=request.reply_to_message_id,
            status_message_id=request.status_message_id,
            created_at=time.time(),
            inputs=tuple(inputs),
            texts={k: v for k, v in request.texts.items() if k != "prompt"},
            params={k: v for m in steps or [spec] for k, v in _params(m, settings).items()},
            chain=chain.key if chain else "",
            steps=len(steps) or 1,
        )
        await self._store.create(job, first_poll_at=job.created_at + self._config.poll_after_s)
        log.info("job %s created for chat %s (%s)", job.id, job.chat_id, spec.key)
        self._metrics.job_started(spec.key, spec.provider)
        await self._progress.track(job)
        if job.status_message_id is None:
            self._notices.post(job.id)
        try:
            await self._submit_with_failover(job, route, settings, request.texts)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return job
        await self._show_generating(job)
        return job

    async def file_problem(
        self, capability: Capability, settings: Mapping[str, str], file: InputFile
    ) -> Problem | None:
        """A file's problem with every model that may serve it (the first model's), or None
        when one of them takes it."""
        problems = [_file_problem(spec, file) for spec in await self._models(capability, settings)]
        return None if None in problems else problems[0]

    async def _route(self, request: JobRequest, settings: Mapping[str, str]) -> list[ModelSpec]:
        """The models a job may go to, in order: the first whose limits the inputs meet (one
        per provider), then those after it; raises InputRejected with the first's problem."""
        route = await self._models(request.capability, settings)
        files = [f.meta() for f in request.files]
        first_problem = None
        for index, spec in enumerate(route):
            problem = check_files(spec, files) or check_texts(spec, request.texts, settings)
            if problem is None:
                return route[index:]
            first_problem = first_problem or problem
        raise InputRejected(InputProblem.OVER_LIMIT, problem=first_problem)

    async def _models(self, capability: Capability, settings: Mapping[str, str]) -> list[ModelSpec]:
        """The models that may serve a capability for this user, one per provider, best first:
        allowed and configured providers in the configured order, healthy ones before those
        cooling down; within a provider, the user's engine."""
        allowed = self._config.provider_order.get(capability)
        specs = [
            spec
            for spec in self._registry.candidates(
                capability, engine=settings.get("video_engine", ""), providers=allowed or ()
            )
            if spec.provider in self._providers and (allowed is None or spec.provider in allowed)
        ]
        if not specs:
            raise InputRejected(InputProblem.UNAVAILABLE)
        providers = {spec.provider for spec in specs}
        if len(providers) > 1:
            specs = by_health(specs, await self._failover.cooling(providers))
        return one_per_provider(specs)

    async def submit_step(self, job: Job) -> None:
        """Submit a chain's later step, claimed by the caller (bot/jobs/chains.py); as for a
        new job, a failure lands on the job."""
        spec = self._registry.find(job.model)
        await self._progress.track(job)
        try:
            if spec is None or spec.provider not in self._providers:
                raise InputRejected(InputProblem.UNAVAILABLE)
            # A step names its model: no other provider to move to, but health is recorded.
            texts = {"prompt": job.prompt, **job.texts}
            await self._submit_with_failover(job, [spec], job.params, texts)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return
        await self._show_generating(job)

    def _chain_models(
        self, chain: Chain | None, request: JobRequest, settings: Mapping[str, str]
    ) -> list[ModelSpec]:
        """A chain's models, one per step: each step's provider configured, the files within
        the first's limits and the texts (the prompt reaches every step) within each one's."""
        if chain is None:
            return []
        models = self._registry.step_models(chain)
        if any(m.provider not in self._providers for m in models):
            raise InputRejected(InputProblem.UNAVAILABLE)
        problem = check_files(models[0], [f.meta() for f in request.files])
        for spec in models:
            problem = problem or check_texts(spec, request.texts, settings)
        if problem is not None:
            raise InputRejected(InputProblem.OVER_LIMIT, problem=problem)
        return models

    async def _show_generating(self, job: Job) -> None:
        """Edit the status message if it is out already; a queued one will say it itself."""
        if job.status_message_id is None:
            latest = await self._store.get(job.id)
            job.status_message_id = latest.status_message_id if latest else None
        await edit_status(self._bot, job, self._notices.generating(job), SendPriority.STATUS)

    async def _store_input(
        self, job_id: str, index: int, file: SentFile, route: list[ModelSpec]
    ) -> tuple[StoredMedia, list[ModelSpec]]:
        """Download one input from Telegram, check what it really is, store it; returns it
        and the models on the route that take it (Telegram's metadata can be wrong).

        Inputs are handled one at a time, so an album never sits in memory all at once.
        """
        data = await self._fetch(file.file_id)
        info = sniff(data)
        if info is None or info.kind is not file.kind:
            raise InputRejected(_NOT_A.get(file.kind, InputProblem.NOT_AN_IMAGE))
        actual = InputFile(
            info.kind, info.mime_type, len(data), file.seconds, info.width, info.height
        )
        problems = [_file_problem(spec, actual) for spec in route]
        if None not in problems:
            raise InputRejected(InputProblem.OVER_LIMIT, problem=problems[0])
        key = f"inputs/{job_id}-{index + 1}.{info.extension}"
        await self._storage.put(key, data, info.mime_type)
        stored = StoredMedia(info.kind, key, info.mime_type, len(data), file.seconds,
                             info.width, info.height)  # fmt: skip
        return stored, [spec for spec, problem in zip(route, problems, strict=True) if not problem]

    async def _fetch(self, file_id: str) -> bytes:
        try:
            file = await self._bot.get_file(file_id)
        except TelegramError as exc:
            log.warning("getFile failed: %s", exc)
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        if file.file_size and file.file_size > TELEGRAM_DOWNLOAD_MAX_BYTES:
            raise InputRejected(InputProblem.TOO_BIG_FOR_TELEGRAM)
        return await self._download(file.file_path or "")

    async def _download(self, url: str) -> bytes:
        """Stream the file from the Bot API's file server, never past Telegram's 20 MB."""
        timeout = aiohttp.ClientTimeout(total=INPUT_DOWNLOAD_TIMEOUT_S)
        try:
            async with self._http.get(url, timeout=timeout) as response:
                response.raise_for_status()
                chunks, size = [], 0
                async for chunk in response.content.iter_chunked(256 * 1024):
                    size += len(chunk)
                    if size > TELEGRAM_DOWNLOAD_MAX_BYTES:
                        raise InputRejected(InputProblem.TOO_BIG_FOR_TELEGRAM)
                    chunks.append(chunk)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("input download failed: %s", type(exc).__name__)
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        return b"".join(chunks)

    async def _submit_with_failover(
        self,
        job: Job,
        specs: Sequence[ModelSpec],
        settings: Mapping[str, str],
        job_texts: Mapping[str, str],
    ) -> None:
        """Submit to the first model; when its provider fails for a reason the user did not
        cause, move the job to the next provider that can take its inputs, at once."""
        spec: ModelSpec | None = specs[0]
        rest = list(specs[1:])
        while spec is not None:
            try:
                await self._submit(job, spec, job_texts)
            except ProviderError as exc:
                await self._failover.failed(spec.provider, exc)
                spec = await self._fail_over(job, exc, rest, settings, job_texts)
                if spec is None:
                    raise  # the job fails: counted when its user is told
                self._metrics.provider_error(exc.provider, exc.kind)
                continue
            if await self._failover.succeeded(spec.provider):
                await self._alerts.tell(texts.failover_back(spec.provider))
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
            if not self._fits(job, spec, settings, job_texts):
                continue
            params = _params(spec, settings)
            if not await self._store.switch_model(job, spec.key, spec.provider, params):
                return None
            log.warning(
                "job %s: %s failed (%s %s), moved to %s",
                job.id, exc.provider, exc.kind, exc.code, spec.provider,
            )  # fmt: skip
            if await self._failover.trip(exc.provider, exc.kind):
                minutes = self._failover.cooldown_s / 60
                await self._alerts.tell(texts.failover_alert(exc, spec.provider, minutes))
            job.model, job.provider, job.params = spec.key, spec.provider, params
            return spec
        return None

    @staticmethod
    def _fits(
        job: Job, spec: ModelSpec, settings: Mapping[str, str], job_texts: Mapping[str, str]
    ) -> bool:
        """Whether another model takes the job's stored inputs and texts as they are."""
        files = [m.meta() for m in job.inputs]
        return check_files(spec, files) is None and check_texts(spec, job_texts, settings) is None

    async def _submit(self, job: Job, spec: ModelSpec, job_texts: Mapping[str, str]) -> None:
        cfg = self._config
        provider = self._providers[spec.provider]
        stored = [
            StoredInput(m.kind, m.key, m.mime_type, await self._signed_url(m.key))
            for m in job.inputs
        ]
        urls: dict[MediaKind, list[str]] = {}
        for item in stored:
            urls.setdefault(item.kind, []).append(item.url)
        seconds = {m.kind: m.seconds for m in job.inputs if m.seconds is not None}
        inputs = ModelInputs(urls=urls, texts=job_texts, seconds=seconds)
        request = SubmitRequest(
            job_id=job.id,
            spec=spec,
            fields=provider_fields(spec, inputs, job.params),
            callback_url=callback_url(
                cfg.public_base_url,
                provider.callback_route,
                cfg.callback_secret,
                provider.name,
                job.id,
            ),
            inputs=tuple(stored),
        )
        task_id = await provider.submit(request)
        await self._remember_task(job, task_id)
        log.info("job %s submitted to %s as task %s", job.id, provider.name, task_id)

    async def _signed_url(self, key: str) -> str:
        return await self._storage.signed_url(key, self._config.signed_url_ttl_s)

    async def _remember_task(self, job: Job, task_id: str) -> None:
        """The task now runs at the provider and the poller needs its id: a Redis blip here is
        waited out rather than given up on."""
        deadline = time.monotonic() + SET_TASK_PATIENCE_S
        delay = 0.25
        while True:
            try:
                await self._store.set_task(job, task_id)
                return
            except (RedisError, OSError):
                if time.monotonic() > deadline:
                    raise
                log.warning("job %s: redis unavailable, retrying to store task id", job.id)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _fail(self, job: Job, exc: PhotobotError) -> None:
        if isinstance(exc, ProviderError):
            kind, code, message = exc.kind, str(exc.code), exc.message
            await self._alert_if_operator_problem(exc)
        else:
            kind, code, message = FailureKind.FAILED, type(exc).__name__, ""
        log.warning("job %s failed at submit: %s %s", job.id, kind, code)
        outcome = Outcome(
            state=JobState.FAILED, fail_kind=kind, error_code=code, error_message=message
        )
        await self._store.record_outcome(job.id, outcome)

    async def _alert_if_operator_problem(self, exc: ProviderError) -> None:
        name = exc.provider
        if exc.kind is FailureKind.MISCONFIGURED:
            await self._alerts.notify(
                f"{name}_auth", f"the {name} API key was refused", exc.message
            )
        elif exc.kind is FailureKind.NO_CREDITS:
            await self._alerts.notify(f"{name}_credits", f"{name} credits are used up", exc.message)


def _params(spec: ModelSpec, settings: Mapping[str, str]) -> dict[str, str]:
    """The user's settings the model reads."""
    return {option.setting: settings[option.setting] for option in spec.options}


def _file_problem(spec: ModelSpec, file: InputFile) -> Problem | None:
    slot = spec.slot(file.kind)
    return check_file(slot, file) if slot else None
