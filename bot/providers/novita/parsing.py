"""Pure parsing of Novita's answers: webhook events (the official and the seed's payload shape),
task-result answers, the synchronous Seedream answer, and error bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.providers.base import CallbackParseError, ResultMedia, TaskOutcome, TaskStatus
from bot.providers.text import encodable

RESULT_EVENT = "ASYNC_TASK_RESULT"
SUCCEEDED = "TASK_STATUS_SUCCEED"
FAILED = "TASK_STATUS_FAILED"
_MAX_TASK_ID_CHARS = 200
_OUTPUTS = (("images", "image_url", MediaKind.IMAGE), ("videos", "video_url", MediaKind.VIDEO))
# Harmless for the job: another event type, or a task still queued or running.
IGNORED = TaskOutcome("", TaskStatus.PENDING)


def parse_webhook(raw: bytes | str) -> TaskOutcome:
    """A webhook body as an outcome; any event but a task result is IGNORED (and answered 2xx).

    Raises CallbackParseError for non-JSON, or a task result that names no task."""
    body = _json_object(raw)
    if body.get("event_type") != RESULT_EVENT:
        return IGNORED
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise CallbackParseError("no payload")
    return outcome_from_result(payload)


def outcome_from_result(result: dict[str, Any]) -> TaskOutcome:
    """A task-result answer (or a webhook's payload, which has the same shape) as an outcome."""
    task = result.get("task")
    task = task if isinstance(task, dict) else {}
    task_id = _task_id(task.get("task_id"))
    status = task.get("status")
    if status == FAILED:
        return failed(task_id, _text(task.get("reason")))
    if status != SUCCEEDED:
        return TaskOutcome(task_id, TaskStatus.PENDING)
    return succeeded(task_id, tuple(_unique(_outputs(result))))


def outcome_from_sync(task_id: str, answer: Any) -> TaskOutcome:
    """The synchronous Seedream answer (`{"image_urls": [...]}`) as a final outcome."""
    urls = answer.get("image_urls") if isinstance(answer, dict) else None
    images = (ResultMedia(url, MediaKind.IMAGE) for url in _urls(urls))
    return succeeded(task_id, tuple(_unique(images)))


def succeeded(task_id: str, results: tuple[ResultMedia, ...]) -> TaskOutcome:
    if not results:
        return TaskOutcome(task_id, TaskStatus.FAILED, (), "no_result", "no result files")
    return TaskOutcome(task_id, TaskStatus.SUCCEEDED, results)


def failed(task_id: str, reason: str) -> TaskOutcome:
    """A failed task; Novita's reason is meant for people, so a user hears it (plainly)."""
    kind = FailureKind.REJECTED if reason else FailureKind.FAILED
    return TaskOutcome(task_id, TaskStatus.FAILED, (), "task_failed", reason, kind)


def error_fields(body: Any) -> tuple[str, str]:
    """(reason, message) of an error body `{"code", "reason", "message", "metadata"}`."""
    if not isinstance(body, dict):
        return "", ""
    return _text(body.get("reason")), _text(body.get("message")) or _text(body.get("msg"))


def task_id_of(answer: Any) -> str:
    """The `task_id` an async call answers with; "" when there is none."""
    value = answer.get("task_id") if isinstance(answer, dict) else None
    try:
        return _task_id(value)
    except CallbackParseError:
        return ""


def _json_object(raw: bytes | str) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise CallbackParseError("body is not JSON") from exc
    if not isinstance(body, dict):
        raise CallbackParseError("body is not a JSON object")
    return body


def _task_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CallbackParseError("no task id")
    task_id = value.strip()
    if len(task_id) > _MAX_TASK_ID_CHARS or not encodable(task_id):
        raise CallbackParseError("no task id")
    return task_id


def _outputs(result: dict[str, Any]) -> Iterator[ResultMedia]:
    """Files at the top of the payload (official) and under `extra` (the seed's shape)."""
    extra = result.get("extra")
    for holder in (result, extra if isinstance(extra, dict) else {}):
        for field, url_field, kind in _OUTPUTS:
            for item in _dicts(holder.get(field)):
                seconds = _seconds(item.get("duration"))
                for url in _urls(item.get(url_field)):
                    yield ResultMedia(url, kind, duration_s=seconds)


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _urls(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item.startswith(("https://", "http://")) and encodable(item):
            yield item


def _unique(items: Iterator[ResultMedia]) -> Iterator[ResultMedia]:
    seen: set[str] = set()
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            yield item


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        return None
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return value.strip().encode("utf-8", "replace").decode("utf-8")
