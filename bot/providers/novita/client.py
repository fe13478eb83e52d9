"""Novita AI over HTTP: JSON and multipart task submissions, the synchronous Seedream call,
task-result, and the balance; errors become ProviderErrors, busy answers are retried."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from bot.errors import ProviderError
from bot.providers.base import CallbackParseError, TaskOutcome
from bot.providers.budget import PollLimit, key_id
from bot.providers.json_api import JsonApi
from bot.providers.novita.errors import NETWORK, novita_error
from bot.providers.novita.parsing import error_fields, outcome_from_result, task_id_of

REQUEST_TIMEOUT_S = 30.0
QUICK_TIMEOUT_S = 5.0
# The synchronous Seedream call holds the connection while the image renders.
SYNC_TIMEOUT_S = 180.0
UPLOAD_TIMEOUT_S = 120.0
TXT2IMG = "/v3/async/txt2img"
SEEDREAM_SYNC = "/v3/seedream-3-0-txt2img"
KLING_I2V_MASTER = "/v3/async/kling-v2.1-i2v-master"
TASK_RESULT = "/v3/async/task-result"
# Novita documents no limit for task-result (only per-model generation limits): an assumed
# 5 a second per API key, well above what its cadences ask for.
TASK_RESULT_LIMIT = PollLimit(5)
BALANCE = "/openapi/v1/billing/balance/detail"
BALANCE_UNITS_PER_USD = 10_000  # Novita counts money in 1/10000 USD


class NovitaClient:
    """Talks to Novita; the HTTP status decides success, and busy answers are retried."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str,
        *,
        attempts: int = 3,
        backoff_s: float = 1.0,
    ) -> None:
        self._api = JsonApi(
            session, base_url, api_key, name="novita", network_error=_network_error,
            attempts=attempts, backoff_s=backoff_s,
        )  # fmt: skip
        self.key_id = key_id(api_key)  # names this key's polling budget

    async def submit_json(self, path: str, body: dict[str, Any]) -> str:
        """Start an async task from a JSON body; returns Novita's task id."""
        return _task_id(await self._call("POST", path, lambda: {"json": body}))

    async def submit_upload(
        self, path: str, fields: Mapping[str, str], image: bytes, content_type: str
    ) -> str:
        """Start an async task from a multipart form with the image as the file `image`.

        The form is rebuilt per attempt (a sent FormData cannot be sent again) around the same
        bytes object, so the image is never copied; aiohttp writes the boundary header itself.
        """

        def form() -> dict[str, Any]:
            data = aiohttp.FormData()
            for name, value in fields.items():
                data.add_field(name, value)
            suffix = "png" if content_type == "image/png" else "jpg"
            data.add_field("image", image, filename=f"image.{suffix}", content_type=content_type)
            return {"data": data}

        return _task_id(await self._call("POST", path, form, timeout_s=UPLOAD_TIMEOUT_S))

    async def seedream_sync(self, body: dict[str, Any]) -> Any:
        """The synchronous Seedream call: answers once the image exists."""
        return await self._call("POST", SEEDREAM_SYNC, lambda: {"json": body}, SYNC_TIMEOUT_S)

    async def task_result(self, task_id: str, *, quick: bool = False) -> TaskOutcome:
        """A task's state now, in the same shape a webhook gives."""
        answer = await self._call(
            "GET",
            TASK_RESULT,
            lambda: {"params": {"task_id": task_id}},
            QUICK_TIMEOUT_S if quick else REQUEST_TIMEOUT_S,
            attempts=1 if quick else None,
        )
        try:
            return outcome_from_result(answer if isinstance(answer, dict) else {})
        except CallbackParseError as exc:
            raise novita_error(500, "the task-result answer is malformed") from exc

    async def balance_usd(self) -> float:
        """The account's available balance, in US dollars."""
        answer = await self._call("GET", BALANCE, dict)
        raw = answer.get("availableBalance") if isinstance(answer, dict) else None
        try:
            return float(str(raw)) / BALANCE_UNITS_PER_USD
        except ValueError as exc:
            raise novita_error(500, "the balance answer is malformed") from exc

    async def _call(
        self,
        method: str,
        path: str,
        request: Callable[[], dict[str, Any]],
        timeout_s: float = REQUEST_TIMEOUT_S,
        *,
        attempts: int | None = None,
    ) -> Any:
        return await self._api.call(
            method, path, _body, request=request, timeout_s=timeout_s, attempts=attempts
        )


def _body(status: int, body: Any) -> dict[str, Any]:
    """A successful answer's JSON object; Novita's verdict is the HTTP status."""
    if status >= 400:
        reason, message = error_fields(body)
        raise novita_error(status, message or reason or f"HTTP {status}", reason)
    if not isinstance(body, dict):
        raise novita_error(500, "the answer is not JSON")
    return body


def _network_error(message: str, answer_lost: bool) -> ProviderError:
    return novita_error(NETWORK, message, answer_lost=answer_lost)


def _task_id(answer: Any) -> str:
    task_id = task_id_of(answer)
    if not task_id:
        raise novita_error(500, "the task was created without a task id")
    return task_id
