"""Pure parsing of Kie.ai callbacks and status answers: every shape in providers.md and the seed,
jobs and Suno alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.providers.base import (
    CallbackParseError,
    EarlyResult,
    ResultMedia,
    TaskOutcome,
    TaskStatus,
)
from bot.providers.kie.errors import kind_for_code, refused_by_content, withdrawn
from bot.providers.text import encodable, printable

SUCCESS_WORDS = frozenset({"success", "succeeded", "completed", "complete"})
FAILURE_WORDS = frozenset(
    {
        "fail",
        "failed",
        "error",
        "create_task_failed",
        "generate_audio_failed",
        "callback_exception",
        "sensitive_word_error",
    }
)
_TASK_ID_PATHS = (("taskId",), ("task_id",), ("id",), ("data", "taskId"), ("data", "task_id"))
_STATUS_PATHS = (("status",), ("data", "state"), ("data", "callbackType"), ("data", "status"))
_STAGE_PATHS = (("data", "callbackType"), ("data", "status"), ("data", "state"), ("status",))
# Stages worth telling a user about: Suno's lyrics written, first track ready (and record-info's
# names for them, which the status message reads the same way).
PROGRESS_STAGES = frozenset({"text", "first", "text_success", "first_success"})
# Suno's record-info says why a song failed in its status.
REFUSAL_WORDS = frozenset({"sensitive_word_error"})
_MAX_TASK_ID_CHARS = 200
_MAX_TITLE_CHARS = 200
_SHORT_NUMBER = re.compile(r"[0-9]{1,6}")


def parse_kie_callback(raw: bytes | str) -> TaskOutcome:
    """Parse a callback body; raises CallbackParseError for non-JSON or a missing task id."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise CallbackParseError("body is not JSON") from exc
    if not isinstance(body, dict):
        raise CallbackParseError("body is not a JSON object")
    return outcome_from_body(body)


def outcome_from_body(body: dict[str, Any]) -> TaskOutcome:
    """Read task id, status, results and error from a decoded callback or status body."""
    task_id = _first_string(body, _TASK_ID_PATHS)
    if not task_id or len(task_id) > _MAX_TASK_ID_CHARS or not encodable(task_id):
        raise CallbackParseError("no task id")
    status = _status(body)
    stage = next(iter(_strings_at(body, _STAGE_PATHS)), "").lower()
    stage = stage if stage in PROGRESS_STAGES else ""
    if status is TaskStatus.FAILED:
        code, message = _error(body)
        return TaskOutcome(
            task_id,
            status,
            (),
            printable(code),
            printable(message),
            _fail_kind(code, message, body),
        )
    results = tuple(_dedupe_results(_results(body)))
    if status is TaskStatus.SUCCEEDED and not results:
        return TaskOutcome(task_id, TaskStatus.FAILED, (), "no_result", "no result files")
    if status is TaskStatus.PENDING:
        return TaskOutcome(task_id, status, stage=printable(stage), early=early_tracks(body))
    return TaskOutcome(task_id, status, results)


def _fail_kind(code: str, message: str, body: dict[str, Any]) -> FailureKind:
    if withdrawn(_code(code), message):
        return FailureKind.WITHDRAWN
    if refused_by_content(message):
        return FailureKind.REJECTED
    if _SHORT_NUMBER.fullmatch(code):
        return kind_for_code(int(code))
    if any(w.lower() in REFUSAL_WORDS for w in _strings_at(body, _STATUS_PATHS)):
        return FailureKind.REJECTED
    return FailureKind.FAILED


def _status(body: dict[str, Any]) -> TaskStatus:
    code = _code(body.get("code"))
    if code is not None and code != 200:
        return TaskStatus.FAILED
    words = [w.lower() for w in _strings_at(body, _STATUS_PATHS)]
    if any(w in FAILURE_WORDS for w in words):
        return TaskStatus.FAILED
    if any(w in SUCCESS_WORDS for w in words):
        return TaskStatus.SUCCEEDED
    if not words and code == 200 and _has_any(_results(body)):
        return TaskStatus.SUCCEEDED
    return TaskStatus.PENDING


def _error(body: dict[str, Any]) -> tuple[str, str]:
    data = body.get("data")
    data = data if isinstance(data, dict) else {}
    envelope_code = _code(body.get("code"))
    failed_envelope = envelope_code is not None and envelope_code != 200
    code = _text(data.get("failCode")) or (str(envelope_code) if failed_envelope else "failed")
    message = (
        _text(data.get("failMsg")) or _text(data.get("errorMessage")) or _text(body.get("error"))
    )
    envelope_message = _text(body.get("msg")) or _text(body.get("message"))
    # A code-200 envelope around a failed task says "success": that explains nothing.
    if not message and (failed_envelope or "success" not in envelope_message.lower()):
        message = envelope_message
    return code, message


def _code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _SHORT_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _results(body: dict[str, Any]) -> Iterator[ResultMedia]:
    """Result files from every shape: URL lists (the model's own kind), videos, and Suno tracks
    (audio with title, length and cover; a track with only an image is an image)."""
    data = body.get("data")
    yield from _plain(_get(body, ("output", "image_urls")))
    yield from _plain(_get(body, ("output", "video_urls")), MediaKind.VIDEO)
    if not isinstance(data, dict):
        return
    yield from _plain(data.get("image_urls"))
    yield from _plain(data.get("resultUrls"))
    yield from _plain(_result_json_urls(data.get("resultJson")))
    yield from _plain(_get(data, ("info", "resultUrls")))
    for track in _dicts(data.get("data")):
        yield from _track(track, "audio_url", "image_url")
    # Suno's record-info answer: camelCase tracks under response.sunoData.
    for track in _dicts(_get(data, ("response", "sunoData"))):
        yield from _track(track, "audioUrl", "imageUrl")


def early_tracks(body: dict[str, Any]) -> tuple[EarlyResult, ...]:
    """Suno tracks whose `audio_url` is there before the song is complete (the `first` stage),
    by their place in Suno's list, which is their index among the final results; a track
    with only a stream URL is not ready."""
    data = body.get("data")
    if not isinstance(data, dict):
        return ()
    found: list[EarlyResult] = []
    lists = ((data.get("data"), "audio_url", "image_url"),
             (_get(data, ("response", "sunoData")), "audioUrl", "imageUrl"))  # fmt: skip
    for tracks, audio_field, image_field in lists:
        for index, track in enumerate(_dicts(tracks)):
            for media in _track(track, audio_field, image_field):
                if media.kind is MediaKind.AUDIO and encodable(media.url + media.cover_url):
                    found.append(EarlyResult(index, media))
    return tuple(found)


def _plain(value: Any, kind: MediaKind | None = None) -> Iterator[ResultMedia]:
    for url in _urls(value):
        yield ResultMedia(url, kind)


def _track(track: dict[str, Any], audio_field: str, image_field: str) -> Iterator[ResultMedia]:
    audio = next(_urls(track.get(audio_field)), "")
    image = next(_urls(track.get(image_field)), "")
    if not audio:
        yield from _plain(image)  # the seed's format B: an image job answered Suno-style
        return
    duration = track.get("duration")
    duration = duration if _is_number(duration) else None
    yield ResultMedia(
        audio,
        MediaKind.AUDIO,
        title=printable(_text(track.get("title")))[:_MAX_TITLE_CHARS],
        duration_s=float(duration) if duration is not None else None,
        cover_url=image,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e6


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))


def _result_json_urls(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value.get("resultUrls") if isinstance(value, dict) else None


def _urls(value: Any) -> Iterator[str]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and item.startswith(("https://", "http://")):
            yield item


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _strings_at(body: dict[str, Any], paths: Iterable[tuple[str, ...]]) -> list[str]:
    return [v for v in (_get(body, p) for p in paths) if isinstance(v, str) and v]


def _first_string(body: dict[str, Any], paths: Iterable[tuple[str, ...]]) -> str:
    for path in paths:
        value = _get(body, path)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip() if isinstance(value, str | int) else ""


def _dedupe_results(items: Iterable[ResultMedia]) -> Iterator[ResultMedia]:
    seen: set[str] = set()
    for item in items:
        if item.url not in seen and encodable(item.url) and encodable(item.cover_url):
            seen.add(item.url)
            yield item


def _has_any(items: Iterable[object]) -> bool:
    return any(True for _ in items)
