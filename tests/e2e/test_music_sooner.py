"""Music sooner: Suno's first track goes out when Suno says it is ready (the `first` stage, by
callback or by polling's FIRST_SUCCESS), the other at `complete`, each exactly once."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

from bot import texts
from bot.constants import UNDELIVERED_KEY
from bot.jobs.store import JobStore
from bot.media.kinds import MediaKind
from bot.providers.kie.parsing import parse_kie_callback
from bot.sandbox.emulators.kie import TINY_MP3
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import TOKEN
from tests.e2e.test_commands import command
from tests.e2e.test_results_by_command import tracks
from tests.harness import BotHarness, StartBot, eventually

FIRST, SECOND = TINY_MP3 + b"\x01", TINY_MP3 + b"\x02"


def audio_sent(bot: BotHarness, chat: int) -> list[bytes]:
    return [
        c.params["audio"] for c in bot.telegram.calls_to("sendAudio")
        if c.ok and int(c.params["chat_id"]) == chat
    ]  # fmt: skip


async def _no_lease(bot: BotHarness, task_id: str) -> bool:
    [job_key] = [k for k in await bot.redis.keys("job:*") if
                 await bot.redis.hget(k, "task_id") in (task_id, task_id.encode())]  # fmt: skip
    fields = await bot.redis.hkeys(job_key)
    names = {f.decode() if isinstance(f, bytes) else f for f in fields}
    return "lease_owner" not in names and not any(n.startswith("result:") for n in names)


def polls(bot: BotHarness) -> int:
    return sum(1 for r in bot.kie.requests if r.path.endswith("/generate/record-info"))


async def test_the_first_track_goes_out_at_first_and_the_second_at_complete(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    command(bot, chat, "/music rainy jazz")
    task = await bot.submitted_task()
    made = bot.kie.finish_music(task.task_id, tracks(bot, task.task_id), stage="first")
    first_body = bot.kie.music_callback_body(task.task_id, "first")
    # A real `first` callback: the second track has no audio_url and no duration yet.
    assert first_body["data"]["data"][1]["audio_url"] == ""
    assert first_body["data"]["data"][1]["duration"] is None

    assert (await bot.kie.send_callback(task.task_id, body=first_body))[0] == 200
    [early] = await bot.wait_sent(chat, "sendAudio")
    assert early.params["audio"] == FIRST and early.params["title"] == "Rain 1"
    assert early.params["caption"] == texts.early_caption(MediaKind.AUDIO)
    assert bot.telegram.calls_to("deleteMessage") == []  # the job still runs: its status stays

    # Kie repeats the stage: nothing goes out again.
    assert (await bot.kie.send_callback(task.task_id, body=first_body))[0] == 200
    bot.kie.finish_music(task.task_id, made)
    assert (await bot.kie.send_callback(task.task_id))[0] == 200

    sent = await bot.wait_sent(chat, "sendAudio", count=2)
    await bot.telegram.wait_for("deleteMessage")  # done: delivered and tidied up
    assert audio_sent(bot, chat) == [FIRST, SECOND]
    assert sent[1].params["title"] == "Rain 2" and sent[1].params["duration"] == 60
    assert sent[1].params["caption"] == texts.done(MediaKind.AUDIO)


async def test_polling_alone_sends_the_first_track_at_first_success(
    start_bot: StartBot,
) -> None:
    async with start_bot(poll_after_seconds=1) as bot:
        chat = bot.new_user()
        command(bot, chat, "/music a lullaby")
        task = await bot.submitted_task()
        made = bot.kie.finish_music(task.task_id, tracks(bot, task.task_id), stage="first")

        await bot.wait_sent(chat, "sendAudio")
        seen = polls(bot)
        await eventually(lambda: polls(bot) > seen, within=20)  # FIRST_SUCCESS answered again
        assert audio_sent(bot, chat) == [FIRST]

        bot.kie.finish_music(task.task_id, made)
        await bot.wait_sent(chat, "sendAudio", count=2)
        await bot.telegram.wait_for("deleteMessage")
        assert audio_sent(bot, chat) == [FIRST, SECOND]


async def test_callback_and_poll_both_arriving_send_each_track_once(
    start_bot: StartBot,
) -> None:
    async with start_bot(poll_after_seconds=1) as bot:
        chat = bot.new_user()
        command(bot, chat, "/music sea shanty")
        task = await bot.submitted_task()
        made = bot.kie.finish_music(task.task_id, tracks(bot, task.task_id), stage="first")
        body = bot.kie.music_callback_body(task.task_id, "first")
        for _ in range(3):
            assert (await bot.kie.send_callback(task.task_id, body=body))[0] == 200
        seen = polls(bot)
        await eventually(lambda: polls(bot) > seen, within=20)  # the poller saw FIRST_SUCCESS

        bot.kie.finish_music(task.task_id, made)
        assert (await bot.kie.send_callback(task.task_id))[0] == 200
        await bot.telegram.wait_for("deleteMessage")
        assert (await bot.kie.send_callback(task.task_id))[0] == 200  # a late repeat
        assert audio_sent(bot, chat) == [FIRST, SECOND]


async def test_a_first_track_that_cannot_be_fetched_goes_with_the_rest_at_complete(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    command(bot, chat, "/music lost and found")
    task = await bot.submitted_task()
    made = tracks(bot, task.task_id)
    missing = made[0].__class__(made[0].id, f"{bot.kie.url}/files/gone.mp3", made[0].image_url,
                                title="Rain 1", duration=30.0)  # fmt: skip
    bot.kie.finish_music(task.task_id, [missing, made[1]], stage="first")
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    # The early attempt met a 404 and gave the job back: nothing sent, nothing marked.
    await eventually(lambda: any(r.path == "/files/gone.mp3" for r in bot.kie.requests))
    await eventually(lambda: _no_lease(bot, task.task_id))
    assert audio_sent(bot, chat) == []

    bot.kie.finish_music(task.task_id, made)  # the first track's file is there now
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    await bot.wait_sent(chat, "sendAudio", count=2)
    await bot.telegram.wait_for("deleteMessage")
    assert audio_sent(bot, chat) == [FIRST, SECOND]


async def test_two_replicas_hearing_every_stage_send_each_track_once(
    bot: BotHarness, start_bot: StartBot
) -> None:
    """The second replica has its own Bot API emulator, so each replica's sends are counted."""
    chat = bot.new_user()
    command(bot, chat, "/music two rooms")
    task = await bot.submitted_task()
    made = bot.kie.finish_music(task.task_id, tracks(bot, task.task_id), stage="first")
    assert task.callback_url is not None
    async with (
        TelegramEmulator(token=TOKEN) as other_telegram,
        start_bot(telegram_emulator=other_telegram) as other,
    ):
        urls = [task.callback_url, task.callback_url.replace(bot.url, other.url)] * 3
        first = bot.kie.music_callback_body(task.task_id, "first")
        answers = await asyncio.gather(
            *(bot.kie.send_callback(task.task_id, body=first, url=u) for u in urls)
        )
        assert [status for status, _ in answers] == [200] * 6
        await eventually(lambda: len(sent_by_both(bot, other_telegram, chat)) == 1)

        bot.kie.finish_music(task.task_id, made)
        answers = await asyncio.gather(*(bot.kie.send_callback(task.task_id, url=u) for u in urls))
        assert [status for status, _ in answers] == [200] * 6
        await eventually(lambda: len(sent_by_both(bot, other_telegram, chat)) == 2)
        await eventually(lambda: nothing_undelivered(bot))  # the job is closed: no late sends
        assert sorted(sent_by_both(bot, other_telegram, chat)) == [FIRST, SECOND]


async def nothing_undelivered(bot: BotHarness) -> bool:
    return await bot.redis.zcard(UNDELIVERED_KEY) == 0


def sent_by_both(bot: BotHarness, other: TelegramEmulator, chat: int) -> list[bytes]:
    return [
        c.params["audio"] for t in (bot.telegram, other) for c in t.calls_to("sendAudio")
        if c.ok and int(c.params["chat_id"]) == chat
    ]  # fmt: skip


async def test_a_first_track_kept_while_no_bot_runs_goes_out_after_the_restart(
    start_bot: StartBot,
) -> None:
    async with start_bot() as before:
        chat = before.new_user()
        command(before, chat, "/music after the storm")
        task = await before.submitted_task()
        made = before.kie.finish_music(task.task_id, tracks(before, task.task_id), stage="first")
    assert task.callback_url is not None
    job_id = parse_qs(urlsplit(task.callback_url).query)["job"][0]
    # The stage is stored (as a callback's or a poll's would be) while no deliverer listens.
    early = parse_kie_callback(json.dumps(before.kie.music_callback_body(task.task_id))).early
    assert await JobStore(before.redis).record_early(job_id, early, expected_task_id=task.task_id)

    async with start_bot() as after:
        await after.wait_sent(chat, "sendAudio")
        after.kie.finish_music(task.task_id, made)
        url = task.callback_url.replace(before.url, after.url)  # the new process's port
        assert (await after.kie.send_callback(task.task_id, url=url))[0] == 200
        await after.wait_sent(chat, "sendAudio", count=2)
        await eventually(lambda: nothing_undelivered(after))
        assert audio_sent(after, chat) == [FIRST, SECOND]
