"""Every model Photobot offers, one declaration each (facts from docs/providers.md), and the
per-user settings they read."""

from __future__ import annotations

from typing import Any

from bot.locales import Message
from bot.media.kinds import MediaKind
from bot.models.spec import (
    MB,
    VIDEO_TYPES,
    Cadence,
    Capability,
    DurationSwitch,
    MediaSlot,
    ModelSpec,
    Option,
    Setting,
    TextSlot,
    frozen,
)

IMAGES_AS = "images_as"
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "aspect_ratio",
        Message("Aspect ratio"),
        ("auto", "1:1", "3:4", "4:3", "9:16", "16:9"),
        "auto",
        {"auto": Message("auto")},
    ),
    Setting("resolution", Message("Resolution"), ("1K", "2K", "4K"), "1K"),
    Setting("output_format", Message("Image format"), ("png", "jpg"), "png"),
    Setting("video_engine", Message("Video engine"), ("grok", "sora"), "grok"),
    Setting(
        "video_length",
        Message("Video length"),
        ("short", "long"),
        "short",
        {"short": Message("short"), "long": Message("long")},
    ),
    Setting("music_model", Message("Music model"), ("V5", "V4_5PLUS", "V4"), "V5"),
    Setting(
        "video_quality",
        Message("Video quality"),
        ("standard", "pro"),
        "standard",
        {"standard": Message("standard"), "pro": Message("pro")},
        applies_when=("video_engine", "sora"),
        not_applying=Message("Sora only"),
    ),
    # Read by delivery, not by a model: images as documents, byte for byte (jobs/deliver).
    Setting(
        IMAGES_AS,
        Message("Images as"),
        ("photo", "file"),
        "photo",
        {"photo": Message("photos"), "file": Message("files")},
    ),
)

_PROMPT = TextSlot("prompt", "prompt", 5000)
_IMAGE_FORMAT = Option("output_format", "output_format", {"png": "png", "jpg": "jpeg"})
_IMAGE_SIZE = Option("aspect_ratio", "image_size")
_ORIENTATION = Option(
    "aspect_ratio",
    "aspect_ratio",
    {"auto": "landscape", "1:1": "landscape", "4:3": "landscape", "16:9": "landscape",
     "3:4": "portrait", "9:16": "portrait"},
)  # fmt: skip
_SORA_LENGTH = Option("video_length", "n_frames", {"short": "10", "long": "15"})
_SORA = frozen({"remove_watermark": True})
# Sora 2 Pro's `size` is "standard" or "high"; Kie's default, "standard", is sent.
_SORA_PRO = frozen({"remove_watermark": True, "size": "standard"})
_GROK_LENGTH = Option("video_length", "duration", {"short": "6", "long": "10"})
_ONE_IMAGE = MediaSlot(MediaKind.IMAGE, "image_urls")
_VIDEO_CADENCE = Cadence(steps=((60, 10), (600, 20)), then_every_s=30)
_VIDEO_DEADLINE_S = 40 * 60  # video jobs can take well over 10 minutes
_GROK = frozen({"mode": "normal", "resolution": "720p"})
_SUNO_MODEL = Option("music_model", "model")
# Seedream's recommended sizes per aspect ratio; "auto" is the seed's portrait 720x1280.
_SEEDREAM_SIZE = Option(
    "aspect_ratio",
    "size",
    {"auto": "720x1280", "1:1": "1024x1024", "3:4": "864x1152", "4:3": "1152x864",
     "9:16": "720x1280", "16:9": "1280x720"},
)  # fmt: skip
_SEEDREAM_FIXED = frozen(
    {"negative_prompt": "blurry, low quality", "image_num": 1, "guidance_scale": 2.5,
     "steps": 20, "seed": -1}
)  # fmt: skip
_KLING_LENGTH = Option("video_length", "duration", {"short": "5", "long": "10"})


def _kie_image(key: str, capability: Capability, title: str, **fields: Any) -> ModelSpec:
    """A Kie jobs-API model that makes images."""
    return ModelSpec(key, "kie", "jobs", capability, MediaKind.IMAGE, title, **fields)


def _kie_video(key: str, capability: Capability, title: str, **fields: Any) -> ModelSpec:
    """A Kie jobs-API model that makes videos: slower, so polled less often and given longer."""
    return ModelSpec(
        key, "kie", "jobs", capability, MediaKind.VIDEO, title,
        cadence=_VIDEO_CADENCE, deadline_s=_VIDEO_DEADLINE_S, **fields,
    )  # fmt: skip


def _novita(
    key: str, family: str, capability: Capability, output: MediaKind, title: str, **fields: Any
) -> ModelSpec:
    """A Novita AI model; none has a Kie video engine."""
    return ModelSpec(key, "novita", family, capability, output, title, **fields)


MODELS: tuple[ModelSpec, ...] = (
    _kie_image(
        "nano-banana-pro",
        Capability.PHOTO_EDIT,
        "Nano Banana Pro",
        media=(MediaSlot(MediaKind.IMAGE, "image_input", max_count=8),),
        texts=(_PROMPT,),
        options=(
            Option("aspect_ratio", "aspect_ratio"),
            Option("resolution", "resolution"),
            Option("output_format", "output_format"),
        ),
        price=4,
        cost=18,
    ),
    _kie_image(
        "google/nano-banana",
        Capability.TEXT_TO_IMAGE,
        "Nano Banana",
        texts=(_PROMPT,),
        options=(_IMAGE_FORMAT, _IMAGE_SIZE),
        price=2,
        cost=4,
    ),
    _kie_image(
        "google/nano-banana-edit",
        Capability.EDIT,
        "Nano Banana Edit",
        media=(MediaSlot(MediaKind.IMAGE, "image_urls", max_count=10),),
        texts=(_PROMPT,),
        options=(_IMAGE_FORMAT, _IMAGE_SIZE),
        price=2,
        cost=4,
    ),
    _kie_video(
        "sora-2-text-to-video",
        Capability.TEXT_TO_VIDEO,
        "Sora 2",
        engine="sora",
        texts=(_PROMPT,),
        options=(_ORIENTATION, _SORA_LENGTH),
        fixed=_SORA,
        price=20,
        cost=30,
    ),
    _kie_video(
        "sora-2-image-to-video",
        Capability.IMAGE_TO_VIDEO,
        "Sora 2",
        engine="sora",
        media=(_ONE_IMAGE,),
        texts=(_PROMPT,),
        options=(_ORIENTATION, _SORA_LENGTH),
        fixed=_SORA,
        price=20,
        cost=30,
    ),
    _kie_video(
        "sora-2-pro-text-to-video",
        Capability.TEXT_TO_VIDEO,
        "Sora 2 Pro",
        engine="sora",
        quality="pro",
        texts=(_PROMPT,),
        options=(_ORIENTATION, _SORA_LENGTH),
        fixed=_SORA_PRO,
        price=60,
        cost=90,
    ),
    _kie_video(
        "sora-2-pro-image-to-video",
        Capability.IMAGE_TO_VIDEO,
        "Sora 2 Pro",
        engine="sora",
        quality="pro",
        media=(_ONE_IMAGE,),
        texts=(_PROMPT,),
        options=(_ORIENTATION, _SORA_LENGTH),
        fixed=_SORA_PRO,
        price=60,
        cost=90,
    ),
    _kie_video(
        "grok-imagine/text-to-video",
        Capability.TEXT_TO_VIDEO,
        "Grok Imagine",
        engine="grok",
        texts=(_PROMPT,),
        options=(_GROK_LENGTH,),
        fixed=_GROK,
        price=10,
        cost=20,
    ),
    _kie_video(
        "grok-imagine/image-to-video",
        Capability.IMAGE_TO_VIDEO,
        "Grok Imagine",
        engine="grok",
        media=(_ONE_IMAGE,),
        texts=(TextSlot("prompt", "prompt", 5000, required=False),),
        options=(_GROK_LENGTH,),
        fixed=_GROK,
        price=10,
        cost=20,
    ),
    _kie_video(
        "kling-2.6/motion-control",
        Capability.MOTION_TRANSFER,
        "Kling 2.6 Motion Control",
        media=(
            MediaSlot(MediaKind.IMAGE, "input_urls", min_side_px=300),
            # Kling takes 100 MB, but a bot can only download 20 MB from Telegram.
            MediaSlot(
                MediaKind.VIDEO,
                "video_urls",
                max_bytes=20 * MB,
                mime_types=VIDEO_TYPES,
                min_seconds=3,
                max_seconds=30,
            ),
        ),
        texts=(TextSlot("prompt", "prompt", 2500, required=False),),
        switches=(DurationSwitch("character_orientation", MediaKind.VIDEO, 10, "image", "video"),),
        fixed=frozen({"mode": "720p"}),
        price=30,
        cost=60,
    ),
    _kie_video(
        "wan/2-2-animate-move",
        Capability.ANIMATE,
        "Wan 2.2 Animate",
        media=(
            MediaSlot(MediaKind.IMAGE, "image_url", single=True),
            MediaSlot(
                MediaKind.VIDEO,
                "video_url",
                single=True,
                mime_types=VIDEO_TYPES,
                min_seconds=3,
                max_seconds=30,
            ),
        ),
        fixed=frozen({"resolution": "480p"}),
        price=20,
        cost=40,
    ),
    ModelSpec(
        key="suno/generate",
        provider="kie",
        family="suno",
        capability=Capability.MUSIC,
        output=MediaKind.AUDIO,
        title="Suno",
        texts=(TextSlot("prompt", "prompt", 500),),
        options=(_SUNO_MODEL,),
        fixed=frozen({"customMode": False, "instrumental": False}),
        cadence=Cadence(steps=((60, 5), (300, 15))),
        price=8,
        cost=12,
    ),
    ModelSpec(
        key="suno/custom",
        provider="kie",
        family="suno",
        capability=Capability.MUSIC_CUSTOM,
        output=MediaKind.AUDIO,
        title="Suno (custom)",
        # Empty lyrics mean an instrumental.
        texts=(
            TextSlot(
                "lyrics",
                "prompt",
                5000,
                required=False,
                max_chars_when=("music_model", {"V4": 3000}),
            ),
            TextSlot("style", "style", 1000, max_chars_when=("music_model", {"V4": 200})),
            TextSlot("title", "title", 80),
        ),
        options=(_SUNO_MODEL,),
        fixed=frozen({"customMode": True}),
        cadence=Cadence(steps=((60, 5), (300, 15))),
        price=8,
        cost=12,
    ),
    _novita(
        "seedream_3_0",
        "seedream",
        Capability.TEXT_TO_IMAGE,
        MediaKind.IMAGE,
        "Seedream 3.0",
        # Novita's reference states no prompt limit; 2000 is what other Seedream 3.0 hosts take.
        texts=(TextSlot("prompt", "prompt", 2000),),
        options=(_SEEDREAM_SIZE,),
        fixed=_SEEDREAM_FIXED,
        price=2,
        cost=0.03,
    ),
    _novita(
        "kling-v2.1-i2v-master",
        "kling-i2v",
        Capability.IMAGE_TO_VIDEO,
        MediaKind.VIDEO,
        "Kling 2.1 Master",
        media=(
            MediaSlot(
                MediaKind.IMAGE,
                "image",
                mime_types=frozenset({"image/jpeg", "image/png"}),
                min_side_px=300,
                single=True,
            ),
        ),
        texts=(TextSlot("prompt", "prompt", 2500),),
        options=(_KLING_LENGTH,),
        fixed=frozen({"negative_prompt": "blurry, distorted", "cfg_scale": 0.5}),
        cadence=_VIDEO_CADENCE,
        deadline_s=_VIDEO_DEADLINE_S,
        price=80,
        cost=1.4,
    ),
)
