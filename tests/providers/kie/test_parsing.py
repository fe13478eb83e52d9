"""Every Kie callback / recordInfo shape from providers.md and the seed, parsed to a TaskOutcome."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.errors import FailureKind
from bot.media.kinds import MediaKind
from bot.providers.base import CallbackParseError, EarlyResult, ResultMedia, TaskOutcome, TaskStatus
from bot.providers.kie.parsing import outcome_from_body, parse_kie_callback

OK = TaskStatus.SUCCEEDED
PENDING = TaskStatus.PENDING
FAILED = TaskStatus.FAILED
IMG = "https://tempfile.aiquickdraw.com/r/a.png"
IMG2 = "https://tempfile.aiquickdraw.com/r/b.png"
AUDIO = "https://cdn.suno.example/track1.mp3"
COVER = "https://cdn.suno.example/track1.jpg"
AUDIO2 = "https://cdn.suno.example/track2.mp3"
COVER2 = "https://cdn.suno.example/track2.jpg"


def _record(state: str, **extra: Any) -> dict[str, Any]:
    """A recordInfo `data` object in Kie's documented shape."""
    data: dict[str, Any] = {
        "taskId": "task_nano-banana-pro_1765178625768",
        "model": "nano-banana-pro",
        "state": state,
        "param": '{"model":"nano-banana-pro"}',
        "resultJson": "",
        "failCode": "",
        "failMsg": "",
        "costTime": 15,
        "completeTime": 1765178640000,
        "createTime": 1765178625768,
    }
    data.update(extra)
    return data


def _suno(callback_type: str, tracks: Any, code: int = 200, msg: str = "ok") -> dict[str, Any]:
    return {
        "code": code,
        "msg": msg,
        "data": {"callbackType": callback_type, "task_id": "suno-1", "data": tracks},
    }


TRACKS = [
    {"id": "t1", "audio_url": AUDIO, "stream_audio_url": "https://s/1", "image_url": COVER,
     "prompt": "p", "model_name": "chirp-v5", "title": "x", "tags": "pop", "duration": 198.4},
    {"id": "t2", "audio_url": AUDIO2, "image_url": COVER2, "title": "y"},
]  # fmt: skip

TASK = "task_nano-banana-pro_1765178625768"

# id, body, expected outcome
SHAPES: list[tuple[str, Any, TaskOutcome]] = [
    (
        "seed-format-A",
        {"taskId": "a1", "status": "completed", "output": {"image_urls": [IMG]}},
        TaskOutcome("a1", OK, (IMG,)),
    ),
    (
        "seed-format-B-suno-complete",
        _suno("complete", TRACKS, msg="All generated successfully."),
        TaskOutcome("suno-1", OK, (AUDIO, AUDIO2)),
    ),
    (
        "seed-format-C-resultJson-string",
        {
            "code": 200,
            "data": {
                "taskId": "c1",
                "state": "success",
                "resultJson": json.dumps({"resultUrls": [IMG]}),
            },
        },
        TaskOutcome("c1", OK, (IMG,)),
    ),
    (
        "kie-success-envelope",
        {
            "code": 200,
            "msg": "Playground task completed successfully.",
            "data": _record("success", resultJson=json.dumps({"resultUrls": [IMG, IMG2]})),
        },
        TaskOutcome(TASK, OK, (IMG, IMG2)),
    ),
    (
        "kie-failure-envelope-501",
        {
            "code": 501,
            "msg": "Playground task failed.",
            "data": _record("fail", failCode="500", failMsg="Internal server error"),
        },
        TaskOutcome(TASK, FAILED, (), "500", "Internal server error"),
    ),
    (
        "data-info-resultUrls",
        {"code": 200, "msg": "success", "data": {"taskId": "i1", "info": {"resultUrls": [IMG]}}},
        TaskOutcome("i1", OK, (IMG,)),
    ),
    (
        "data-image_urls",
        {"code": 200, "data": {"taskId": "d1", "image_urls": [IMG]}},
        TaskOutcome("d1", OK, (IMG,)),
    ),
    (
        "data-resultUrls",
        {"code": 200, "data": {"taskId": "d2", "state": "success", "resultUrls": [IMG]}},
        TaskOutcome("d2", OK, (IMG,)),
    ),
    (
        "output-video_urls",
        {"taskId": "v1", "status": "success", "output": {"video_urls": [IMG]}},
        TaskOutcome("v1", OK, (IMG,)),
    ),
    (
        "top-level-id",
        {"id": "top-id", "status": "success", "output": {"image_urls": [IMG]}},
        TaskOutcome("top-id", OK, (IMG,)),
    ),
    (
        "data-task_id",
        {"code": 200, "data": {"task_id": "snake", "state": "success", "resultUrls": [IMG]}},
        TaskOutcome("snake", OK, (IMG,)),
    ),
    (
        "suno-text-stage-pending",
        _suno("text", [{"id": "t1", "title": "x", "audio_url": ""}]),
        TaskOutcome("suno-1", PENDING),
    ),
    (
        "suno-first-stage-pending-even-with-urls",
        _suno("first", TRACKS[:1]),
        TaskOutcome("suno-1", PENDING),
    ),
    (
        "suno-error-400-data-null",
        _suno("error", None, code=400, msg="Lyrics contain sensitive words."),
        TaskOutcome("suno-1", FAILED, (), "400", "Lyrics contain sensitive words."),
    ),
    (
        "suno-error-531-data-empty",
        _suno("error", [], code=531, msg="Generation failed, credits refunded."),
        TaskOutcome("suno-1", FAILED, (), "531", "Generation failed, credits refunded."),
    ),
    (
        "recordInfo-waiting",
        {"code": 200, "msg": "success", "data": _record("waiting")},
        TaskOutcome(TASK, PENDING),
    ),
    (
        "recordInfo-queuing",
        {"code": 200, "msg": "success", "data": _record("queuing")},
        TaskOutcome(TASK, PENDING),
    ),
    (
        "recordInfo-generating-ignores-early-urls",
        {
            "code": 200,
            "msg": "success",
            "data": _record("generating", resultJson=json.dumps({"resultUrls": [IMG]})),
        },
        TaskOutcome(TASK, PENDING),
    ),
    (
        "recordInfo-code-200-no-state-no-urls",
        {"code": 200, "data": {"taskId": "p1"}},
        TaskOutcome("p1", PENDING),
    ),
    (
        "success-without-any-url",
        {"code": 200, "data": _record("success", resultJson=json.dumps({"resultUrls": []}))},
        TaskOutcome(TASK, FAILED, (), "no_result", "no result files"),
    ),
    (
        "format-A-completed-without-output",
        {"taskId": "a2", "status": "completed"},
        TaskOutcome("a2", FAILED, (), "no_result", "no result files"),
    ),
    (
        "non-200-code-wins-over-success-state",
        {
            "code": 422,
            "msg": "prompt rejected",
            "data": {"taskId": "n1", "state": "success", "resultUrls": [IMG]},
        },
        TaskOutcome("n1", FAILED, (), "422", "prompt rejected"),
    ),
    (
        "non-200-code-data-null-top-level-taskId",
        {"code": 402, "msg": "Insufficient credits", "taskId": "n2", "data": None},
        TaskOutcome("n2", FAILED, (), "402", "Insufficient credits"),
    ),
    (
        "status-failed-without-any-code",
        {"taskId": "f0", "status": "failed"},
        TaskOutcome("f0", FAILED, (), "failed", ""),
    ),
    (
        "uppercase-status-word",
        {"taskId": "u1", "status": "SUCCESS", "output": {"image_urls": [IMG]}},
        TaskOutcome("u1", OK, (IMG,)),
    ),
    (
        "failMsg-beats-msg-and-message",
        {
            "code": 501,
            "msg": "from msg",
            "message": "from message",
            "data": {"taskId": "m1", "state": "fail", "failCode": "422", "failMsg": "from failMsg"},
        },
        TaskOutcome("m1", FAILED, (), "422", "from failMsg"),
    ),
    (
        "msg-when-failMsg-blank",
        {
            "code": 501,
            "msg": "from msg",
            "message": "from message",
            "data": {"taskId": "m2", "state": "fail", "failCode": "", "failMsg": "  "},
        },
        TaskOutcome("m2", FAILED, (), "501", "from msg"),
    ),
    (
        "message-when-no-msg",
        {"code": 500, "message": "from message", "data": {"taskId": "m3", "state": "fail"}},
        TaskOutcome("m3", FAILED, (), "500", "from message"),
    ),
    (
        "numeric-failCode",
        {"code": 501, "data": {"taskId": "m4", "state": "fail", "failCode": 422, "failMsg": "x"}},
        TaskOutcome("m4", FAILED, (), "422", "x"),
    ),
    (
        "duplicate-urls-deduped-in-order",
        {
            "taskId": "dd",
            "status": "success",
            "output": {"image_urls": [IMG2, IMG, IMG2]},
            "data": {"image_urls": [IMG, IMG2], "resultJson": json.dumps({"resultUrls": [IMG]})},
        },
        TaskOutcome("dd", OK, (IMG2, IMG)),
    ),
    (
        "non-http-strings-ignored",
        {
            "taskId": "nh",
            "status": "success",
            "output": {
                "image_urls": [
                    "ftp://x/y.png",
                    "javascript:alert(1)",
                    "/relative.png",
                    "",
                    None,
                    7,
                    {"url": IMG2},
                    "data:image/png;base64,AAAA",
                    IMG,
                ]
            },
        },
        TaskOutcome("nh", OK, (IMG,)),
    ),
    (
        "only-non-http-urls-is-no-result",
        {"taskId": "nh2", "status": "success", "output": {"image_urls": ["file:///etc/passwd"]}},
        TaskOutcome("nh2", FAILED, (), "no_result", "no result files"),
    ),
    (
        "url-list-given-as-single-string",
        {"taskId": "ss", "status": "success", "output": {"image_urls": IMG}},
        TaskOutcome("ss", OK, (IMG,)),
    ),
    (
        "resultJson-not-valid-json",
        {"code": 200, "data": _record("success", resultJson='{"resultUrls": ["https://x')},
        TaskOutcome(TASK, FAILED, (), "no_result", "no result files"),
    ),
    (
        "resultJson-json-but-a-list",
        {"code": 200, "data": _record("success", resultJson=json.dumps([IMG]))},
        TaskOutcome(TASK, FAILED, (), "no_result", "no result files"),
    ),
    (
        "resultJson-already-a-dict",
        {"code": 200, "data": _record("success", resultJson={"resultUrls": [IMG]})},
        TaskOutcome(TASK, OK, (IMG,)),
    ),
    (
        "numeric-task-id",
        {"code": 200, "data": {"taskId": 1765178625768, "state": "success", "resultUrls": [IMG]}},
        TaskOutcome("1765178625768", OK, (IMG,)),
    ),
    (
        "task-id-surrounding-space-stripped",
        {"taskId": "  spaced  ", "status": "success", "output": {"image_urls": [IMG]}},
        TaskOutcome("spaced", OK, (IMG,)),
    ),
    (
        "blank-top-level-task-id-falls-back-to-data",
        {"taskId": "   ", "code": 200, "data": {"taskId": "inner", "state": "waiting"}},
        TaskOutcome("inner", PENDING),
    ),
    (
        "task-id-of-exactly-200-chars",
        {"taskId": "t" * 200, "status": "success", "output": {"image_urls": [IMG]}},
        TaskOutcome("t" * 200, OK, (IMG,)),
    ),
]


@pytest.mark.parametrize(("body", "expected"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES])
def test_shape_parses_to_exact_outcome(body: Any, expected: TaskOutcome) -> None:
    raw = json.dumps(body)
    assert view(parse_kie_callback(raw)) == view(expected)
    assert view(parse_kie_callback(raw.encode())) == view(expected)
    assert view(outcome_from_body(body)) == view(expected)


def view(outcome: TaskOutcome) -> tuple[object, ...]:
    """What the table pins down: id, status, result URLs in order, error code and message
    (the table writes results as bare URLs)."""
    urls = tuple(r if isinstance(r, str) else r.url for r in outcome.results)
    return (outcome.task_id, outcome.status, urls, outcome.error_code, outcome.error_message)


@pytest.mark.parametrize(
    ("body", "final"),
    [
        ({"taskId": "a", "status": "completed", "output": {"image_urls": [IMG]}}, True),
        ({"code": 200, "data": _record("generating")}, False),
        ({"code": 501, "data": _record("fail")}, True),
    ],
    ids=["success", "pending", "failed"],
)
def test_final_flag(body: dict[str, Any], final: bool) -> None:
    assert outcome_from_body(body).final is final


MALFORMED: list[tuple[str, bytes | str]] = [
    ("not-json", "this is not json"),
    ("truncated-json", '{"taskId": "a"'),
    ("empty-body", b""),
    ("json-array", json.dumps([{"taskId": "a", "status": "completed"}])),
    ("json-string", json.dumps("taskId")),
    ("json-number", "42"),
    ("json-null", "null"),
    ("empty-object", "{}"),
    ("task-id-empty", json.dumps({"taskId": "", "status": "completed"})),
    ("task-id-whitespace", json.dumps({"taskId": " \t\n ", "status": "completed"})),
    ("task-id-201-chars", json.dumps({"taskId": "t" * 201, "status": "completed"})),
    ("task-id-long-after-strip", json.dumps({"taskId": " " + "t" * 201 + " "})),
    ("task-id-bool", json.dumps({"taskId": True, "status": "completed"})),
    ("task-id-list", json.dumps({"taskId": ["a"], "status": "completed"})),
    ("task-id-float", json.dumps({"taskId": 1.5, "status": "completed"})),
    ("suno-error-outer-data-null", json.dumps({"code": 531, "msg": "failed", "data": None})),
    ("invalid-utf8", b'{"taskId": "\xff\xfe\xfa", "status": "completed"}'),
    ("invalid-utf8-lone-continuation", b'{"taskId": "a\x80"}'),
]


@pytest.mark.parametrize("raw", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_body_raises_callback_parse_error(raw: bytes | str) -> None:
    with pytest.raises(CallbackParseError):
        parse_kie_callback(raw)


def test_callback_parse_error_is_a_value_error() -> None:
    assert issubclass(CallbackParseError, ValueError)


def test_suno_error_callback_type_under_code_200_is_failed() -> None:
    outcome = outcome_from_body(_suno("error", None, code=200, msg="oops"))
    assert (outcome.status, outcome.result_urls, outcome.error_message) == (FAILED, (), "oops")


@pytest.mark.parametrize(
    "body",
    [
        {"code": 200, "data": _record("fail")},
        {"code": 200, "msg": "success", "data": _record("fail")},
    ],
    ids=["as-record_info-wraps-it", "with-envelope-msg"],
)
def test_failed_task_never_reports_success_code_or_text(body: dict[str, Any]) -> None:
    outcome = outcome_from_body(body)
    assert outcome.status is FAILED
    assert outcome.error_code != "200"
    assert outcome.error_message != "success"


def test_suno_record_info_success_reads_camel_case_tracks() -> None:
    body = {
        "code": 200,
        "msg": "success",
        "data": {
            "taskId": "suno-2",
            "status": "SUCCESS",
            "response": {"sunoData": [{"audioUrl": AUDIO, "imageUrl": COVER, "title": "x"}]},
        },
    }
    [track] = outcome_from_body(body).results
    assert track == ResultMedia(AUDIO, MediaKind.AUDIO, title="x", cover_url=COVER)


def test_suno_tracks_are_audio_with_title_length_and_cover() -> None:
    outcome = outcome_from_body(_suno("complete", TRACKS))
    assert outcome.results == (
        ResultMedia(AUDIO, MediaKind.AUDIO, title="x", duration_s=198.4, cover_url=COVER),
        ResultMedia(AUDIO2, MediaKind.AUDIO, title="y", cover_url=COVER2),
    )


# A real `first` callback: the first track has its audio_url, the second only a stream URL, an
# empty audio_url and no duration yet.
FIRST_STAGE = [
    TRACKS[0],
    {"id": "t2", "audio_url": "", "stream_audio_url": "https://s/2", "image_url": COVER2,
     "title": "y", "duration": None},
]  # fmt: skip


def test_the_first_stage_carries_the_track_that_is_ready_at_its_final_index() -> None:
    outcome = outcome_from_body(_suno("first", FIRST_STAGE))
    assert (outcome.status, outcome.stage) == (PENDING, "first")
    assert outcome.early == (
        EarlyResult(0, ResultMedia(AUDIO, MediaKind.AUDIO, title="x", duration_s=198.4,
                                   cover_url=COVER)),
    )  # fmt: skip
    final = outcome_from_body(_suno("complete", TRACKS))
    assert final.results[0] == outcome.early[0].media  # the same index, the same track


def test_record_info_first_success_carries_the_ready_track_too() -> None:
    tracks = [
        {"id": "t1", "audioUrl": AUDIO, "imageUrl": COVER, "title": "x"},
        {"id": "t2", "audioUrl": "", "streamAudioUrl": "https://s/2", "imageUrl": COVER2},
    ]
    body = {"code": 200, "data": {"taskId": "s", "status": "FIRST_SUCCESS",
                                  "response": {"sunoData": tracks}}}  # fmt: skip
    [early] = outcome_from_body(body).early
    assert (early.index, early.media.url) == (0, AUDIO)


def test_no_early_results_before_any_audio_or_once_final() -> None:
    only_stream = [{**t, "audio_url": ""} for t in FIRST_STAGE]
    assert outcome_from_body(_suno("text", only_stream)).early == ()
    assert outcome_from_body(_suno("complete", TRACKS)).early == ()


def test_suno_stage_is_kept_for_progress() -> None:
    assert outcome_from_body(_suno("first", TRACKS[:1])).stage == "first"
    assert outcome_from_body(_suno("text", [])).stage == "text"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (_suno("error", None, code=400, msg="sensitive"), FailureKind.REJECTED),
        ({"code": 501, "data": _record("fail", failCode="422")}, FailureKind.REJECTED),
        ({"code": 501, "data": _record("fail", failCode="500")}, FailureKind.FAILED),
        ({"code": 402, "msg": "no credits", "taskId": "n"}, FailureKind.NO_CREDITS),
        ({"code": 200, "data": {"taskId": "s", "status": "SENSITIVE_WORD_ERROR"}},
         FailureKind.REJECTED),
        # Kie reports some content refusals as failCode "500": the message says what it is.
        ({"code": 501, "data": _record("fail", failCode="500",
          failMsg="Inappropriate content, please try another prompt.")}, FailureKind.REJECTED),
        ({"code": 501, "data": _record("fail", failCode="500",
          failMsg="The prompt violates our content policy")}, FailureKind.REJECTED),
        ({"code": 501, "data": _record("fail", failCode="500", failMsg="internal error")},
         FailureKind.FAILED),
        # A model Kie no longer offers: never a refusal, whatever the code.
        ({"code": 501, "data": _record("fail", failCode="422",
          failMsg="The model is not supported")}, FailureKind.WITHDRAWN),
        ({"code": 501, "data": _record("fail", failCode="500",
          failMsg="MODEL NAME NOT SUPPORTED")}, FailureKind.WITHDRAWN),
        ({"code": 501, "data": _record("fail", failCode="505", failMsg="")},
         FailureKind.WITHDRAWN),
    ],
)  # fmt: skip
def test_failures_carry_kies_reading(body: dict[str, Any], kind: FailureKind) -> None:
    assert outcome_from_body(body).fail_kind is kind


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("PENDING", PENDING),
        ("TEXT_SUCCESS", PENDING),
        ("FIRST_SUCCESS", PENDING),
        ("CREATE_TASK_FAILED", FAILED),
        ("GENERATE_AUDIO_FAILED", FAILED),
        ("CALLBACK_EXCEPTION", FAILED),
        ("SENSITIVE_WORD_ERROR", FAILED),
    ],
)
def test_suno_record_info_statuses(status: str, expected: TaskStatus) -> None:
    body = {"code": 200, "msg": "success", "data": {"taskId": "s", "status": status}}
    assert outcome_from_body(body).status is expected
