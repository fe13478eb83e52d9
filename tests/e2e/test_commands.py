"""Every command of the catalog, end to end: the exact body Kie receives (model, fields, input
URLs that return the user's bytes, callBackUrl), and what the user hears."""

from __future__ import annotations

import struct
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot import texts
from bot.media.kinds import MediaKind
from bot.sandbox.emulators.kie import KieTask
from tests.harness import BotHarness, StartBot
from tests.images import jpeg, png

PERSON = jpeg(720, 1280)
RESULT = png(64, 64, text=b"result")


def mp4(tag: bytes = b"moves") -> bytes:
    """An MP4's first box (ftyp) and some payload: enough for the sniffer and the emulator."""
    return struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isomavc1" + tag * 20


async def fetched(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.read()


def command(bot: BotHarness, chat: int, text: str, **kw: Any) -> dict[str, Any]:
    return bot.telegram.message_update(chat_id=chat, user_id=chat, text=text, **kw)


def send_video(bot: BotHarness, chat: int, data: bytes, seconds: int, **kw: Any) -> dict[str, Any]:
    file_id, _ = bot.telegram.add_file(data, file_path_suffix="mp4")
    return bot.telegram.message_update(
        chat_id=chat, user_id=chat, video_file_id=file_id, video_duration=seconds, **kw
    )


def assert_callback_url(bot: BotHarness, task: KieTask) -> None:
    assert task.callback_url is not None
    assert task.callback_url.startswith(f"{bot.url}/api/kie/callback?")
    assert len(parse_qs(urlsplit(task.callback_url).query)["token"][0]) == 32


async def delivered_photo(bot: BotHarness, chat: int, task: KieTask) -> None:
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    [sent] = await bot.wait_sent(chat)
    assert sent.params["photo"] == RESULT


async def test_imagine_makes_an_image_from_words(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/imagine a red fox in the snow")

    task = await bot.submitted_task()
    assert task.model == "google/nano-banana"
    assert task.input == {"prompt": "a red fox in the snow", "output_format": "png",
                          "image_size": "auto"}  # fmt: skip
    assert_callback_url(bot, task)
    await delivered_photo(bot, chat, task)


async def test_imagine_without_words_asks_for_them(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/imagine")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["imagine"]())

    bot.telegram.message_update(chat_id=chat, user_id=chat, text="a lighthouse at dusk")

    task = await bot.submitted_task()
    assert task.input["prompt"] == "a lighthouse at dusk"


async def test_edit_as_a_caption_and_as_a_reply(bot: BotHarness) -> None:
    chat = bot.new_user()
    photo = bot.send_photo(chat, caption="/edit add a red hat", data=PERSON)

    task = await bot.submitted_task()
    assert task.model == "google/nano-banana-edit"
    assert task.input["prompt"] == "add a red hat"
    [url] = task.input["image_urls"]
    assert await fetched(url) == PERSON

    command(bot, chat, "/edit now a blue one", reply_to_message_id=photo["message"]["message_id"])
    second = await bot.submitted_task(2)
    assert second.input["prompt"] == "now a blue one"
    assert await fetched(second.input["image_urls"][0]) == PERSON


async def test_edit_on_an_album_takes_every_photo(bot: BotHarness) -> None:
    chat = bot.new_user()
    photos = [jpeg(400 + n, 400) for n in range(3)]
    for n, data in enumerate(photos):
        caption = "/edit same outfit on everyone" if n == 0 else None
        bot.send_photo(chat, caption, data, media_group_id=f"edit-{chat}")

    task = await bot.submitted_task()
    assert task.model == "google/nano-banana-edit"
    assert [await fetched(u) for u in task.input["image_urls"]] == photos


@pytest.mark.parametrize(
    ("engine", "model", "fields"),
    [
        ("grok", "grok-imagine/text-to-video",
         {"duration": "6", "mode": "normal", "resolution": "720p"}),
        ("sora", "sora-2-text-to-video",
         {"aspect_ratio": "landscape", "n_frames": "10", "remove_watermark": True}),
    ],
)  # fmt: skip
async def test_video_from_words_uses_the_users_engine(
    bot: BotHarness, engine: str, model: str, fields: dict[str, Any]
) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", "video_engine", engine)
    command(bot, chat, "/video waves at sunset")

    task = await bot.submitted_task()
    assert task.model == model
    assert task.input == {"prompt": "waves at sunset", **fields}


async def test_video_on_a_photo_moves_that_photo(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="/video slow zoom out", data=PERSON)

    task = await bot.submitted_task()
    assert task.model == "grok-imagine/image-to-video"
    assert task.input["prompt"] == "slow zoom out"
    assert await fetched(task.input["image_urls"][0]) == PERSON


@pytest.mark.parametrize(("seconds", "orientation"), [(5, "image"), (12, "video")])
async def test_dance_takes_a_photo_and_a_video_in_either_order(
    bot: BotHarness, seconds: int, orientation: str
) -> None:
    chat = bot.new_user()
    moves = mp4(b"dance%d" % seconds)
    command(bot, chat, "/dance")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["dance"]())
    send_video(bot, chat, moves, seconds)
    await bot.wait_said(chat, lambda t: t == texts.FLOW_ASK_MEDIA[MediaKind.IMAGE]())
    bot.send_photo(chat, data=PERSON)

    task = await bot.submitted_task()
    assert task.model == "kling-2.6/motion-control"
    assert task.input["character_orientation"] == orientation
    assert task.input["mode"] == "720p"
    assert await fetched(task.input["input_urls"][0]) == PERSON
    assert await fetched(task.input["video_urls"][0]) == moves


async def test_dance_refuses_a_video_out_of_bounds_before_any_call(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/dance")
    send_video(bot, chat, mp4(), 45)

    [said] = await bot.wait_said(chat, lambda t: "45 s long" in t)
    assert "3 to 30 s" in said.params["text"]
    assert bot.kie.tasks == {}
    assert bot.telegram.calls_to("getFile") == []


async def test_animate_sends_single_urls(bot: BotHarness) -> None:
    chat = bot.new_user()
    moves = mp4(b"animate")
    command(bot, chat, "/animate")
    bot.send_photo(chat, data=PERSON)
    await bot.wait_said(chat, lambda t: t == texts.FLOW_ASK_MEDIA[MediaKind.VIDEO]())
    send_video(bot, chat, moves, 8)

    task = await bot.submitted_task()
    assert task.model == "wan/2-2-animate-move"
    assert await fetched(task.input["image_url"]) == PERSON
    assert await fetched(task.input["video_url"]) == moves


async def test_music_with_a_description_starts_at_once(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/music rainy jazz for a slow sunday")

    task = await bot.submitted_task()
    assert task.family == "suno" and task.model == "V5"
    assert task.input == {"prompt": "rainy jazz for a slow sunday", "customMode": False,
                          "instrumental": False, "model": "V5"}  # fmt: skip
    assert_callback_url(bot, task)


@pytest.mark.parametrize(("lyrics", "sent"), [("la la la, rain", "la la la, rain"),
                                              ("instrumental", None)])  # fmt: skip
async def test_music_alone_asks_lyrics_style_and_title(
    bot: BotHarness, lyrics: str, sent: str | None
) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", "music_model", "V4")
    command(bot, chat, "/music")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["music"]())
    bot.telegram.message_update(chat_id=chat, user_id=chat, text=lyrics)
    await bot.wait_said(chat, lambda t: t == texts.FLOW_ASK_TEXT["style"]())
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="lo-fi, soft female vocals")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_ASK_TEXT["title"]())
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="Rainy Sunday")

    task = await bot.submitted_task()
    expected = {"customMode": True, "instrumental": sent is None, "model": "V4",
                "style": "lo-fi, soft female vocals", "title": "Rainy Sunday"}  # fmt: skip
    if sent is not None:
        expected["prompt"] = sent
    assert task.input == expected


async def test_a_style_over_the_music_models_limit_is_refused(bot: BotHarness) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", "music_model", "V4")
    command(bot, chat, "/music")
    for text in ("instrumental", "s" * 201, "Too Long"):
        bot.telegram.message_update(chat_id=chat, user_id=chat, text=text)

    await bot.wait_said(chat, lambda t: "style is too long" in t and "200" in t)
    assert bot.kie.tasks == {}


async def test_cancel_ends_a_flow_and_says_so(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/dance")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["dance"]())
    command(bot, chat, "/cancel")
    await bot.wait_said(chat, lambda t: t == texts.CANCELLED())
    command(bot, chat, "/cancel")
    await bot.wait_said(chat, lambda t: t == texts.NOTHING_TO_CANCEL())

    photo = bot.send_photo(chat, caption="make it pop art")  # outside a flow: as before
    task = await bot.submitted_task()
    assert task.model == "nano-banana-pro"
    assert photo["message"]["caption"] == "make it pop art"


async def test_an_idle_flow_times_out_politely(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/animate")
    await bot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["animate"]())
    # Ten minutes pass: the flow's deadline is now.
    [member] = await bot.redis.zrange("flows:deadlines", 0, -1)
    await bot.redis.zadd("flows:deadlines", {member: 0})

    await bot.wait_said(chat, lambda t: t == texts.FLOW_TIMED_OUT(command="animate"))
    assert await bot.redis.get(f"flow:{chat}:{chat}") is None


async def test_help_lists_every_command(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/help")
    [said] = await bot.wait_said(chat, lambda t: t == texts.HELP())
    for name in ("imagine", "edit", "video", "dance", "animate", "music", "settings", "cancel"):
        assert f"/{name}" in said.params["text"]


async def test_steps_sent_in_quick_succession_are_taken_in_order(bot: BotHarness) -> None:
    chat = bot.new_user()
    for text in ("/music", "first verse", "ambient", "Drift"):  # no waiting between them
        bot.telegram.message_update(chat_id=chat, user_id=chat, text=text)

    task = await bot.submitted_task()
    assert (task.input["prompt"], task.input["style"], task.input["title"]) == (
        "first verse", "ambient", "Drift",
    )  # fmt: skip


async def test_a_flow_continues_after_a_restart(start_bot: StartBot) -> None:
    async with start_bot() as first:
        chat = first.new_user()
        command(first, chat, "/dance")
        first.send_photo(chat, data=PERSON)
        await first.wait_said(chat, lambda t: t == texts.FLOW_ASK_MEDIA[MediaKind.VIDEO]())

    async with start_bot() as second:  # a new process (or another replica), same Redis
        send_video(second, chat, mp4(b"after restart"), 6)
        task = await second.submitted_task()
        assert task.model == "kling-2.6/motion-control"
        assert await fetched(task.input["input_urls"][0]) == PERSON


async def test_the_command_menu_is_set_at_start(bot: BotHarness) -> None:
    calls = bot.telegram.calls_to("setMyCommands")  # one per language, and one for the rest
    [call] = [c for c in calls if not c.params.get("language_code")]
    names = [c["command"] for c in call.params["commands"]]
    assert names == [name for name, _ in texts.COMMAND_MENU]
    assert {"imagine", "dance", "music", "cancel"} <= set(names)
