"""Every command that starts a job, and what its flow collects before the job can start."""

from __future__ import annotations

from dataclasses import dataclass

from bot.media.kinds import MediaKind
from bot.models.spec import Capability


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A command's flow: the files it waits for (any order) and the texts it asks, in order."""

    command: str
    capability: Capability
    media: tuple[MediaKind, ...] = ()
    texts: tuple[str, ...] = ()
    # The capability when the command comes with a photo (/video on a photo: image to video).
    with_photo: Capability | None = None


FLOWS: tuple[FlowSpec, ...] = (
    FlowSpec("imagine", Capability.TEXT_TO_IMAGE, texts=("prompt",)),
    FlowSpec("edit", Capability.EDIT, media=(MediaKind.IMAGE,), texts=("prompt",)),
    FlowSpec(
        "video", Capability.TEXT_TO_VIDEO, texts=("prompt",), with_photo=Capability.IMAGE_TO_VIDEO
    ),
    # A chain (bot/models/chains.py): the image goes out as a preview, then the video.
    FlowSpec("sketch", Capability.SKETCH, texts=("prompt",)),
    FlowSpec("dance", Capability.MOTION_TRANSFER, media=(MediaKind.IMAGE, MediaKind.VIDEO)),
    FlowSpec("animate", Capability.ANIMATE, media=(MediaKind.IMAGE, MediaKind.VIDEO)),
    # /music with a description starts at once; alone, it asks for lyrics, a style and a title.
    FlowSpec("music", Capability.MUSIC_CUSTOM, texts=("lyrics", "style", "title")),
)
FLOWS_BY_COMMAND = {flow.command: flow for flow in FLOWS}
# A description after /music is a one-step song, not the guided custom mode.
QUICK_CAPABILITY = {"music": Capability.MUSIC}
