"""What the Kie emulator accepts per model, written from docs/providers.md on its own (not from
Photobot's registry), so a wrong field name or value in Photobot fails a test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "auto")
SUNO_MODELS = ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5")


class InputRejected(ValueError):
    """The body breaks the model's rules (Kie answers code 422 with the reason)."""


@dataclass(frozen=True)
class Rules:
    required: frozenset[str] = frozenset()
    url_lists: dict[str, tuple[int, int]] = field(default_factory=dict)  # field -> (min, max)
    urls: frozenset[str] = frozenset()  # fields holding one URL
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    prompt_max: int = 5000
    output: str = "image"  # what a task of this model produces


def _image(**kw: Any) -> Rules:
    return Rules(output="image", **kw)


def _video(**kw: Any) -> Rules:
    return Rules(output="video", **kw)


_SORA = {"aspect_ratio": ("portrait", "landscape"), "n_frames": ("10", "15")}
_SORA_PRO = {**_SORA, "size": ("standard", "high")}
_GROK = {
    "mode": ("fun", "normal", "spicy"),
    "duration": ("6", "10"),
    "resolution": ("480p", "720p"),
}
_IMAGE_OUT = {"output_format": ("png", "jpeg"), "image_size": RATIOS}

JOB_MODELS: dict[str, Rules] = {
    "nano-banana-pro": _image(
        required=frozenset({"prompt"}),
        url_lists={"image_input": (0, 8)},
        choices={
            "aspect_ratio": RATIOS,
            "resolution": ("1K", "2K", "4K"),
            "output_format": ("png", "jpg"),
        },
    ),
    "google/nano-banana": _image(required=frozenset({"prompt"}), choices=_IMAGE_OUT),
    "google/nano-banana-edit": _image(
        required=frozenset({"prompt", "image_urls"}),
        url_lists={"image_urls": (1, 10)},
        choices=_IMAGE_OUT,
    ),
    "sora-2-text-to-video": _video(required=frozenset({"prompt"}), choices=_SORA),
    "sora-2-image-to-video": _video(
        required=frozenset({"prompt", "image_urls"}),
        url_lists={"image_urls": (1, 1)},
        choices=_SORA,
    ),
    "sora-2-pro-text-to-video": _video(required=frozenset({"prompt"}), choices=_SORA_PRO),
    "sora-2-pro-image-to-video": _video(
        required=frozenset({"prompt", "image_urls"}),
        url_lists={"image_urls": (1, 1)},
        choices=_SORA_PRO,
    ),
    "grok-imagine/text-to-video": _video(required=frozenset({"prompt"}), choices=_GROK),
    "grok-imagine/image-to-video": _video(
        required=frozenset({"image_urls"}), url_lists={"image_urls": (1, 1)}, choices=_GROK
    ),
    "kling-2.6/motion-control": _video(
        required=frozenset({"input_urls", "video_urls", "character_orientation", "mode"}),
        url_lists={"input_urls": (1, 1), "video_urls": (1, 1)},
        choices={"character_orientation": ("image", "video"), "mode": ("720p", "1080p")},
        prompt_max=2500,
    ),
    "wan/2-2-animate-move": _video(
        required=frozenset({"video_url", "image_url"}),
        urls=frozenset({"video_url", "image_url"}),
        choices={"resolution": ("480p", "580p", "720p")},
    ),
}


def check_job_input(model: str, task_input: dict[str, Any]) -> Rules:
    """The model's rules, once the createTask input obeys them."""
    rules = JOB_MODELS.get(model)
    if rules is None:
        raise InputRejected(f"model {model} is not supported")
    missing = sorted(name for name in rules.required if _blank(task_input.get(name)))
    if missing:
        raise InputRejected(f"{', '.join(missing)} is required")
    prompt = task_input.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or len(prompt) > rules.prompt_max):
        raise InputRejected(f"prompt must be a string of at most {rules.prompt_max} characters")
    for name, (least, most) in rules.url_lists.items():
        _check_url_list(name, task_input.get(name, []), least, most)
    for name in rules.urls:
        if not _is_url(task_input.get(name)):
            raise InputRejected(f"{name} must be a URL")
    for name, allowed in rules.choices.items():
        if name in task_input and str(task_input[name]) not in allowed:
            raise InputRejected(f"{name} must be one of {', '.join(allowed)}")
    return rules


def check_suno_body(body: dict[str, Any]) -> None:
    """Suno's generate rules: modes, model, and the prompt, style and title limits."""
    custom, instrumental = body.get("customMode"), body.get("instrumental")
    if not isinstance(custom, bool) or not isinstance(instrumental, bool):
        raise InputRejected("customMode and instrumental are required booleans")
    model = body.get("model")
    if model not in SUNO_MODELS:
        raise InputRejected(f"model must be one of {', '.join(SUNO_MODELS)}")
    if not _is_url(body.get("callBackUrl")):
        raise InputRejected("callBackUrl is required")
    prompt = body.get("prompt", "")
    if not isinstance(prompt, str):
        raise InputRejected("prompt must be a string")
    if not custom:
        if not prompt or len(prompt) > 500:
            raise InputRejected("prompt is required, at most 500 characters")
        return
    v4 = model == "V4"
    for name, most in (("style", 200 if v4 else 1000), ("title", 80)):
        value = body.get(name)
        if not isinstance(value, str) or not value or len(value) > most:
            raise InputRejected(f"{name} is required in custom mode, at most {most} characters")
    if not instrumental and (not prompt or len(prompt) > (3000 if v4 else 5000)):
        raise InputRejected("prompt (the lyrics) is required unless instrumental")


def _check_url_list(name: str, value: Any, least: int, most: int) -> None:
    if not isinstance(value, list) or not all(_is_url(url) for url in value):
        raise InputRejected(f"{name} must be a list of URLs")
    if not least <= len(value) <= most:
        raise InputRejected(f"{name} takes {least} to {most} URLs")


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))
