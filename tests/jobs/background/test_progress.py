"""Long jobs keep people informed: a chat action while a video or song is made, and a status
message with the stage and the time so far."""

from __future__ import annotations

import time

from bot import texts
from bot.media.kinds import MediaKind
from tests.harness import BotHarness


async def job_id_of(bot: BotHarness) -> str:
    [key] = [key async for key in bot.redis.scan_iter("job:*")]
    return str(key).removeprefix("job:")


async def test_a_video_job_shows_an_action_and_its_running_time(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/video waves at sunset")
    await bot.submitted_task()
    await bot.wait_said(chat, lambda t: t == texts.GENERATING_VIDEO())

    [action] = await bot.telegram.wait_for("sendChatAction", lambda c: c.params["chat_id"] == chat)
    assert action.params["action"] == "upload_video"
    # The job has been running for 80 s.
    job_id = await job_id_of(bot)
    await bot.redis.hset(f"job:{job_id}", "created_at", repr(time.time() - 80))

    await bot.wait_said(chat, lambda t: t == texts.progress(MediaKind.VIDEO, "", 80))
    assert texts.progress(MediaKind.VIDEO, "", 80) == "Making your video… 1 min 20 s so far."


async def test_a_song_shows_its_stage(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/music rainy jazz")
    task = await bot.submitted_task()
    await bot.wait_said(chat, lambda t: t == texts.GENERATING_MUSIC())
    bot.kie.finish_music(task.task_id, stage="first")

    status, _ = await bot.kie.send_callback(task.task_id)

    assert status == 200
    job_id = await job_id_of(bot)
    assert await bot.redis.hget(f"job:{job_id}", "stage") == "first"
    assert await bot.redis.hget(f"job:{job_id}", "state") == "submitted"
    await bot.redis.hset(f"job:{job_id}", "created_at", repr(time.time() - 30))
    [said] = await bot.wait_said(chat, lambda t: t.startswith("The first track is ready"))
    assert said.params["text"].endswith("30 s so far.")
    [action] = await bot.telegram.wait_for("sendChatAction", lambda c: c.params["chat_id"] == chat)
    assert action.params["action"] == "upload_voice"


async def test_an_image_job_has_no_progress_ticks(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/imagine a fox")
    await bot.submitted_task()
    await bot.wait_said(chat, lambda t: t == texts.GENERATING())

    assert await bot.redis.zcard("jobs:progress") == 0
