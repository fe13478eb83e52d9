"""Novita's request bodies (pure): async txt2img, synchronous Seedream, and Kling's multipart
fields; each checks Novita's limits first, so a bad request never costs a call."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bot.models.spec import ModelSpec
from bot.providers.novita.errors import novita_error

SEEDREAM = "seedream"  # text->image: async txt2img, or the synchronous endpoint
KLING_I2V = "kling-i2v"  # image->video by file upload
# The synchronous endpoint serves one model version only (Novita's reference).
SEEDREAM_SYNC_MODEL = "seedream-3-0-t2i-250415"
TEST_MODES = {"succeed": "TASK_STATUS_SUCCEED", "fail": "TASK_STATUS_FAILED"}
MIN_SIDE_PX, MAX_SIDE_PX = 512, 2048  # Seedream's output size range
MAX_IMAGE_NUM = 4
DURATIONS = frozenset({"5", "10"})
_SIZE = re.compile(r"([0-9]{3,4})x([0-9]{3,4})")
_GENERATION = ("prompt", "negative_prompt", "image_num", "guidance_scale", "steps", "seed")


def txt2img_body(
    spec: ModelSpec, fields: Mapping[str, Any], webhook_url: str | None, test_mode: str = "off"
) -> dict[str, Any]:
    """`POST /v3/async/txt2img`, in the official shape: generation fields inside `request`."""
    check_text_limits(spec, fields)
    width, height = size_of(fields)
    image_num = int(fields.get("image_num", 1))
    if not 1 <= image_num <= MAX_IMAGE_NUM:
        raise novita_error(400, f"image_num must be 1 to {MAX_IMAGE_NUM}")
    request = {k: fields[k] for k in _GENERATION if k in fields}
    request.update(model_name=spec.key, width=width, height=height, image_num=image_num)
    extra = {"response_image_type": "jpeg", **webhook_extra(webhook_url, test_mode)}
    return {"extra": extra, "request": request}


def seedream_sync_body(spec: ModelSpec, fields: Mapping[str, Any]) -> dict[str, Any]:
    """`POST /v3/seedream-3-0-txt2img`: one image, its URL in the answer, no watermark."""
    check_text_limits(spec, fields)
    width, height = size_of(fields)
    body: dict[str, Any] = {
        "prompt": fields["prompt"],
        "model": SEEDREAM_SYNC_MODEL,
        "response_format": "url",
        "size": f"{width}x{height}",
        "watermark": False,  # Novita's default puts "AI generated" on the picture
    }
    for name in ("seed", "guidance_scale"):
        if name in fields:
            body[name] = fields[name]
    return body


def kling_form_fields(
    spec: ModelSpec, fields: Mapping[str, Any], webhook_url: str | None, test_mode: str = "off"
) -> dict[str, str]:
    """The text fields of Kling's multipart upload (the image travels as a file beside them)."""
    check_text_limits(spec, fields)
    duration = str(fields.get("duration", "5"))
    if duration not in DURATIONS:
        raise novita_error(400, "duration must be 5 or 10")
    form = {"prompt": str(fields.get("prompt", "")), "duration": duration}
    for name in ("negative_prompt", "cfg_scale"):
        if name in fields:
            form[name] = str(fields[name])
    form["extra"] = json.dumps(webhook_extra(webhook_url, test_mode))
    return form


def webhook_extra(webhook_url: str | None, test_mode: str = "off") -> dict[str, Any]:
    """`extra.webhook`, with Novita's test mode (a mock event, no credits) when asked for;
    nothing without a URL (polling mode: the webhook is optional, and test mode needs one)."""
    if webhook_url is None:
        return {}
    webhook: dict[str, Any] = {"url": webhook_url}
    if test_mode in TEST_MODES:
        webhook["test_mode"] = {"enabled": True, "return_task_status": TEST_MODES[test_mode]}
    return {"webhook": webhook}


def size_of(fields: Mapping[str, Any]) -> tuple[int, int]:
    """Width and height from the registry's "WxH" size, within Seedream's range."""
    match = _SIZE.fullmatch(str(fields.get("size", "")))
    if match is None:
        raise novita_error(400, "the image size is not WIDTHxHEIGHT")
    width, height = int(match[1]), int(match[2])
    if not all(MIN_SIDE_PX <= side <= MAX_SIDE_PX for side in (width, height)):
        raise novita_error(400, f"image sides must be {MIN_SIDE_PX} to {MAX_SIDE_PX} px")
    return width, height


def check_text_limits(spec: ModelSpec, fields: Mapping[str, Any]) -> None:
    """The registry's text limits once more, for submissions that skipped the intake checks
    (a chain's later step)."""
    for slot in spec.texts:
        value = str(fields.get(slot.field, ""))
        if slot.required and not value:
            raise novita_error(400, f"{slot.name} is required")
        if len(value) > slot.max_chars:
            raise novita_error(400, f"{slot.name} is over {slot.max_chars} characters")
