"""Kie.ai over HTTP: create tasks (jobs and Suno), read their status, read the credit balance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp

from bot.errors import ProviderError
from bot.providers.base import CallbackParseError, TaskOutcome
from bot.providers.budget import PollLimit, key_id
from bot.providers.json_api import JsonApi
from bot.providers.kie.errors import kie_error
from bot.providers.kie.parsing import outcome_from_body

REQUEST_TIMEOUT_S = 30.0
QUICK_TIMEOUT_S = 5.0
CREATE_TASK = "/api/v1/jobs/createTask"
RECORD_INFO = "/api/v1/jobs/recordInfo"
GENERATE_MUSIC = "/api/v1/generate"
MUSIC_RECORD_INFO = "/api/v1/generate/record-info"
CREDIT = "/api/v1/chat/credit"
# Kie's limits on status queries (providers.md): recordInfo 10 a second per API key; Suno's
# record-info 3 a second per task.
RECORD_INFO_LIMIT = PollLimit(10)
MUSIC_RECORD_INFO_LIMIT = PollLimit(3)


class KieClient:
    """Talks to Kie.ai; the body `code` decides success, and 429/5xx are retried with backoff."""

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
            session, base_url, api_key, name="kie", network_error=_network_error,
            attempts=attempts, backoff_s=backoff_s,
        )  # fmt: skip
        self.key_id = key_id(api_key)  # names this key's polling budget

    async def create_task(self, body: dict[str, Any], path: str = CREATE_TASK) -> str:
        """Submit a task (createTask, or Suno's generate); returns Kie's task id."""
        data = await self._call("POST", path, request=lambda: {"json": body})
        task_id = data.get("taskId") if isinstance(data, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise kie_error(500, "the task was created without a task id")
        return task_id

    async def record_info(
        self, task_id: str, *, path: str = RECORD_INFO, quick: bool = False
    ) -> TaskOutcome:
        """Current state of a task, in the same shape a callback gives.

        `quick` makes one short attempt, for use while a caller waits on us.
        """
        data = await self._call(
            "GET",
            path,
            request=lambda: {"params": {"taskId": task_id}},
            attempts=1 if quick else None,
            timeout_s=QUICK_TIMEOUT_S if quick else REQUEST_TIMEOUT_S,
        )
        if not isinstance(data, dict):
            raise kie_error(500, "the status answer has no data")
        try:
            return outcome_from_body({"code": 200, "data": {"taskId": task_id, **data}})
        except CallbackParseError as exc:
            raise kie_error(500, "the status answer is malformed") from exc

    async def credit(self) -> int:
        """Credits left on the account."""
        data = await self._call("GET", CREDIT)
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise kie_error(500, "the credit answer is malformed")
        return int(data)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        request: Callable[[], dict[str, Any]] = dict,
        attempts: int | None = None,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> Any:
        return await self._api.call(
            method, path, _data, request=request, timeout_s=timeout_s, attempts=attempts
        )


def _data(status: int, body: Any) -> Any:
    """An answer's `data`; Kie puts its verdict in the body's `code`, not the HTTP status."""
    if not isinstance(body, dict):
        raise kie_error(status if status >= 400 else 500, "the answer is not JSON")
    code = body.get("code", status)
    if code != 200:
        message = str(body.get("msg") or body.get("message") or "")
        raise kie_error(int(code) if isinstance(code, int) else 500, message)
    return body.get("data")


def _network_error(message: str, answer_lost: bool) -> ProviderError:
    return kie_error(0, message, answer_lost=answer_lost)
