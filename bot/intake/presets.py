"""Style presets offered when a photo arrives without a caption; each is a prompt we own."""

from __future__ import annotations

from dataclasses import dataclass

from bot.locales import Message


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: Message  # shown on the style button
    prompt: str


PRESETS: tuple[Preset, ...] = (
    Preset(
        "anime", Message("Anime"), "Redraw this photo as a detailed anime illustration, same pose."
    ),
    Preset(
        "watercolor",
        Message("Watercolor"),
        "Turn this photo into a soft watercolor painting on paper.",
    ),
    Preset(
        "pixar",
        Message("3D cartoon"),
        "Render this photo as a 3D animated movie still, warm light.",
    ),
    Preset(
        "sketch",
        Message("Pencil sketch"),
        "Turn this photo into a detailed graphite pencil sketch.",
    ),
    Preset(
        "cyberpunk", Message("Cyberpunk"), "Restyle this photo as a neon-lit cyberpunk night scene."
    ),
    Preset(
        "vintage",
        Message("Vintage film"),
        "Make this photo look like 1970s film, grain and faded color.",
    ),
)
PRESETS_BY_KEY = {p.key: p for p in PRESETS}
