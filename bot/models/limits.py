"""Every limit a model declares, checked before any provider call (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.media.kinds import MediaKind
from bot.models.spec import MediaSlot, ModelSpec


@dataclass(frozen=True, slots=True)
class InputFile:
    """What is known of a file a user sent, from Telegram's metadata or the file's header."""

    kind: MediaKind
    mime_type: str = ""
    size: int | None = None
    seconds: float | None = None
    width: int | None = None
    height: int | None = None


class Breach(StrEnum):
    TOO_FEW = "too_few"
    TOO_MANY = "too_many"
    FORMAT = "format"
    TOO_BIG = "too_big"
    TOO_SMALL = "too_small"  # pixels
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TEXT_MISSING = "text_missing"
    TEXT_TOO_LONG = "text_too_long"


@dataclass(frozen=True, slots=True)
class Problem:
    """Which limit an input breaks, with what the user must change it to."""

    breach: Breach
    kind: MediaKind | None = None
    text: str = ""  # the text slot's name
    limit: float = 0
    limit_high: float = 0
    actual: float = 0  # the input's own figure (a video's length)


def check_files(spec: ModelSpec, files: Sequence[InputFile]) -> Problem | None:
    """The first limit the files break, slot by slot; None when the model can take them."""
    for slot in spec.media:
        mine = [f for f in files if f.kind is slot.kind]
        if len(mine) < slot.min_count:
            return Problem(Breach.TOO_FEW, slot.kind, limit=slot.min_count)
        if len(mine) > slot.max_count:
            return Problem(Breach.TOO_MANY, slot.kind, limit=slot.max_count)
        for file in mine:
            problem = check_file(slot, file)
            if problem is not None:
                return problem
    return None


def check_file(slot: MediaSlot, file: InputFile) -> Problem | None:
    """The first of the slot's limits one file breaks (what is unknown is not checked)."""
    kind = slot.kind
    if file.mime_type and file.mime_type not in slot.mime_types:
        return Problem(Breach.FORMAT, kind)
    if file.size is not None and file.size > slot.max_bytes:
        return Problem(Breach.TOO_BIG, kind, limit=slot.max_bytes)
    smallest = min(file.width or 0, file.height or 0)
    if slot.min_side_px and file.width and file.height and smallest < slot.min_side_px:
        return Problem(Breach.TOO_SMALL, kind, limit=slot.min_side_px)
    if file.seconds is not None:
        if file.seconds < slot.min_seconds:
            return Problem(Breach.TOO_SHORT, kind, limit=slot.min_seconds,
                           limit_high=slot.max_seconds, actual=file.seconds)  # fmt: skip
        if slot.max_seconds and file.seconds > slot.max_seconds:
            return Problem(Breach.TOO_LONG, kind, limit=slot.min_seconds,
                           limit_high=slot.max_seconds, actual=file.seconds)  # fmt: skip
    return None


def check_texts(
    spec: ModelSpec, texts: Mapping[str, str], settings: Mapping[str, str]
) -> Problem | None:
    """A required text that is missing, or one over the model's limit for these settings."""
    for slot in spec.texts:
        value = texts.get(slot.name, "")
        if slot.required and not value:
            return Problem(Breach.TEXT_MISSING, text=slot.name)
        if len(value) > slot.limit(settings):
            return Problem(Breach.TEXT_TOO_LONG, text=slot.name, limit=slot.limit(settings))
    return None
