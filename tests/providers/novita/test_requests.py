"""Novita request bodies built from the registry's fields, its limits checked before any call,
and what its HTTP statuses mean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.errors import FailureKind, ProviderError
from bot.models import REGISTRY
from bot.models.requests import ModelInputs, provider_fields
from bot.models.spec import Capability, ModelSpec
from bot.providers.novita.errors import kind_for, novita_error
from bot.providers.novita.requests import (
    kling_form_fields,
    seedream_sync_body,
    txt2img_body,
)

HOOK = "https://photobot.example.com/api/novita/webhook?job=j1&token=t"
DEFAULTS = {"aspect_ratio": "auto", "video_length": "short"}


def novita(capability: Capability) -> ModelSpec:
    return REGISTRY.candidates(capability, providers=["novita"])[0]


def fields(capability: Capability, prompt: str = "a fox", **settings: str) -> dict[str, Any]:
    spec = novita(capability)
    inputs = ModelInputs(texts={"prompt": prompt})
    return provider_fields(spec, inputs, {**DEFAULTS, **settings})


def test_async_txt2img_wraps_the_generation_fields_and_names_the_webhook() -> None:
    spec = novita(Capability.TEXT_TO_IMAGE)
    body = txt2img_body(spec, fields(Capability.TEXT_TO_IMAGE), HOOK)
    assert body == {
        "extra": {"response_image_type": "jpeg", "webhook": {"url": HOOK}},
        "request": {"model_name": "seedream_3_0", "prompt": "a fox",
                    "negative_prompt": "blurry, low quality", "width": 720, "height": 1280,
                    "image_num": 1, "guidance_scale": 2.5, "steps": 20, "seed": -1},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("ratio", "size"),
    [("auto", (720, 1280)), ("1:1", (1024, 1024)), ("16:9", (1280, 720)), ("3:4", (864, 1152))],
)
def test_the_users_aspect_ratio_sets_width_and_height(ratio: str, size: tuple[int, int]) -> None:
    spec = novita(Capability.TEXT_TO_IMAGE)
    body = txt2img_body(spec, fields(Capability.TEXT_TO_IMAGE, aspect_ratio=ratio), HOOK)
    assert (body["request"]["width"], body["request"]["height"]) == size
    sync = seedream_sync_body(spec, fields(Capability.TEXT_TO_IMAGE, aspect_ratio=ratio))
    assert sync["size"] == f"{size[0]}x{size[1]}"


@pytest.mark.parametrize(
    ("mode", "block"),
    [("succeed", {"enabled": True, "return_task_status": "TASK_STATUS_SUCCEED"}),
     ("fail", {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"}),
     ("off", None)],
)  # fmt: skip
def test_test_mode_rides_in_the_webhook_block(mode: str, block: dict[str, Any] | None) -> None:
    t2i = txt2img_body(novita(Capability.TEXT_TO_IMAGE), fields(Capability.TEXT_TO_IMAGE),
                       HOOK, mode)  # fmt: skip
    i2v = kling_form_fields(
        novita(Capability.IMAGE_TO_VIDEO), fields(Capability.IMAGE_TO_VIDEO), HOOK, mode
    )
    for webhook in (t2i["extra"]["webhook"], json.loads(i2v["extra"])["webhook"]):
        assert webhook.get("test_mode") == block
        assert webhook["url"] == HOOK


def test_the_synchronous_body_follows_novitas_reference() -> None:
    spec = novita(Capability.TEXT_TO_IMAGE)
    assert seedream_sync_body(spec, fields(Capability.TEXT_TO_IMAGE)) == {
        "prompt": "a fox", "model": "seedream-3-0-t2i-250415", "response_format": "url",
        "size": "720x1280", "watermark": False, "seed": -1, "guidance_scale": 2.5,
    }  # fmt: skip


@pytest.mark.parametrize(("length", "seconds"), [("short", "5"), ("long", "10")])
def test_kling_form_fields_are_strings_with_extra_as_json(length: str, seconds: str) -> None:
    spec = novita(Capability.IMAGE_TO_VIDEO)
    form = kling_form_fields(
        spec, {**fields(Capability.IMAGE_TO_VIDEO, video_length=length), "image": "https://x"},
        HOOK,
    )  # fmt: skip
    assert form == {
        "prompt": "a fox", "duration": seconds, "negative_prompt": "blurry, distorted",
        "cfg_scale": "0.5", "extra": json.dumps({"webhook": {"url": HOOK}}),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": "300x300"}, "512 to 2048"),
        ({"size": "4096x1024"}, "512 to 2048"),
        ({"size": "big"}, "WIDTHxHEIGHT"),
        ({"image_num": 9}, "image_num"),
        ({"image_num": 0}, "image_num"),
        ({"prompt": "p" * 2001}, "over 2000"),
        ({"prompt": ""}, "required"),
    ],
)
def test_seedream_limits_refuse_before_any_call(change: dict[str, Any], message: str) -> None:
    spec = novita(Capability.TEXT_TO_IMAGE)
    with pytest.raises(ProviderError) as caught:
        txt2img_body(spec, {**fields(Capability.TEXT_TO_IMAGE), **change}, HOOK)
    assert caught.value.kind is FailureKind.REJECTED and message in caught.value.message


@pytest.mark.parametrize(
    ("change", "message"), [({"duration": "7"}, "5 or 10"), ({"prompt": "p" * 2501}, "over 2500")]
)
def test_kling_limits_refuse_before_any_call(change: dict[str, Any], message: str) -> None:
    spec = novita(Capability.IMAGE_TO_VIDEO)
    with pytest.raises(ProviderError) as caught:
        kling_form_fields(spec, {**fields(Capability.IMAGE_TO_VIDEO), **change}, HOOK)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("status", "reason", "kind", "retryable"),
    [
        (401, "", FailureKind.MISCONFIGURED, False),
        (403, "", FailureKind.NO_CREDITS, False),
        (400, "NOT_ENOUGH_BALANCE", FailureKind.NO_CREDITS, False),
        (400, "INVALID_REQUEST_BODY", FailureKind.REJECTED, False),
        (429, "RATE_LIMIT_EXCEEDED", FailureKind.BUSY, True),
        (503, "", FailureKind.BUSY, True),
        (504, "", FailureKind.BUSY, True),
        (0, "", FailureKind.BUSY, True),
        (500, "", FailureKind.FAILED, True),
        (404, "", FailureKind.FAILED, False),
    ],
)
def test_statuses_and_reasons_map_to_failure_kinds(
    status: int, reason: str, kind: FailureKind, retryable: bool
) -> None:
    assert kind_for(status, reason) is kind
    error = novita_error(status, "said no", reason)
    assert (error.kind, error.retryable, error.provider) == (kind, retryable, "novita")


def test_polling_mode_names_no_webhook_and_no_test_mode() -> None:
    spec = novita(Capability.TEXT_TO_IMAGE)
    body = txt2img_body(spec, fields(Capability.TEXT_TO_IMAGE), None, test_mode="succeed")
    assert body["extra"] == {"response_image_type": "jpeg"}  # the webhook is optional
    kling = novita(Capability.IMAGE_TO_VIDEO)
    form = kling_form_fields(kling, fields(Capability.IMAGE_TO_VIDEO), None)
    assert json.loads(form["extra"]) == {}
