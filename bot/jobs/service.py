"""Starting jobs: check the inputs against the model, take the user's slot, store the files,
and submit to the model's provider."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
from redis.exceptions import RedisError
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.callback_tokens import callback_url
from bot.constants import TELEGRAM_DOWNLOAD_MAX_BYTES
from bot.errors import FailureKind, InputRejected, PhotobotError, ProviderError
from bot.flood import SendPriority
from bot.jobs.admission import Admissions, UserLimits, Verdict
from bot.jobs.alerts import AdminAlerts
from bot.jobs.model import Job, JobState, StoredMedia
from bot.jobs.notices import StatusNotices, edit_status
from bot.jobs.progress import Progress
from bot.jobs.sent_files import SentFile
from bot.jobs.store import JobStore, Outcome
from bot.jobs.user_settings import UserSettings
from bot.media.kinds import MediaKind
from bot.media.sniff import sniff
from bot.models import Registry
from bot.models.limits import InputFile, check_file, check_files, check_texts
from bot.models.requests import ModelInputs, provider_fields
from bot.models.spec import Capability, ModelSpec
from bot.providers.base import Provider, StoredInput, SubmitRequest
from bot.storage import Storage

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
    provider_preference: tuple[str, ...] = ()  # tried first, in order


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
        config: SubmitConfig,
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
        self._config = config

    async def start_job(self, request: JobRequest) -> Job:
        """Raises InputRejected before a job exists; after that, failures land on the job.

        Every limit the model declares is checked on Telegram's metadata before the user's slot
        is taken and anything is downloaded, and again on the files themselves. Without a status
        message of its own, the job gets one from the notices queue, so neither this call nor
        the upload waits on Telegram's flood control.
        """
        settings = await self._user_settings.of(request.user_id)
        spec = self.model_for(request.capability, settings)
        problem = check_files(spec, [f.meta() for f in request.files]) or check_texts(
            spec, request.texts, settings
        )
        if problem is not None:
            raise InputRejected(InputProblem.OVER_LIMIT, problem=problem)
        limits = NO_LIMITS if request.user_id in self._config.admin_ids else self._config.limits
        admission = await self._admissions.admit(request.user_id, limits)
        if admission.verdict is not Verdict.ADMITTED:
            raise InputRejected(_REFUSALS[admission.verdict], tell=admission.tell)
        job_id = uuid.uuid4().hex
        try:
            inputs = [
                await self._store_input(job_id, index, file, spec)
                for index, file in enumerate(request.files)
            ]
        except BaseException:
            await self._admissions.release(admission)
            raise
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
            params={o.setting: settings[o.setting] for o in spec.options},
        )
        await self._store.create(job, first_poll_at=job.created_at + self._config.poll_after_s)
        log.info("job %s created for chat %s (%s)", job.id, job.chat_id, spec.key)
        await self._progress.track(job)
        if job.status_message_id is None:
            self._notices.post(job.id)
        try:
            await self._submit(job, spec, request.texts)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return job
        await self._show_generating(job)
        return job

    def model_for(self, capability: Capability, settings: Mapping[str, str]) -> ModelSpec:
        """The model that serves a capability for this user: a preferred provider's, their
        engine's, a configured provider's."""
        engine = settings.get("video_engine", "")
        preference = self._config.provider_preference
        for spec in self._registry.candidates(capability, engine=engine, providers=preference):
            if spec.provider in self._providers:
                return spec
        raise InputRejected(InputProblem.UNAVAILABLE)

    async def _show_generating(self, job: Job) -> None:
        """Edit the status message if it is out already; a queued one will say it itself."""
        if job.status_message_id is None:
            latest = await self._store.get(job.id)
            job.status_message_id = latest.status_message_id if latest else None
        await edit_status(self._bot, job, self._notices.generating(job), SendPriority.STATUS)

    async def _store_input(
        self, job_id: str, index: int, file: SentFile, spec: ModelSpec
    ) -> StoredMedia:
        """Download one input from Telegram, check what it really is, store it.

        Inputs are handled one at a time, so an album never sits in memory all at once.
        """
        data = await self._fetch(file.file_id)
        info = sniff(data)
        if info is None or info.kind is not file.kind:
            raise InputRejected(_NOT_A.get(file.kind, InputProblem.NOT_AN_IMAGE))
        slot = spec.slot(file.kind)
        actual = InputFile(
            info.kind, info.mime_type, len(data), file.seconds, info.width, info.height
        )
        problem = check_file(slot, actual) if slot else None
        if problem is not None:
            raise InputRejected(InputProblem.OVER_LIMIT, problem=problem)
        key = f"inputs/{job_id}-{index + 1}.{info.extension}"
        await self._storage.put(key, data, info.mime_type)
        return StoredMedia(info.kind, key, info.mime_type, len(data), file.seconds)

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
