"""Kie.ai over HTTP: create tasks (jobs and Suno), read their status, read the credit balance."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.providers.base import CallbackParseError, TaskOutcome
from bot.providers.kie.errors import kie_error
from bot.providers.kie.parsing import outcome_from_body
from bot.providers.retries import answer_lost, with_retries

REQUEST_TIMEOUT_S = 30.0
QUICK_TIMEOUT_S = 5.0
CREATE_TASK = "/api/v1/jobs/createTask"
RECORD_INFO = "/api/v1/jobs/recordInfo"
GENERATE_MUSIC = "/api/v1/generate"
MUSIC_RECORD_INFO = "/api/v1/generate/record-info"
CREDIT = "/api/v1/chat/credit"


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
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._attempts = attempts
        self._backoff_s = backoff_s

    async def create_task(self, body: dict[str, Any], path: str = CREATE_TASK) -> str:
        """Submit a task (createTask, or Suno's generate); returns Kie's task id."""
        data = await self._call("POST", path, json=body)
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
            params={"taskId": task_id},
            attempts=1 if quick else self._attempts,
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
        attempts: int | None = None,
        timeout_s: float = REQUEST_TIMEOUT_S,
        **kwargs: Any,
    ) -> Any:
        return await with_retries(
            lambda: self._once(method, path, timeout_s, **kwargs),
            attempts=attempts or self._attempts,
            backoff_s=self._backoff_s,
            what=f"kie {method} {path}",
        )

    async def _once(self, method: str, path: str, timeout_s: float, **kwargs: Any) -> Any:
        timeout = aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._session.request(
                method, self._base_url + path, headers=self._headers, timeout=timeout, **kwargs
            ) as response:
                body = await _json_or_none(response)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            lost = answer_lost(method, exc)
            raise kie_error(0, f"network error: {type(exc).__name__}", answer_lost=lost) from exc
        if not isinstance(body, dict):
            raise kie_error(status if status >= 400 else 500, "the answer is not JSON")
        code = body.get("code", status)
        if code != 200:
            message = str(body.get("msg") or body.get("message") or "")
            raise kie_error(int(code) if isinstance(code, int) else 500, message)
        return body.get("data")


async def _json_or_none(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except (ValueError, aiohttp.ContentTypeError):
        return None
