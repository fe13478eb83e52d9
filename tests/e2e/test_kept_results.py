"""Results are kept: each sent result is copied into storage and named on its job, and the
buttons under it (Original, Edit this, Animate) use that copy, byte for byte, for its owner only,
across a restart, and politely once it is gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import boto3

from bot import texts
from bot.jobs.buttons import JobAction, JobButton, button_data, parse_button
from bot.sandbox.emulators.kie import KieTask
from bot.sandbox.emulators.telegram import ApiCall
from tests.conftest import BUCKET
from tests.e2e.test_commands import PERSON, command
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png

RESULT = png(96, 64, text=b"kept result")
GROUP = -1004440001
MENTION = "@photobot_test_bot"


def buttons(call: ApiCall) -> dict[str, JobButton]:
    """A message's buttons by label."""
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    found = {b["text"]: parse_button(b["callback_data"]) for row in rows for b in row}
    return {label: button for label, button in found.items() if button is not None}


async def deliver(
    bot: BotHarness, chat: int, results: list[bytes], *, user: int | None = None,
    caption: str = "make it blue", method: str = "sendPhoto", task_number: int | None = None,
) -> tuple[KieTask, ApiCall]:  # fmt: skip
    """A photo job in `chat` whose results are `results`; the first message they came in."""
    before = len(bot.kie.tasks)
    bot.send_photo(chat, caption=caption, data=PERSON, user_id=user)
    task = await bot.submitted_task(task_number or before + 1)
    urls = [bot.kie.add_result_file(data, name="r.png", content_type="image/png")
            for data in results]  # fmt: skip
    bot.kie.finish(task.task_id, result_urls=urls)
    status, _ = await bot.kie.send_callback(task.task_id)
    assert status == 200
    [sent] = await bot.wait_sent(chat, method)
    return task, sent


async def kept(bot: BotHarness, job_id: str, index: int = 0) -> dict[str, Any]:
    """The job's record of a kept result, once the job is delivered."""

    async def record() -> str | None:
        if await bot.redis.hget(f"job:{job_id}", "state") != "delivered":
            return None
        value: str | None = await bot.redis.hget(f"job:{job_id}", f"kept:{index}")
        return value

    loaded: dict[str, Any] = json.loads(await eventually(record))
    return loaded


def press(bot: BotHarness, chat: int, user: int, data: str, message: ApiCall) -> None:
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=user, data=data, message_id=message.result["message_id"]
    )


async def answers(bot: BotHarness, count: int = 1) -> list[ApiCall]:
    return await bot.telegram.wait_for("answerCallbackQuery", count=count)


async def fetched(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.read()


async def test_a_result_is_kept_and_original_sends_exactly_its_bytes(bot: BotHarness) -> None:
    chat = bot.new_user()
    _, photo = await deliver(bot, chat, [RESULT])
    shown = buttons(photo)
    assert set(shown) == {
        texts.BUTTON_ORIGINAL(), texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE(),
        texts.BUTTON_AGAIN(),
    }  # fmt: skip
    job_id = shown[texts.BUTTON_AGAIN()].job_id
    assert photo.params["reply_markup"]["inline_keyboard"][-1] == [
        {"text": texts.BUTTON_AGAIN(), "callback_data": button_data(JobAction.AGAIN, job_id)}
    ]
    record = await kept(bot, job_id)
    assert record["key"] == f"results/{job_id}/photobot-{job_id[:8]}-1.png"
    assert (record["mime"], record["size"]) == ("image/png", len(RESULT))

    press(bot, chat, chat, shown[texts.BUTTON_ORIGINAL()].data, photo)

    [document] = await bot.wait_sent(chat, "sendDocument")
    assert document.params["document"] == RESULT  # the provider's bytes, not a recompression
    assert document.params["reply_parameters"]["message_id"] == photo.result["message_id"]
    [answer] = await answers(bot)
    assert not answer.params.get("show_alert")


async def test_edit_this_asks_for_an_instruction_then_edits_the_stored_file(
    bot: BotHarness,
) -> None:
    chat = bot.new_user()
    _, photo = await deliver(bot, chat, [RESULT])
    job_id = buttons(photo)[texts.BUTTON_EDIT_THIS()].job_id
    await kept(bot, job_id)

    press(bot, chat, chat, buttons(photo)[texts.BUTTON_EDIT_THIS()].data, photo)
    await bot.wait_said(chat, lambda text: text == texts.EDIT_THIS_ASK())
    command(bot, chat, "add a red hat")
    task = await bot.submitted_task(2)

    assert task.model == "google/nano-banana-edit"
    assert task.input["prompt"] == "add a red hat"
    [url] = task.input["image_urls"]
    assert await fetched(url) == RESULT
    assert len(bot.telegram.calls_to("getFile")) == 1  # only the first job's photo


async def test_animate_sends_the_stored_image_to_video(bot: BotHarness) -> None:
    chat = bot.new_user()
    _, photo = await deliver(bot, chat, [RESULT])
    animate = buttons(photo)[texts.BUTTON_ANIMATE()]
    await kept(bot, animate.job_id)

    press(bot, chat, chat, animate.data, photo)  # Grok needs no description: it starts at once
    task = await bot.submitted_task(2)

    assert task.model == "grok-imagine/image-to-video"
    assert "prompt" not in task.input
    [url] = task.input["image_urls"]
    assert await fetched(url) == RESULT


async def test_animate_asks_for_a_description_when_the_model_needs_one(bot: BotHarness) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", "video_engine", "sora")
    _, photo = await deliver(bot, chat, [RESULT])
    animate = buttons(photo)[texts.BUTTON_ANIMATE()]
    await kept(bot, animate.job_id)

    press(bot, chat, chat, animate.data, photo)
    await bot.wait_said(chat, lambda text: text == texts.ANIMATE_ASK())
    command(bot, chat, "slow pan to the left")
    task = await bot.submitted_task(2)

    assert task.model == "sora-2-image-to-video"
    assert task.input["prompt"] == "slow pan to the left"
    assert await fetched(task.input["image_urls"][0]) == RESULT


async def test_someone_elses_press_in_a_group_gets_an_alert_and_starts_nothing(
    bot: BotHarness,
) -> None:
    owner, other = bot.new_user(), bot.new_user()
    _, photo = await deliver(bot, GROUP, [RESULT], user=owner, caption=f"{MENTION} make it blue")
    shown = buttons(photo)
    await kept(bot, shown[texts.BUTTON_ORIGINAL()].job_id)

    for label in (texts.BUTTON_ORIGINAL(), texts.BUTTON_EDIT_THIS(), texts.BUTTON_ANIMATE()):
        press(bot, GROUP, other, shown[label].data, photo)
    replies = await answers(bot, count=3)

    assert all(a.params["text"] == texts.KEPT_NOT_YOURS() for a in replies)
    assert all(a.params["show_alert"] is True for a in replies)
    assert bot.telegram.calls_to("sendDocument") == []
    assert len(bot.kie.tasks) == 1
    assert await bot.redis.keys("flow:*") == []
    # The owner's own press still works there.
    press(bot, GROUP, owner, shown[texts.BUTTON_ORIGINAL()].data, photo)
    [document] = await bot.wait_sent(GROUP, "sendDocument")
    assert document.params["document"] == RESULT


async def test_buttons_work_after_a_restart(start_bot: StartBot) -> None:
    async with start_bot() as first:
        chat = first.new_user()
        _, photo = await deliver(first, chat, [RESULT])
        original = buttons(photo)[texts.BUTTON_ORIGINAL()]
        await kept(first, original.job_id)

    async with start_bot() as second:  # a new process over the same Redis and storage
        press(second, chat, chat, original.data, photo)
        [document] = await second.wait_sent(chat, "sendDocument")
        assert document.params["document"] == RESULT


async def test_a_press_once_the_record_or_the_file_is_gone_is_answered_politely(
    bot: BotHarness, s3_endpoint: str
) -> None:
    chat = bot.new_user()
    _, photo = await deliver(bot, chat, [RESULT])
    original = buttons(photo)[texts.BUTTON_ORIGINAL()]
    record = await kept(bot, original.job_id)

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test",
                      aws_secret_access_key="test", region_name="us-east-1")  # fmt: skip
    s3.delete_object(Bucket=BUCKET, Key=record["key"])
    press(bot, chat, chat, original.data, photo)
    press(bot, chat, chat, buttons(photo)[texts.BUTTON_EDIT_THIS()].data, photo)
    await answers(bot, count=2)

    assert await bot.redis.delete(f"job:{original.job_id}") == 1  # the record expired
    press(bot, chat, chat, original.data, photo)
    forged = JobButton(JobAction.ORIGINAL, "0" * 32).data
    press(bot, chat, chat, forged, photo)
    replies = await answers(bot, count=4)

    assert [a.params["text"] for a in replies] == [texts.KEPT_GONE()] * 4
    assert all(a.params["show_alert"] is True for a in replies)
    assert bot.telegram.calls_to("sendDocument") == []
    assert await bot.redis.keys("flow:*") == []


async def test_an_album_gets_its_buttons_on_a_message_right_after_it(bot: BotHarness) -> None:
    chat = bot.new_user()
    results = [png(40 + n, 40, text=f"album {n}".encode()) for n in range(3)]
    _, album = await deliver(bot, chat, results, method="sendMediaGroup")
    [options] = await bot.wait_said(chat, lambda text: text == texts.ALBUM_OPTIONS())

    assert options.result["message_id"] > album.result[-1]["message_id"]
    shown = buttons(options)
    second = f"{texts.BUTTON_ORIGINAL()} 2"
    assert {label for label in shown if label.startswith(texts.BUTTON_ORIGINAL())} == {
        f"{texts.BUTTON_ORIGINAL()} {n}" for n in (1, 2, 3)
    }
    assert shown[second].index == 1
    await kept(bot, shown[second].job_id, index=2)

    press(bot, chat, chat, shown[second].data, options)
    [document] = await bot.wait_sent(chat, "sendDocument")
    assert document.params["document"] == results[1]


async def test_the_files_setting_sends_images_as_documents(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/settings")
    [menu] = await bot.wait_sent(chat, "sendMessage")
    press(bot, chat, chat, f"set:{chat}:images_as:file", menu)
    await answers(bot)
    assert await bot.redis.hget(f"settings:{chat}", "images_as") == "file"

    _, document = await deliver(bot, chat, [RESULT], method="sendDocument")

    assert document.params["document"] == RESULT
    assert set(buttons(document)) == {
        texts.BUTTON_EDIT_THIS(),
        texts.BUTTON_ANIMATE(),
        texts.BUTTON_AGAIN(),
    }  # already the original: no Original button
    assert bot.telegram.calls_to("sendPhoto") == []


async def test_a_storage_failure_while_keeping_still_delivers(
    start_bot: StartBot, tmp_path: Path
) -> None:
    local = {"r2_endpoint_url": None, "r2_access_key_id": None, "r2_secret_access_key": None,
             "r2_bucket": None, "data_dir": tmp_path / "local"}  # fmt: skip
    async with start_bot(**local) as bot:
        # The staged fault: a file where the results folder goes, so no copy can be written.
        blocker = tmp_path / "local" / "media" / "results"
        blocker.write_bytes(b"not a folder")
        chat = bot.new_user()
        _, photo = await deliver(bot, chat, [RESULT])
        original = buttons(photo)[texts.BUTTON_ORIGINAL()]

        assert photo.params["photo"] == RESULT
        await eventually(lambda: _delivered(bot, original.job_id))
        assert await bot.redis.hget(f"job:{original.job_id}", "kept:0") is None
        assert blocker.is_file()

        press(bot, chat, chat, original.data, photo)
        [answer] = await answers(bot)
        assert answer.params["text"] == texts.KEPT_GONE()
        assert bot.telegram.calls_to("sendDocument") == []


async def _delivered(bot: BotHarness, job_id: str) -> bool:
    return await bot.redis.hget(f"job:{job_id}", "state") == "delivered"
