"""Starting jobs: fetch the user's photo, store it, and submit it to the provider."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from redis.exceptions import RedisError
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot import texts
from bot.callback_tokens import callback_url
from bot.constants import (
    MAX_INPUT_IMAGES,
    PROVIDER_IMAGE_MAX_BYTES,
    TELEGRAM_DOWNLOAD_MAX_BYTES,
)
from bot.errors import FailureKind, InputRejected, PhotobotError, ProviderError
from bot.flood import SendPriority
from bot.jobs.admission import Admissions, UserLimits, Verdict
from bot.jobs.alerts import AdminAlerts
from bot.jobs.model import Job, JobState
from bot.jobs.notices import StatusNotices, edit_status
from bot.jobs.photos import PhotoRef
from bot.jobs.store import JobStore, Outcome
from bot.jobs.user_settings import UserSettings
from bot.media.formats import ImageFormat, sniff_image
from bot.media.kinds import MediaKind
from bot.models import Registry
from bot.models.requests import ModelInputs, provider_fields
from bot.models.spec import Capability, ModelSpec
from bot.providers.base import Provider, SubmitRequest
from bot.storage import Storage

log = logging.getLogger(__name__)

NO_LIMITS = UserLimits()
SET_TASK_PATIENCE_S = 60.0
PHOTO_DOWNLOAD_TIMEOUT_S = 60.0


class InputProblem:
    """Reasons an input is refused before any job starts (keys of InputRejected)."""

    NOT_AN_IMAGE = "not_an_image"
    TOO_BIG_FOR_TELEGRAM = "too_big_for_telegram"
    TOO_BIG_FOR_MODEL = "too_big_for_model"
    DOWNLOAD_FAILED = "download_failed"
    TOO_MANY_IN_FLIGHT = "too_many_in_flight"
    HOURLY_CAP = "hourly_cap"
    TOO_MANY_PHOTOS = "too_many_photos"


_REFUSALS = {
    Verdict.TOO_MANY_IN_FLIGHT: InputProblem.TOO_MANY_IN_FLIGHT,
    Verdict.HOURLY_CAP: InputProblem.HOURLY_CAP,
}


@dataclass(frozen=True, slots=True)
class PhotoJobRequest:
    """Everything needed to start an image job, free of Telegram types."""

    chat_id: int
    user_id: int
    photos: tuple[PhotoRef, ...]  # in the order the user sent them; the first is replied to
    prompt: str
    status_message_id: int | None = None  # a message to edit, instead of a new one


@dataclass(frozen=True, slots=True)
class SubmitConfig:
    public_base_url: str
    callback_secret: bytes
    signed_url_ttl_s: int
    poll_after_s: float
    limits: UserLimits = NO_LIMITS
    admin_ids: frozenset[int] = frozenset()


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
        alerts: AdminAlerts,
        config: SubmitConfig,
    ) -> None:
        self._http = http
        self._notices = notices
        self._store = store
        self._admissions = admissions
        self._storage = storage
        self._providers = providers
        self._registry = registry
        self._user_settings = user_settings
        self._bot = bot
        self._alerts = alerts
        self._config = config

    async def start_photo_job(self, request: PhotoJobRequest) -> Job:
        """Raises InputRejected before a job exists; after that, failures land on the job.

        The user's limits are checked before anything is downloaded. Without a status message
        of its own (a style button's message), the job gets one from the notices queue, so
        neither this call nor the upload waits on Telegram's flood control.
        """
        if not request.photos or len(request.photos) > MAX_INPUT_IMAGES:
            raise InputRejected(InputProblem.TOO_MANY_PHOTOS)
        limits = NO_LIMITS if request.user_id in self._config.admin_ids else self._config.limits
        admission = await self._admissions.admit(request.user_id, limits)
        if admission.verdict is not Verdict.ADMITTED:
            raise InputRejected(_REFUSALS[admission.verdict], tell=admission.tell)
        spec = self._registry.candidates(Capability.PHOTO_EDIT)[0]
        job_id = uuid.uuid4().hex
        try:
            image_urls = [
                await self._store_photo(job_id, index, photo.file_id)
                for index, photo in enumerate(request.photos)
            ]
        except BaseException:
            await self._admissions.release(admission)
            raise
        job = Job(
            id=job_id,
            chat_id=request.chat_id,
            user_id=request.user_id,
            prompt=request.prompt,
            model=spec.key,
            provider=spec.provider,
            reply_to_message_id=request.photos[0].message_id,
            status_message_id=request.status_message_id,
            created_at=time.time(),
        )
        await self._store.create(job, first_poll_at=job.created_at + self._config.poll_after_s)
        log.info("job %s created for chat %s", job.id, job.chat_id)
        if job.status_message_id is None:
            self._notices.post(job.id)
        try:
            await self._submit(job, spec, image_urls)
        except PhotobotError as exc:
            await self._fail(job, exc)
            return job
        await self._show_generating(job)
        return job

    async def _show_generating(self, job: Job) -> None:
        """Edit the status message if it is out already; a queued one will say it itself."""
        if job.status_message_id is None:
            latest = await self._store.get(job.id)
            job.status_message_id = latest.status_message_id if latest else None
        await edit_status(self._bot, job, texts.GENERATING, SendPriority.STATUS)

    async def _store_photo(self, job_id: str, index: int, file_id: str) -> str:
        """Download one photo from Telegram, check it, store it; returns its signed URL.

        Photos are handled one at a time, so an album never sits in memory all at once.
        """
        data, fmt = await self._fetch_photo(file_id)
        key = f"inputs/{job_id}-{index + 1}.{fmt.extension}"
        await self._storage.put(key, data, fmt.mime_type)
        return await self._storage.signed_url(key, self._config.signed_url_ttl_s)

    async def _fetch_photo(self, file_id: str) -> tuple[bytes, ImageFormat]:
        try:
            file = await self._bot.get_file(file_id)
        except TelegramError as exc:
            log.warning("getFile failed: %s", exc)
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        if file.file_size and file.file_size > TELEGRAM_DOWNLOAD_MAX_BYTES:
            raise InputRejected(InputProblem.TOO_BIG_FOR_TELEGRAM)
        data = await self._download(file.file_path or "")
        fmt = sniff_image(data)
        if fmt is None:
            raise InputRejected(InputProblem.NOT_AN_IMAGE)
        if len(data) > PROVIDER_IMAGE_MAX_BYTES:
            raise InputRejected(InputProblem.TOO_BIG_FOR_MODEL)
        return data, fmt

    async def _download(self, url: str) -> bytes:
        """Stream the file from the Bot API's file server, never past Telegram's 20 MB."""
        timeout = aiohttp.ClientTimeout(total=PHOTO_DOWNLOAD_TIMEOUT_S)
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
            log.warning("photo download failed: %s", type(exc).__name__)
            raise InputRejected(InputProblem.DOWNLOAD_FAILED) from exc
        return b"".join(chunks)

    async def _submit(self, job: Job, spec: ModelSpec, image_urls: list[str]) -> None:
        cfg = self._config
        provider = self._providers[spec.provider]
        settings = await self._user_settings.of(job.user_id)
        inputs = ModelInputs(urls={MediaKind.IMAGE: image_urls}, texts={"prompt": job.prompt})
        request = SubmitRequest(
            job_id=job.id,
            spec=spec,
            fields=provider_fields(spec, inputs, settings),
            callback_url=callback_url(
                cfg.public_base_url,
                provider.callback_route,
                cfg.callback_secret,
                provider.name,
                job.id,
            ),
        )
        task_id = await provider.submit(request)
        await self._remember_task(job, task_id)
        log.info("job %s submitted to %s as task %s", job.id, provider.name, task_id)

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
