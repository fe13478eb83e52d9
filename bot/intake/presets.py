"""Style presets offered when a photo arrives without a caption; each is a prompt we own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: str
    prompt: str


PRESETS: tuple[Preset, ...] = (
    Preset("anime", "Anime", "Redraw this photo as a detailed anime illustration, same pose."),
    Preset("watercolor", "Watercolor", "Turn this photo into a soft watercolor painting on paper."),
    Preset("pixar", "3D cartoon", "Render this photo as a 3D animated movie still, warm light."),
    Preset("sketch", "Pencil sketch", "Turn this photo into a detailed graphite pencil sketch."),
    Preset("cyberpunk", "Cyberpunk", "Restyle this photo as a neon-lit cyberpunk night scene."),
    Preset(
        "vintage", "Vintage film", "Make this photo look like 1970s film, grain and faded color."
    ),
)
PRESETS_BY_KEY = {p.key: p for p in PRESETS}
