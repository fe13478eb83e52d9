"""Each result's caption fits what was asked: what it is, and the command for another one; an
image from words never says "send another photo". (/sketch's: tests/e2e/test_sketch.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot import texts
from bot.locales import LANGUAGES, speaking
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from tests.e2e.test_commands import PERSON, command
from tests.e2e.test_results_by_command import (
    CLIP,
    finish_with,
    start_animate,
    start_dance,
    start_video,
    start_video_on_photo,
    tracks,
)
from tests.harness import BotHarness
from tests.images import png

RESULT = png(24, 24, text=b"captioned")
Start = Callable[[BotHarness, int], Awaitable[None]]


async def start_photo(bot: BotHarness, chat: int) -> None:
    bot.send_photo(chat, caption="make it a watercolor", data=PERSON)


async def start_imagine(bot: BotHarness, chat: int) -> None:
    command(bot, chat, "/imagine a red fox in the snow")


async def start_edit(bot: BotHarness, chat: int) -> None:
    bot.send_photo(chat, caption="/edit add a hat", data=PERSON)


async def start_music(bot: BotHarness, chat: int) -> None:
    command(bot, chat, "/music rainy jazz")


async def start_custom_music(bot: BotHarness, chat: int) -> None:
    for text in ("/music", "la la la", "lo-fi", "Rain"):
        update = command(bot, chat, text)
        await bot.settled(update)  # each step in turn, as a person types them


CASES: list[tuple[Start, Capability, MediaKind, str]] = [
    (start_photo, Capability.PHOTO_EDIT, MediaKind.IMAGE, "photo"),
    (start_imagine, Capability.TEXT_TO_IMAGE, MediaKind.IMAGE, "/imagine"),
    (start_edit, Capability.EDIT, MediaKind.IMAGE, "/edit"),
    (start_video, Capability.TEXT_TO_VIDEO, MediaKind.VIDEO, "/video"),
    (start_video_on_photo, Capability.IMAGE_TO_VIDEO, MediaKind.VIDEO, "/video"),
    (start_dance, Capability.MOTION_TRANSFER, MediaKind.VIDEO, "/dance"),
    (start_animate, Capability.ANIMATE, MediaKind.VIDEO, "/animate"),
    (start_music, Capability.MUSIC, MediaKind.AUDIO, "/music"),
    (start_custom_music, Capability.MUSIC_CUSTOM, MediaKind.AUDIO, "/music"),
]
SENT_AS = {MediaKind.IMAGE: "sendPhoto", MediaKind.VIDEO: "sendVideo", MediaKind.AUDIO: "sendAudio"}


@pytest.mark.parametrize(
    ("start", "capability", "kind", "next_step"), CASES, ids=[c[1].value for c in CASES]
)
async def test_each_result_is_captioned_for_what_was_asked(
    bot: BotHarness, start: Start, capability: Capability, kind: MediaKind, next_step: str
) -> None:
    chat = bot.new_user()
    await start(bot, chat)
    task = await bot.submitted_task()

    if kind is MediaKind.AUDIO:
        bot.kie.finish_music(task.task_id, tracks(bot, task.task_id))
        assert (await bot.kie.send_callback(task.task_id))[0] == 200
    elif kind is MediaKind.VIDEO:
        await finish_with(bot, task.task_id, CLIP, "video/mp4")
    else:
        await finish_with(bot, task.task_id, RESULT, "image/png")

    [sent, *_] = await bot.wait_sent(chat, SENT_AS[kind])
    caption = sent.params["caption"]
    assert caption == texts.done(kind, capability)
    assert next_step in caption
    if capability is not Capability.PHOTO_EDIT:
        assert "another photo any time" not in caption


def test_every_capability_has_its_own_caption_in_every_language() -> None:
    assert set(texts.DONE_BY_CAPABILITY) == set(Capability)
    for language in LANGUAGES:
        with speaking(language):
            captions = {texts.done(MediaKind.IMAGE, c) for c in Capability}
        assert len(captions) == len(Capability)
