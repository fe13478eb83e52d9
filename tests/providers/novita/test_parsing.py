"""Every Novita webhook / task-result shape from providers.md and the seed, parsed to a
TaskOutcome; and the synchronous Seedream answer and error bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.providers.base import CallbackParseError, ResultMedia, TaskOutcome, TaskStatus
from bot.providers.novita.parsing import (
    IGNORED,
    error_fields,
    outcome_from_result,
    outcome_from_sync,
    parse_webhook,
    task_id_of,
)

TASK = "abc123-def456"
IMG = "https://cdn.novita.ai/out/a.jpeg"
IMG2 = "https://cdn.novita.ai/out/b.jpeg"
VID = "https://cdn.novita.ai/out/v.mp4"


def event(payload: Any, event_type: str = "ASYNC_TASK_RESULT") -> bytes:
    return json.dumps({"event_type": event_type, "payload": payload}).encode()


# The seed's webhook (section 4): outputs under payload.extra.
SEED_IMAGE = {
    "task": {"task_id": TASK, "status": "TASK_STATUS_SUCCEED",
             "created_at": 1234567890, "finished_at": 1234567899},
    "extra": {"images": [{"image_url": IMG, "image_type": "jpeg", "image_url_ttl": 3600}]},
}  # fmt: skip
SEED_VIDEO = {
    "task": {"task_id": TASK, "status": "TASK_STATUS_SUCCEED"},
    "extra": {"videos": [{"video_url": VID, "video_type": "mp4", "video_url_ttl": 3600,
                          "duration": 5.0}]},
}  # fmt: skip
# providers.md: the official payload has the task-result schema.
OFFICIAL_IMAGE = {
    "task": {"task_id": TASK, "task_type": "TXT_TO_IMG", "status": "TASK_STATUS_SUCCEED",
             "reason": "", "eta": 0, "progress_percent": 100},
    "images": [{"image_url": IMG, "image_url_ttl": 3600, "image_type": "jpeg"},
               {"image_url": IMG2, "image_url_ttl": 3600, "image_type": "jpeg"}],
    "videos": [], "audios": [], "extra": {},
}  # fmt: skip
OFFICIAL_VIDEO = {
    "task": {"task_id": TASK, "task_type": "IMG_TO_VIDEO", "status": "TASK_STATUS_SUCCEED"},
    "images": [],
    "videos": [{"video_url": VID, "video_url_ttl": "3600", "video_type": "mp4"}],
}  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "results"),
    [
        (SEED_IMAGE, (ResultMedia(IMG, MediaKind.IMAGE),)),
        (SEED_VIDEO, (ResultMedia(VID, MediaKind.VIDEO, duration_s=5.0),)),
        (OFFICIAL_IMAGE, (ResultMedia(IMG, MediaKind.IMAGE), ResultMedia(IMG2, MediaKind.IMAGE))),
        (OFFICIAL_VIDEO, (ResultMedia(VID, MediaKind.VIDEO),)),
    ],
    ids=["seed-image", "seed-video", "official-images", "official-video"],
)
def test_a_finished_task_in_either_shape_gives_its_files(
    payload: dict[str, Any], results: tuple[ResultMedia, ...]
) -> None:
    assert parse_webhook(event(payload)) == TaskOutcome(TASK, TaskStatus.SUCCEEDED, results)


def test_the_same_file_in_both_places_counts_once() -> None:
    payload = {**OFFICIAL_IMAGE, "extra": {"images": OFFICIAL_IMAGE["images"]}}
    assert parse_webhook(event(payload)).result_urls == (IMG, IMG2)


def test_a_failure_carries_the_reason_for_the_user() -> None:
    payload = {"task": {"task_id": TASK, "status": "TASK_STATUS_FAILED",
                        "reason": "prompt violates the content policy"}}  # fmt: skip
    outcome = parse_webhook(event(payload))
    assert outcome.status is TaskStatus.FAILED
    assert outcome.error_message == "prompt violates the content policy"
    assert outcome.fail_kind is FailureKind.REJECTED


def test_a_failure_without_a_reason_is_a_plain_failure() -> None:
    outcome = parse_webhook(event({"task": {"task_id": TASK, "status": "TASK_STATUS_FAILED"}}))
    assert (outcome.status, outcome.fail_kind) == (TaskStatus.FAILED, FailureKind.FAILED)


def test_success_without_files_is_a_failure() -> None:
    outcome = parse_webhook(event({"task": {"task_id": TASK, "status": "TASK_STATUS_SUCCEED"}}))
    assert (outcome.status, outcome.error_code) == (TaskStatus.FAILED, "no_result")


@pytest.mark.parametrize("status", ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "", None])
def test_unfinished_tasks_are_pending(status: str | None) -> None:
    payload = {"task": {"task_id": TASK, "status": status, "progress_percent": 40}}
    assert parse_webhook(event(payload)) == TaskOutcome(TASK, TaskStatus.PENDING)


@pytest.mark.parametrize("event_type", ["TASK_PROGRESS", "", "async_task_result"])
def test_other_event_types_change_nothing(event_type: str) -> None:
    outcome = parse_webhook(event(OFFICIAL_IMAGE, event_type))
    assert outcome == IGNORED and not outcome.final
    assert parse_webhook(b'{"hello": "world"}') == IGNORED


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b'"text"',
        event(None),
        event({"task": {"status": "TASK_STATUS_SUCCEED"}}),
        event({"task": {"task_id": "", "status": "TASK_STATUS_SUCCEED"}}),
        event({"task": {"task_id": 42, "status": "TASK_STATUS_SUCCEED"}}),
        event({"task": {"task_id": "x" * 201, "status": "TASK_STATUS_SUCCEED"}}),
        b'{"event_type":"ASYNC_TASK_RESULT","payload":{"task":{"task_id":"\\ud800"}}}',
    ],
)
def test_results_naming_no_usable_task_are_refused(raw: bytes) -> None:
    with pytest.raises(CallbackParseError):
        parse_webhook(raw)


def test_only_web_urls_are_taken() -> None:
    payload = {
        "task": {"task_id": TASK, "status": "TASK_STATUS_SUCCEED"},
        "images": [{"image_url": "file:///etc/passwd"}, {"image_url": 7}, "junk",
                   {"image_url": IMG}],
    }  # fmt: skip
    assert parse_webhook(event(payload)).result_urls == (IMG,)


def test_a_task_result_answer_reads_like_a_webhook_payload() -> None:
    answer = {
        "task": {"task_id": TASK, "task_type": "IMG_TO_VIDEO", "status": "TASK_STATUS_SUCCEED",
                 "reason": "", "eta": 0, "progress_percent": 100},
        "images": [], "videos": [{"video_url": VID, "video_url_ttl": 3600, "video_type": "mp4"}],
        "audios": [], "extra": {"seed": "1"},
    }  # fmt: skip
    assert outcome_from_result(answer).result_urls == (VID,)


def test_the_synchronous_answer_gives_its_images() -> None:
    answer = {"image_urls": [IMG, IMG], "binary_data_base64": []}
    assert outcome_from_sync("sync-1", answer) == TaskOutcome(
        "sync-1", TaskStatus.SUCCEEDED, (ResultMedia(IMG, MediaKind.IMAGE),)
    )
    assert outcome_from_sync("sync-1", {"image_urls": []}).status is TaskStatus.FAILED
    assert outcome_from_sync("sync-1", None).status is TaskStatus.FAILED


def test_error_bodies_and_task_ids() -> None:
    body = {"code": 403, "reason": "NOT_ENOUGH_BALANCE", "message": "balance too low",
            "metadata": {}}  # fmt: skip
    assert error_fields(body) == ("NOT_ENOUGH_BALANCE", "balance too low")
    assert error_fields("<html>") == ("", "")
    assert task_id_of({"task_id": TASK}) == TASK
    assert task_id_of({"task_id": ""}) == task_id_of([]) == ""
