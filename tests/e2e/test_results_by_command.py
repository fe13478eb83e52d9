"""Each command through to the chat: Kie calls back in its shape for that model, and the result
goes out the way its kind asks (photo, streaming video, tracks), once."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.emulators.kie import TINY_MP3, SunoTrack
from tests.e2e.test_commands import PERSON, command, send_video
from tests.harness import BotHarness, StartBot
from tests.images import mp4, png

CLIP = mp4(720, 1280, 6.0, text=b"result clip")


async def finish_with(bot: BotHarness, task_id: str, data: bytes, content_type: str) -> None:
    url = bot.kie.add_result_file(data, name="result", content_type=content_type)
    bot.kie.finish(task_id, result_urls=[url])
    status, _ = await bot.kie.send_callback(task_id)
    assert status == 200


async def start_dance(bot: BotHarness, chat: int) -> None:
    command(bot, chat, "/dance")
    bot.send_photo(chat, data=PERSON)
    send_video(bot, chat, mp4(text=b"moves"), 6)


async def start_animate(bot: BotHarness, chat: int) -> None:
    command(bot, chat, "/animate")
    send_video(bot, chat, mp4(text=b"drive"), 6)
    bot.send_photo(chat, data=PERSON)


async def start_video(bot: BotHarness, chat: int) -> None:
    command(bot, chat, "/video waves at sunset")


async def start_video_on_photo(bot: BotHarness, chat: int) -> None:
    bot.send_photo(chat, caption="/video slow zoom", data=PERSON)


@pytest.mark.parametrize(
    ("start", "model"),
    [
        (start_video, "grok-imagine/text-to-video"),
        (start_video_on_photo, "grok-imagine/image-to-video"),
        (start_dance, "kling-2.6/motion-control"),
        (start_animate, "wan/2-2-animate-move"),
    ],
)
async def test_every_video_command_ends_in_a_streaming_video(
    bot: BotHarness, start: Any, model: str
) -> None:
    chat = bot.new_user()
    await start(bot, chat)
    task = await bot.submitted_task()
    assert task.model == model

    await finish_with(bot, task.task_id, CLIP, "video/mp4")

    [video] = await bot.wait_sent(chat, "sendVideo")
    assert video.params["video"] == CLIP
    assert video.params["supports_streaming"] is True
    assert (video.params["width"], video.params["height"]) == (720, 1280)
    assert bot.telegram.calls_to("sendPhoto") == []


async def test_edit_ends_in_a_photo(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="/edit add a hat", data=PERSON)
    task = await bot.submitted_task()
    result = png(32, 32, text=b"edited")

    await finish_with(bot, task.task_id, result, "image/png")

    [photo] = await bot.wait_sent(chat)
    assert photo.params["photo"] == result


def tracks(bot: BotHarness, task_id: str) -> list[SunoTrack]:
    cover = bot.kie.add_result_file(png(8, 8), name="cover.png")
    return [
        SunoTrack(f"{task_id}-{n}", bot.kie.add_result_file(TINY_MP3 + bytes([n]), name="a.mp3",
                  content_type="audio/mpeg"), cover, title=f"Rain {n}", duration=30.0 * n)
        for n in (1, 2)
    ]  # fmt: skip


async def test_music_stages_repeated_and_out_of_order_deliver_each_track_once(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    command(bot, chat, "/music rainy jazz")
    task = await bot.submitted_task()
    made = bot.kie.finish_music(task.task_id, tracks(bot, task.task_id), stage="first")
    bodies = [bot.kie.music_callback_body(task.task_id, stage) for stage in
              ("text", "first", "first", "complete", "first", "complete", "text")]  # fmt: skip
    bot.kie.finish_music(task.task_id, made)  # complete, for what polling would say

    for body in bodies:
        status, _ = await bot.kie.send_callback(task.task_id, body=body)
        assert status == 200

    sent = await bot.wait_sent(chat, "sendAudio", count=2)
    await bot.telegram.wait_for("deleteMessage")  # the job is done: delivered and tidied up
    assert len(bot.telegram.calls_to("sendAudio")) == 2
    assert [c.params["title"] for c in sent] == ["Rain 1", "Rain 2"]
    assert [c.params["audio"] for c in sent] == [TINY_MP3 + b"\x01", TINY_MP3 + b"\x02"]
    assert [c.params["duration"] for c in sent] == [30, 60]


@pytest.mark.parametrize("text", ["/video waves", "/music a lullaby"])
async def test_polling_delivers_video_and_music_whose_callbacks_never_come(
    start_bot: StartBot, text: str
) -> None:
    async with start_bot(poll_after_seconds=1) as bot:
        chat = bot.new_user()
        command(bot, chat, text)
        task = await bot.submitted_task()
        if task.family == "suno":
            bot.kie.finish_music(task.task_id, tracks(bot, task.task_id))
            method, count = "sendAudio", 2
        else:
            url = bot.kie.add_result_file(CLIP, name="clip.mp4", content_type="video/mp4")
            bot.kie.finish(task.task_id, result_urls=[url])
            method, count = "sendVideo", 1

        await bot.wait_sent(chat, method, count=count)

        polls = [r for r in bot.kie.requests if "record" in r.path.lower()]
        assert polls and all(r.query["taskId"] == task.task_id for r in polls)
