"""Synchronous Seedream calls run in background tasks the provider owns, reported like a
webhook would be; the finished outcome is kept in Redis, where polling finds it after a restart
or a lost report."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot import codec
from bot.errors import FailureKind, ProviderError
from bot.providers.base import ResultMedia, TaskOutcome, TaskStatus
from bot.providers.novita.client import NovitaClient
from bot.providers.novita.parsing import outcome_from_sync

log = logging.getLogger(__name__)

SYNC_PREFIX = "sync-"  # our own task ids; Novita's never start with it
# Provider-owned state, so its key lives here rather than in bot/constants.py.
OUTCOME_KEY = "novita:sync:{task_id}"
OUTCOME_TTL_S = 24 * 3600  # well past any job's deadline

ResultHook = Callable[[str, TaskOutcome], Awaitable[object]]


def is_sync_task(task_id: str) -> bool:
    return task_id.startswith(SYNC_PREFIX)


class SyncRunner:
    """Starts synchronous calls without waiting for them; `outcome` answers pending until the
    call has finished. A process that dies mid-call leaves the job to its deadline."""

    def __init__(self, client: NovitaClient, redis: Redis, on_result: ResultHook) -> None:
        self._client = client
        self._redis = redis
        self._on_result = on_result
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, job_id: str, body: dict[str, Any]) -> str:
        """Begin the call in the background; returns the task id it will be known by."""
        task_id = f"{SYNC_PREFIX}{uuid.uuid4().hex}"
        task = asyncio.create_task(self._run(job_id, task_id, body), name=f"novita-{task_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task_id

    async def outcome(self, task_id: str) -> TaskOutcome:
        raw = await self._redis.get(OUTCOME_KEY.format(task_id=task_id))
        if raw is None:
            return TaskOutcome(task_id, TaskStatus.PENDING)
        return outcome_from_json(task_id, json.loads(raw))

    async def aclose(self) -> None:
        """Cancel calls still running (at shutdown); their jobs wait for their deadline."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job_id: str, task_id: str, body: dict[str, Any]) -> None:
        try:
            outcome = outcome_from_sync(task_id, await self._client.seedream_sync(body))
        except ProviderError as exc:
            log.warning("job %s: synchronous call failed: %s %s", job_id, exc.kind, exc.code)
            outcome = TaskOutcome(
                task_id, TaskStatus.FAILED, (), str(exc.code), exc.message, exc.kind
            )
        try:
            await self._keep(outcome)
            await self._on_result(job_id, outcome)
        except (RedisError, OSError):
            # The reconciler polls the job later; `outcome` then reads what was kept, if
            # anything, and the deadline covers the rest.
            log.warning("job %s: redis unavailable, result left to polling", job_id)
        except Exception:
            log.exception("job %s: reporting the synchronous result failed", job_id)

    async def _keep(self, outcome: TaskOutcome) -> None:
        key = OUTCOME_KEY.format(task_id=outcome.task_id)
        await self._redis.set(key, json.dumps(outcome_to_json(outcome)), ex=OUTCOME_TTL_S)


def outcome_to_json(outcome: TaskOutcome) -> dict[str, Any]:
    return {
        "status": outcome.status.value,
        "results": codec.dump(outcome.results, tuple[ResultMedia, ...]),
        "error_code": outcome.error_code,
        "error_message": outcome.error_message,
        "fail_kind": outcome.fail_kind.value,
    }


def outcome_from_json(task_id: str, data: dict[str, Any]) -> TaskOutcome:
    return TaskOutcome(
        task_id,
        TaskStatus(data["status"]),
        codec.load(tuple[ResultMedia, ...], data.get("results", [])),
        str(data.get("error_code", "")),
        str(data.get("error_message", "")),
        FailureKind(data.get("fail_kind", FailureKind.FAILED.value)),
    )
