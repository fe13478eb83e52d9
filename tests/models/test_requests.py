"""The provider fields each model gets, and every limit checked before a provider call."""

from __future__ import annotations

import pytest

from bot.media.kinds import MediaKind
from bot.models import REGISTRY
from bot.models.limits import Breach, InputFile, check_files, check_texts
from bot.models.requests import ModelInputs, provider_fields, resolve_settings
from bot.models.spec import MB, Capability, ModelSpec

DEFAULTS = resolve_settings(REGISTRY.settings, {}, {})
IMG, VID = MediaKind.IMAGE, MediaKind.VIDEO


def model(capability: Capability, engine: str = "") -> ModelSpec:
    return REGISTRY.candidates(capability, engine=engine)[0]


def test_settings_fall_back_to_the_operators_default_then_ours() -> None:
    resolved = resolve_settings(
        REGISTRY.settings,
        {"aspect_ratio": "16:9", "resolution": "8K"},
        {"video_engine": "sora", "resolution": "2K"},
    )
    assert resolved["aspect_ratio"] == "16:9"
    assert resolved["resolution"] == "2K"  # the saved 8K is no choice
    assert resolved["video_engine"] == "sora"
    assert resolved["music_model"] == "V5"


def test_photo_edit_fields() -> None:
    fields = provider_fields(
        model(Capability.PHOTO_EDIT),
        ModelInputs(urls={IMG: ["https://a", "https://b"]}, texts={"prompt": "paint it"}),
        DEFAULTS,
    )
    assert fields == {
        "image_input": ["https://a", "https://b"], "prompt": "paint it",
        "aspect_ratio": "auto", "resolution": "1K", "output_format": "png",
    }  # fmt: skip


def test_text_to_image_maps_format_and_ratio_names() -> None:
    settings = {**DEFAULTS, "output_format": "jpg", "aspect_ratio": "9:16"}
    fields = provider_fields(
        model(Capability.TEXT_TO_IMAGE), ModelInputs(texts={"prompt": "a cat"}), settings
    )
    assert fields == {"prompt": "a cat", "output_format": "jpeg", "image_size": "9:16"}


@pytest.mark.parametrize(
    ("engine", "length", "expected"),
    [
        ("sora", "long", {"n_frames": "15", "aspect_ratio": "portrait", "remove_watermark": True}),
        ("grok", "short", {"duration": "6", "mode": "normal", "resolution": "720p"}),
    ],
)
def test_video_engines_map_length_and_orientation(
    engine: str, length: str, expected: dict[str, object]
) -> None:
    settings = {**DEFAULTS, "video_length": length, "aspect_ratio": "9:16"}
    spec = model(Capability.IMAGE_TO_VIDEO, engine)
    fields = provider_fields(
        spec, ModelInputs(urls={IMG: ["https://a"]}, texts={"prompt": "go"}), settings
    )
    assert fields == {"image_urls": ["https://a"], "prompt": "go", **expected}


@pytest.mark.parametrize(
    ("seconds", "orientation"), [(4.0, "image"), (10.0, "image"), (10.5, "video"), (30.0, "video")]
)
def test_dance_orientation_follows_the_video_length(seconds: float, orientation: str) -> None:
    inputs = ModelInputs(urls={IMG: ["https://p"], VID: ["https://v"]}, seconds={VID: seconds})
    fields = provider_fields(model(Capability.MOTION_TRANSFER), inputs, DEFAULTS)
    assert fields == {"input_urls": ["https://p"], "video_urls": ["https://v"],
                      "character_orientation": orientation, "mode": "720p"}  # fmt: skip


def test_animate_takes_single_urls() -> None:
    inputs = ModelInputs(urls={IMG: ["https://p"], VID: ["https://v"]})
    fields = provider_fields(model(Capability.ANIMATE), inputs, DEFAULTS)
    assert fields == {"image_url": "https://p", "video_url": "https://v", "resolution": "480p"}


def test_music_fields() -> None:
    settings = {**DEFAULTS, "music_model": "V4"}
    fields = provider_fields(
        model(Capability.MUSIC), ModelInputs(texts={"prompt": "rainy jazz"}), settings
    )
    assert fields == {"prompt": "rainy jazz", "customMode": False, "instrumental": False,
                      "model": "V4"}  # fmt: skip


@pytest.mark.parametrize(
    ("files", "breach"),
    [
        ([InputFile(IMG)] * 9, Breach.TOO_MANY),
        ([], Breach.TOO_FEW),
        ([InputFile(IMG, "image/heic")], Breach.FORMAT),
        ([InputFile(IMG, "image/jpeg", size=11 * MB)], Breach.TOO_BIG),
        ([InputFile(IMG, "image/png", size=MB)], None),
    ],
)
def test_photo_edit_limits(files: list[InputFile], breach: Breach | None) -> None:
    problem = check_files(model(Capability.PHOTO_EDIT), files)
    assert (problem.breach if problem else None) == breach


@pytest.mark.parametrize(
    ("video", "breach"),
    [
        (InputFile(VID, "video/mp4", size=5 * MB, seconds=2.5), Breach.TOO_SHORT),
        (InputFile(VID, "video/mp4", size=5 * MB, seconds=31), Breach.TOO_LONG),
        (InputFile(VID, "video/mp4", size=21 * MB, seconds=10), Breach.TOO_BIG),
        (InputFile(VID, "video/webm", size=MB, seconds=10), Breach.FORMAT),
        (InputFile(VID, "video/mp4", size=MB, seconds=10), None),
    ],
)
def test_dance_video_limits(video: InputFile, breach: Breach | None) -> None:
    person = InputFile(IMG, "image/jpeg", size=MB, width=720, height=1280)
    problem = check_files(model(Capability.MOTION_TRANSFER), [person, video])
    assert (problem.breach if problem else None) == breach


def test_a_tiny_photo_is_too_small_to_dance() -> None:
    person = InputFile(IMG, "image/jpeg", size=1000, width=200, height=400)
    video = InputFile(VID, "video/mp4", size=MB, seconds=5)
    problem = check_files(model(Capability.MOTION_TRANSFER), [person, video])
    assert problem is not None and problem.breach is Breach.TOO_SMALL and problem.limit == 300


def test_text_limits_follow_the_music_model() -> None:
    custom = model(Capability.MUSIC_CUSTOM)
    texts = {"lyrics": "", "style": "s" * 300, "title": "Rain"}
    v4 = check_texts(custom, texts, {**DEFAULTS, "music_model": "V4"})
    assert v4 is not None and v4.breach is Breach.TEXT_TOO_LONG and v4.limit == 200
    assert check_texts(custom, texts, DEFAULTS) is None  # empty lyrics: an instrumental
    missing = check_texts(model(Capability.MUSIC), {}, DEFAULTS)
    assert missing is not None and missing.breach is Breach.TEXT_MISSING
    too_long = check_texts(model(Capability.MUSIC), {"prompt": "x" * 501}, DEFAULTS)
    assert too_long is not None and too_long.limit == 500
