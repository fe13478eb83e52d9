"""Every command that starts a job, and what its flow collects before the job can start."""

from __future__ import annotations

from dataclasses import dataclass

from bot import constants as k
from bot.media.kinds import MediaKind
from bot.models.spec import Capability

FLOW_TIMEOUT_S = 10 * 60


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """A command's flow: the files it waits for (any order) and the texts it asks, in order."""

    command: str
    capability: Capability
    media: tuple[MediaKind, ...] = ()
    texts: tuple[str, ...] = ()
    # The capability when the command comes with a photo (/video on a photo: image to video).
    with_photo: Capability | None = None
    # How long the flow waits for the user's next step, and whether its end is announced.
    timeout_s: float = FLOW_TIMEOUT_S
    timeout_told: bool = True
    # False: the user's messages go on to the photo handlers (a newer photo replaces the one
    # waiting, a typed text is its prompt) rather than to the flow handler.
    takes_messages: bool = True


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

# A photo or album sent without a caption: it waits under its style keyboard for a button or a
# typed prompt, an hour, and ends silently (no command was started, so nothing to call off).
# Not a command: it is missing from FLOWS, so no /photo exists.
WAITING_PHOTO = FlowSpec(
    "photo",
    Capability.PHOTO_EDIT,
    media=(MediaKind.IMAGE,),
    texts=("prompt",),
    timeout_s=k.WAITING_PHOTO_TIMEOUT_S,
    timeout_told=False,
    takes_messages=False,
)
SPECS_BY_NAME = {**FLOWS_BY_COMMAND, WAITING_PHOTO.command: WAITING_PHOTO}
