"""What a model is, as data: inputs and their limits, the options users may set, the output,
and how long to wait for it. One `ModelSpec` per model; nothing else names a model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from bot.locales import Message
from bot.media.kinds import MediaKind

MB = 1024 * 1024


class Capability(StrEnum):
    """What a user asks for; a command or flow names a capability, the registry picks a model."""

    PHOTO_EDIT = "photo_edit"  # a photo (or album) and a prompt -> image
    TEXT_TO_IMAGE = "text_to_image"
    EDIT = "edit"  # /edit: photos and an instruction -> image
    TEXT_TO_VIDEO = "text_to_video"
    IMAGE_TO_VIDEO = "image_to_video"
    MOTION_TRANSFER = "motion_transfer"  # /dance: a person's photo moves like a video
    ANIMATE = "animate"  # /animate: a still driven by a video
    MUSIC = "music"  # a description -> tracks
    MUSIC_CUSTOM = "music_custom"  # lyrics, style and title -> tracks
    SKETCH = "sketch"  # a description -> an image (shown as a preview) -> that image, moving


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/x-matroska"})


@dataclass(frozen=True, slots=True)
class MediaSlot:
    """Files of one kind a model takes in one provider field, with their limits."""

    kind: MediaKind
    field: str
    min_count: int = 1
    max_count: int = 1
    max_bytes: int = 10 * MB
    mime_types: frozenset[str] = IMAGE_TYPES
    min_side_px: int = 0
    min_seconds: float = 0.0
    max_seconds: float = 0.0  # 0: no limit
    single: bool = False  # the provider wants one URL, not a list


@dataclass(frozen=True, slots=True)
class TextSlot:
    """A piece of text the user writes (a prompt, lyrics, a style, a title)."""

    name: str
    field: str
    max_chars: int
    required: bool = True
    # A stricter limit while a user setting has a given value: (setting, {value: max chars}).
    max_chars_when: tuple[str, Mapping[str, int]] | None = None

    def limit(self, settings: Mapping[str, str]) -> int:
        if self.max_chars_when is not None:
            setting, limits = self.max_chars_when
            return limits.get(settings.get(setting, ""), self.max_chars)
        return self.max_chars


@dataclass(frozen=True, slots=True)
class Option:
    """A user setting the model honours, and the provider value for each setting value.

    `values` None passes the setting's value through unchanged."""

    setting: str
    field: str
    values: Mapping[str, str] | None = None

    def provider_value(self, value: str) -> str:
        return value if self.values is None else self.values[value]


@dataclass(frozen=True, slots=True)
class DurationSwitch:
    """A provider field chosen from an input video's length (Kling's character_orientation)."""

    field: str
    slot_kind: MediaKind
    up_to_s: float
    short: str
    long: str

    def value(self, seconds: float) -> str:
        return self.short if seconds <= self.up_to_s else self.long


@dataclass(frozen=True, slots=True)
class Cadence:
    """When to poll a task that has not called back: (age below, poll every) steps."""

    steps: tuple[tuple[float, float], ...] = ((30, 3), (120, 10))
    then_every_s: float = 30

    def next_delay(self, age_s: float) -> float:
        return next((every for below, every in self.steps if age_s < below), self.then_every_s)


def frozen(values: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True, slots=True)
class ModelSpec:
    key: str  # the provider's model name where it has one
    provider: str
    family: str  # which of the provider's request shapes this model uses
    capability: Capability
    output: MediaKind
    title: str  # how /help and /stats call it
    engine: str = ""  # a user-selectable variant of a capability (video engines)
    quality: str = "standard"  # an engine's tier the user picks (Sora 2 Pro: "pro")
    media: tuple[MediaSlot, ...] = ()
    texts: tuple[TextSlot, ...] = ()
    options: tuple[Option, ...] = ()
    switches: tuple[DurationSwitch, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=frozen)
    cadence: Cadence = Cadence()
    deadline_s: float = 15 * 60
    # What a user pays, in Photobot's credits (PRICES overrides it), and roughly what a task
    # costs the operator in the provider's own unit (Kie credits, Novita US dollars).
    price: int = 1
    cost: float = 0.0

    def slot(self, kind: MediaKind) -> MediaSlot | None:
        return next((s for s in self.media if s.kind is kind), None)

    def text(self, name: str) -> TextSlot | None:
        return next((t for t in self.texts if t.name == name), None)


@dataclass(frozen=True, slots=True)
class Setting:
    """A per-user choice offered in /settings; its label (and any choice a word names, not a
    code such as 16:9) in the reader's language."""

    key: str
    label: Message
    choices: tuple[str, ...]
    default: str
    choice_labels: Mapping[str, Message] = field(default_factory=dict)
    # Another setting's value this one matters for (video quality: the Sora engine), and what
    # its row says while that is not chosen.
    applies_when: tuple[str, str] | None = None
    not_applying: Message | None = None

    def applies(self, values: Mapping[str, str]) -> bool:
        """Whether this choice changes anything with the user's other settings."""
        return self.applies_when is None or values.get(self.applies_when[0]) == self.applies_when[1]

    def shown(self, choice: str) -> str:
        """A choice as the reader sees it."""
        label = self.choice_labels.get(choice)
        return label() if label is not None else choice
