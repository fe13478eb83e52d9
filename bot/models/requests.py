"""From a job's inputs and a user's settings to the fields a model's provider expects (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.media.kinds import MediaKind
from bot.models.spec import ModelSpec, Setting


@dataclass(frozen=True, slots=True)
class ModelInputs:
    """What a job hands its model: input URLs per kind, texts by slot, and video lengths."""

    urls: Mapping[MediaKind, Sequence[str]] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)
    seconds: Mapping[MediaKind, float] = field(default_factory=dict)


def resolve_settings(
    settings: Sequence[Setting], saved: Mapping[str, str], defaults: Mapping[str, str]
) -> dict[str, str]:
    """Every setting's value: the user's own if valid, else the operator's default, else ours."""
    resolved = {}
    for setting in settings:
        value = saved.get(setting.key, "")
        if value not in setting.choices:
            value = defaults.get(setting.key, "")
        resolved[setting.key] = value if value in setting.choices else setting.default
    return resolved


def provider_fields(
    spec: ModelSpec, inputs: ModelInputs, settings: Mapping[str, str]
) -> dict[str, Any]:
    """The model's input fields: fixed values, URLs, texts, options and length switches."""
    fields: dict[str, Any] = dict(spec.fixed)
    for slot in spec.media:
        urls = list(inputs.urls.get(slot.kind, ()))
        if urls:
            fields[slot.field] = urls[0] if slot.single else urls
    for text in spec.texts:
        value = inputs.texts.get(text.name, "")
        if value:
            fields[text.field] = value
    for option in spec.options:
        fields[option.field] = option.provider_value(settings[option.setting])
    for switch in spec.switches:
        seconds = inputs.seconds.get(switch.slot_kind)
        if seconds is not None:
            fields[switch.field] = switch.value(seconds)
    return fields
