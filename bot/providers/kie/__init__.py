"""Kie.ai as a Photobot provider: every Kie model, the jobs API and Suno's music API."""

from __future__ import annotations

from collections.abc import Mapping

from bot.models.spec import ModelSpec
from bot.providers.base import SubmitRequest, TaskOutcome
from bot.providers.budget import Budget
from bot.providers.kie.client import (
    CREATE_TASK,
    GENERATE_MUSIC,
    MUSIC_RECORD_INFO,
    MUSIC_RECORD_INFO_LIMIT,
    RECORD_INFO,
    RECORD_INFO_LIMIT,
    KieClient,
)
from bot.providers.kie.errors import PROVIDER
from bot.providers.kie.parsing import parse_kie_callback
from bot.providers.kie.requests import SUNO, request_body
from bot.providers.kie.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, hmac_valid

__all__ = ["KieClient", "KieProvider"]


class KieProvider:
    name = PROVIDER
    callback_route = "/api/kie/callback"

    def __init__(
        self, client: KieClient, *, hmac_key: bytes | None = None, confirm_callbacks: bool = False
    ) -> None:
        self.client = client
        self._hmac_key = hmac_key
        self.confirm_callbacks = confirm_callbacks

    async def submit(self, request: SubmitRequest) -> str:
        path = GENERATE_MUSIC if request.spec.family == SUNO else CREATE_TASK
        body = request_body(request.spec, request.fields, request.callback_url)
        return await self.client.create_task(body, path)

    async def poll(self, spec: ModelSpec, task_id: str, *, quick: bool = False) -> TaskOutcome:
        path = MUSIC_RECORD_INFO if spec.family == SUNO else RECORD_INFO
        return await self.client.record_info(task_id, path=path, quick=quick)

    def poll_budgets(self, spec: ModelSpec, task_id: str) -> tuple[Budget, ...]:
        """Every query counts against the key's recordInfo budget, and a song's also against
        its task's (Suno's limit is per task). Kie states no key-wide limit for Suno's
        endpoint; counting songs in the key's budget as well is the safe reading."""
        key = Budget(f"{self.name}:{self.client.key_id}", RECORD_INFO_LIMIT)
        if spec.family != SUNO:
            return (key,)
        return key, Budget(f"{self.name}:song:{task_id}", MUSIC_RECORD_INFO_LIMIT)

    def parse_callback(self, body: bytes) -> TaskOutcome:
        return parse_kie_callback(body)

    def callback_authentic(
        self, headers: Mapping[str, str], outcome: TaskOutcome, now: float
    ) -> bool:
        if self._hmac_key is None:
            return True
        return hmac_valid(
            self._hmac_key,
            outcome.task_id,
            headers.get(TIMESTAMP_HEADER, ""),
            headers.get(SIGNATURE_HEADER, ""),
            now,
        )

    async def balance(self) -> float | None:
        return float(await self.client.credit())

    async def aclose(self) -> None:
        """Kie runs nothing in the background."""
