"""Novita AI as a Photobot provider: Seedream text->image (async with a webhook, or the
synchronous endpoint in the background) and Kling image->video by file upload."""

from __future__ import annotations

from collections.abc import Mapping

from redis.asyncio import Redis

from bot.media.kinds import MediaKind
from bot.models.spec import ModelSpec
from bot.providers.base import StoredInput, SubmitRequest, TaskOutcome
from bot.providers.budget import Budget
from bot.providers.novita.client import (
    KLING_I2V_MASTER,
    TASK_RESULT_LIMIT,
    TXT2IMG,
    NovitaClient,
)
from bot.providers.novita.errors import PROVIDER, novita_error
from bot.providers.novita.parsing import parse_webhook
from bot.providers.novita.requests import (
    KLING_I2V,
    SEEDREAM,
    kling_form_fields,
    seedream_sync_body,
    txt2img_body,
)
from bot.providers.novita.sync import ResultHook, SyncRunner, is_sync_task
from bot.storage import Storage

__all__ = ["NovitaClient", "NovitaProvider", "ResultHook"]

UPLOAD_TYPES = frozenset({"image/jpeg", "image/png"})


class NovitaProvider:
    name = PROVIDER
    callback_route = "/api/novita/webhook"
    # Novita signs nothing: the per-job token in the URL and the task-id match in
    # record_outcome authenticate a webhook, as for Kie.
    confirm_callbacks = False

    def __init__(
        self,
        client: NovitaClient,
        *,
        storage: Storage,
        redis: Redis,
        on_result: ResultHook,
        seedream_sync: bool = False,
        test_mode: str = "off",
    ) -> None:
        self.client = client
        self._storage = storage
        self._seedream_sync = seedream_sync
        self._test_mode = test_mode
        self._sync = SyncRunner(client, redis, on_result)

    async def submit(self, request: SubmitRequest) -> str:
        spec, fields, url = request.spec, request.fields, request.callback_url
        if spec.family == KLING_I2V:
            return await self._upload(request)
        if spec.family != SEEDREAM:
            raise novita_error(400, f"unknown request family {spec.family!r}")
        if self._seedream_sync:
            return self._sync.start(request.job_id, seedream_sync_body(spec, fields))
        return await self.client.submit_json(
            TXT2IMG, txt2img_body(spec, fields, url, self._test_mode)
        )

    async def poll(self, spec: ModelSpec, task_id: str, *, quick: bool = False) -> TaskOutcome:
        if is_sync_task(task_id):
            return await self._sync.outcome(task_id)
        return await self.client.task_result(task_id, quick=quick)

    def poll_budgets(self, spec: ModelSpec, task_id: str) -> tuple[Budget, ...]:
        """task-result's budget for the key; a synchronous call's outcome is read from Redis,
        with no request to Novita."""
        if is_sync_task(task_id):
            return ()
        return (Budget(f"{self.name}:{self.client.key_id}", TASK_RESULT_LIMIT),)

    def parse_callback(self, body: bytes) -> TaskOutcome:
        return parse_webhook(body)

    def callback_authentic(
        self, headers: Mapping[str, str], outcome: TaskOutcome, now: float
    ) -> bool:
        return True

    async def balance(self) -> float | None:
        """The available balance in US dollars (Novita's billing endpoint)."""
        return await self.client.balance_usd()

    async def aclose(self) -> None:
        await self._sync.aclose()

    async def _upload(self, request: SubmitRequest) -> str:
        """Kling takes the image itself: read once from storage, checked, sent as a file."""
        spec = request.spec
        image = _the_image(request.inputs)
        form = kling_form_fields(spec, request.fields, request.callback_url, self._test_mode)
        data = await self._storage.read(image.key)
        slot = spec.slot(MediaKind.IMAGE)
        if slot is not None and len(data) > slot.max_bytes:
            raise novita_error(400, "the image is over the size limit")
        return await self.client.submit_upload(KLING_I2V_MASTER, form, data, image.mime_type)


def _the_image(inputs: tuple[StoredInput, ...]) -> StoredInput:
    image = next((i for i in inputs if i.kind is MediaKind.IMAGE), None)
    if image is None or image.mime_type not in UPLOAD_TYPES:
        raise novita_error(400, "a JPEG or PNG image is required")
    return image
