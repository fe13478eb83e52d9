"""An album is one job (or one style keyboard), never one answer per photo."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot import texts
from tests.harness import BotHarness

GROUP = -1005550002
MAX_INPUT_IMAGES = 8  # the photo model's limit in the registry
MENTION = "@photobot_test_bot"


def photo_bytes(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"album photo {n}".encode() * 8 + b"\xff\xd9"


def send_album(
    bot: BotHarness, chat: int, count: int, caption: str | None, **kw: Any
) -> list[dict[str, Any]]:
    group_id = f"album-{chat}-{count}"
    return [
        bot.send_photo(chat, caption if n == 0 else None, photo_bytes(n),
                       media_group_id=group_id, **kw)
        for n in range(count)
    ]  # fmt: skip


async def fetched(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return await response.read()


async def test_a_captioned_album_is_one_job_with_every_photo_in_order(bot: BotHarness) -> None:
    chat = bot.new_user()
    updates = send_album(bot, chat, 4, "make them watercolors")

    task = await bot.submitted_task()
    await bot.settled(*updates)

    assert len(bot.kie.tasks) == 1
    assert task.input["prompt"] == "make them watercolors"
    urls = task.input["image_input"]
    assert [await fetched(url) for url in urls] == [photo_bytes(n) for n in range(4)]
    offers = [
        c for c in bot.telegram.sent_messages(chat) if c.params.get("text") == texts.PICK_STYLE()
    ]
    assert offers == []  # no style keyboard (the status message carries only its Cancel)
    [status] = await bot.wait_sent(chat, "sendMessage")
    assert status.params["reply_parameters"]["message_id"] == updates[0]["message"]["message_id"]


async def test_an_album_without_caption_gets_one_keyboard_and_one_job(bot: BotHarness) -> None:
    chat = bot.new_user()
    updates = send_album(bot, chat, 4, None)

    [offer] = await bot.wait_said(chat, lambda t: t == texts.PICK_STYLE())
    await bot.settled(*updates)
    assert len(bot.telegram.sent_messages(chat)) == 1

    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data="style:sketch", message_id=offer.result["message_id"]
    )
    task = await bot.submitted_task()
    assert len(task.input["image_input"]) == 4


async def test_an_album_over_the_model_limit_is_refused_once(bot: BotHarness) -> None:
    chat = bot.new_user()
    updates = send_album(bot, chat, MAX_INPUT_IMAGES + 1, "too many")

    await bot.wait_said(chat, lambda t: t == texts.TOO_MANY_PHOTOS(most=8))
    await bot.settled(*updates)
    assert len(bot.telegram.sent_messages(chat)) == 1
    assert bot.kie.tasks == {}
    assert bot.telegram.calls_to("getFile") == []


async def test_a_group_album_counts_only_when_it_mentions_the_bot(bot: BotHarness) -> None:
    user = bot.new_user()
    ignored = send_album(bot, GROUP, 3, "our holiday", user_id=user)
    addressed = send_album(bot, GROUP, 2, f"{MENTION} make it pop art", user_id=user)

    task = await bot.submitted_task()
    await bot.settled(*ignored, *addressed)
    assert len(bot.kie.tasks) == 1
    assert task.input["prompt"] == "make it pop art"
    assert len(task.input["image_input"]) == 2
