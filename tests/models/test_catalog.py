"""The registry's declarations hold together: every option maps every choice, every capability
has a model, and the timing rules say what the provider notes say."""

from __future__ import annotations

import pytest

from bot.media.kinds import MediaKind
from bot.models import REGISTRY, Registry
from bot.models.spec import Cadence, Capability, ModelSpec, TextSlot


@pytest.mark.parametrize("model", REGISTRY.models, ids=lambda m: m.key)
def test_every_option_maps_every_choice_of_its_setting(model: ModelSpec) -> None:
    for option in model.options:
        setting = REGISTRY.setting(option.setting)
        assert setting.default in setting.choices
        for choice in setting.choices:
            assert option.provider_value(choice)


@pytest.mark.parametrize("capability", list(Capability))
def test_every_capability_has_a_model_or_a_chain(capability: Capability) -> None:
    assert REGISTRY.candidates(capability) or REGISTRY.chain_for(capability)


@pytest.mark.parametrize("model", REGISTRY.models, ids=lambda m: m.key)
def test_every_model_takes_some_input_and_names_its_output(model: ModelSpec) -> None:
    assert model.media or model.texts
    assert model.output in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO)


def test_the_users_engine_comes_first() -> None:
    grok = REGISTRY.candidates(Capability.TEXT_TO_VIDEO, engine="grok")
    sora = REGISTRY.candidates(Capability.TEXT_TO_VIDEO, engine="sora")
    assert grok[0].engine == "grok" and sora[0].engine == "sora"


def test_the_users_video_quality_picks_sora_2_pro_and_leaves_grok_alone() -> None:
    pro = REGISTRY.candidates(Capability.TEXT_TO_VIDEO, engine="sora", quality="pro")
    standard = REGISTRY.candidates(Capability.TEXT_TO_VIDEO, engine="sora", quality="standard")
    grok = REGISTRY.candidates(Capability.TEXT_TO_VIDEO, engine="grok", quality="pro")
    assert pro[0].key == "sora-2-pro-text-to-video" and pro[0].fixed["size"] == "standard"
    assert standard[0].key == "sora-2-text-to-video"
    assert grok[0].key == "grok-imagine/text-to-video"


def test_duplicate_keys_are_refused() -> None:
    model = REGISTRY.models[0]
    with pytest.raises(ValueError):
        Registry([model, model], REGISTRY.settings)


def test_kie_poll_cadence() -> None:
    cadence = Cadence()
    assert [cadence.next_delay(age) for age in (0, 29, 30, 119, 120, 3600)] == [
        3,
        3,
        10,
        10,
        30,
        30,
    ]


def test_kling_orientation_follows_the_driving_video() -> None:
    kling = REGISTRY.candidates(Capability.MOTION_TRANSFER)[0]
    [switch] = kling.switches
    assert (switch.value(10.0), switch.value(10.5)) == ("image", "video")


def test_suno_custom_limits_depend_on_the_music_model() -> None:
    custom = REGISTRY.candidates(Capability.MUSIC_CUSTOM)[0]
    style = custom.text("style")
    assert isinstance(style, TextSlot)
    assert style.limit({"music_model": "V4"}) == 200
    assert style.limit({"music_model": "V5"}) == 1000


def test_preferred_providers_come_before_the_users_engine() -> None:
    [first, *_] = REGISTRY.candidates(
        Capability.IMAGE_TO_VIDEO, engine="grok", providers=["novita", "kie"]
    )
    assert (first.provider, first.engine) == ("novita", "")
    kie_first = REGISTRY.candidates(Capability.IMAGE_TO_VIDEO, engine="sora", providers=["kie"])
    assert [m.engine for m in kie_first] == ["sora", "sora", "grok", ""]
    assert [m.quality for m in kie_first[:2]] == ["standard", "pro"]
    # Without a preference the catalog's order stands: Kie's models, the user's engine first.
    assert REGISTRY.candidates(Capability.TEXT_TO_IMAGE)[0].provider == "kie"


def test_novita_models_declare_novitas_limits() -> None:
    kling = REGISTRY.candidates(Capability.IMAGE_TO_VIDEO, providers=["novita"])[0]
    slot = kling.slot(MediaKind.IMAGE)
    assert slot is not None
    assert (slot.min_side_px, slot.max_bytes) == (300, 10 * 1024 * 1024)
    assert slot.mime_types == {"image/jpeg", "image/png"}
    seedream = REGISTRY.candidates(Capability.TEXT_TO_IMAGE, providers=["novita"])[0]
    assert seedream.engine == "" and seedream.output is MediaKind.IMAGE
