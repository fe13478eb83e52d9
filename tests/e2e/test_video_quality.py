"""The /settings row "Video quality" (standard / pro): with the Sora engine, pro picks Sora 2 Pro
(Kie's default `size` sent); with Grok it changes nothing, and its row says so."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import texts
from bot.models import REGISTRY
from bot.sandbox.emulators.telegram import ApiCall
from tests.e2e.test_commands import PERSON, command, fetched
from tests.harness import BotHarness


def labels(call: ApiCall) -> list[str]:
    markup = call.params["reply_markup"]
    markup = markup if isinstance(markup, dict) else json.loads(markup)
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


async def press(bot: BotHarness, chat: int, data: str, message_id: int, count: int) -> ApiCall:
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=f"set:{chat}:{data}", message_id=message_id
    )
    edits = await bot.telegram.wait_for(
        "editMessageText", lambda c: c.ok and int(c.params["chat_id"]) == chat, count=count
    )
    return edits[-1]


async def choose(bot: BotHarness, chat: int, engine: str, *qualities: str) -> list[str]:
    """Through the one /settings menu: the engine, then each quality in turn; the menu's rows
    after."""
    command(bot, chat, "/settings")
    [menu] = await bot.wait_said(chat, lambda t: t == texts.SETTINGS())
    message_id = menu.result["message_id"]
    await press(bot, chat, f"video_engine:{engine}", message_id, 1)
    rows: list[str] = []
    for count, quality in enumerate(qualities, start=2):
        rows = labels(await press(bot, chat, f"video_quality:{quality}", message_id, count))
    return rows


@pytest.mark.parametrize(
    ("start", "model", "extra"),
    [
        ("/video waves at night", "sora-2-pro-text-to-video", {}),
        ("photo", "sora-2-pro-image-to-video", {"image_urls": 1}),
    ],
)
async def test_pro_with_sora_sends_sora_2_pro_with_kies_default_size(
    bot: BotHarness, start: str, model: str, extra: dict[str, Any]
) -> None:
    chat = bot.new_user()
    rows = await choose(bot, chat, "sora", "pro")
    assert "Video quality: pro" in rows  # no "Sora only" note: it applies

    if start == "photo":
        bot.send_photo(chat, caption="/video waves at night", data=PERSON)
    else:
        command(bot, chat, start)
    task = await bot.submitted_task()

    assert task.model == model
    fields = {k: v for k, v in task.input.items() if k != "image_urls"}
    assert fields == {"prompt": "waves at night", "aspect_ratio": "landscape",
                      "n_frames": "10", "remove_watermark": True, "size": "standard"}  # fmt: skip
    if extra:
        assert await fetched(task.input["image_urls"][0]) == PERSON


async def test_standard_with_sora_keeps_sora_2(bot: BotHarness) -> None:
    chat = bot.new_user()
    rows = await choose(bot, chat, "sora", "pro", "standard")
    assert "Video quality: standard" in rows
    command(bot, chat, "/video waves")
    task = await bot.submitted_task()
    assert task.model == "sora-2-text-to-video" and "size" not in task.input


async def test_pro_with_grok_changes_nothing_and_the_row_says_so(bot: BotHarness) -> None:
    chat = bot.new_user()
    await choose(bot, chat, "sora", "pro")
    menu, *_ = await bot.wait_said(chat, lambda t: t == texts.SETTINGS())
    rows = labels(await press(bot, chat, "video_engine:grok", menu.result["message_id"], 3))
    assert f"Video quality: pro ({texts_note()})" in rows

    command(bot, chat, "/video waves")
    task = await bot.submitted_task()
    assert task.model == "grok-imagine/text-to-video"
    assert task.input == {"prompt": "waves", "duration": "6", "mode": "normal",
                          "resolution": "720p"}  # fmt: skip


def texts_note() -> str:
    note = REGISTRY.setting("video_quality").not_applying
    assert note is not None
    return note()
