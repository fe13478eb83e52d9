"""A photo with a caption becomes a result in the same chat: the whole path, edges only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot import texts
from bot.errors import FailureKind
from tests.harness import TINY_JPEG, BotHarness, eventually
from tests.images import png

RESULT_PNG = png(text=b"result-image")


async def test_photo_with_caption_is_generated_and_delivered_once(bot: BotHarness) -> None:
    chat = bot.new_user()
    update = bot.send_photo(chat, caption="make it a watercolor", data=TINY_JPEG)
    photo_message_id = update["message"]["message_id"]

    task = await bot.submitted_task()
    assert task.model == "nano-banana-pro"
    assert task.input["prompt"] == "make it a watercolor"
    [image_url] = task.input["image_input"]
    async with aiohttp.ClientSession() as http, http.get(image_url) as response:
        assert response.status == 200
        assert await response.read() == TINY_JPEG
    assert "X-Amz-Signature" in image_url
    assert task.callback_url.startswith(f"{bot.url}/api/kie/callback?")
    query = parse_qs(urlsplit(task.callback_url).query)
    assert len(query["token"][0]) >= 32

    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    status, answer = await bot.kie.send_callback(task.task_id)
    assert (status, answer) == (200, {"code": 200, "msg": "success"})

    [sent] = await bot.wait_sent(chat)
    assert sent.params["photo"] == RESULT_PNG
    assert sent.params["reply_parameters"]["message_id"] == photo_message_id
    assert sent.params["caption"] == texts.DONE()
    [deleted] = await bot.telegram.wait_for("deleteMessage")
    status_message = bot.telegram.calls_to("sendMessage")[0]
    assert deleted.params["message_id"] == status_message.result["message_id"]
    assert len(bot.telegram.sent_messages(chat)) == 2  # the status message and the result


def seed_format_a(task_id: str, url: str) -> dict[str, object]:
    return {"taskId": task_id, "status": "completed", "output": {"image_urls": [url]}}


def seed_format_b(task_id: str, url: str) -> dict[str, object]:
    return {
        "code": 200,
        "data": {"callbackType": "complete", "task_id": task_id, "data": [{"image_url": url}]},
    }


def seed_format_c(task_id: str, url: str) -> dict[str, object]:
    return {
        "code": 200,
        "data": {
            "taskId": task_id,
            "state": "success",
            "resultJson": f'{{"resultUrls":["{url}"]}}',
        },
    }


def kie_envelope(task_id: str, url: str) -> dict[str, object]:
    return {
        "code": 200,
        "msg": "Playground task completed successfully.",
        "data": {
            "taskId": task_id,
            "model": "nano-banana-pro",
            "state": "success",
            "param": "{}",
            "resultJson": f'{{"resultUrls":["{url}"]}}',
            "failCode": "",
            "failMsg": "",
            "costTime": 15,
            "completeTime": 1765178640000,
            "createTime": 1765178625768,
        },
    }


@pytest.mark.parametrize("shape", [seed_format_a, seed_format_b, seed_format_c, kie_envelope])
async def test_every_callback_shape_delivers_the_result_once(
    bot: BotHarness, shape: Callable[[str, str], dict[str, object]]
) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="neon portrait")
    task = await bot.submitted_task()
    url = bot.kie.add_result_file(RESULT_PNG)

    status, _ = await bot.kie.send_callback(task.task_id, body=shape(task.task_id, url))

    assert status == 200
    [sent] = await bot.wait_sent(chat)
    assert sent.params["photo"] == RESULT_PNG
    await bot.telegram.wait_for("deleteMessage")
    assert [c.method for c in bot.telegram.sent_messages(chat)] == ["sendMessage", "sendPhoto"]


async def test_same_callback_five_times_delivers_once(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="pop art")
    task = await bot.submitted_task()
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])

    answers = await asyncio.gather(*(bot.kie.send_callback(task.task_id) for _ in range(5)))

    assert [status for status, _ in answers] == [200] * 5
    await bot.wait_sent(chat)
    job_id = await only_job_id(bot)
    await eventually(lambda: job_state(bot, job_id, "delivered"))
    assert len(bot.telegram.calls_to("sendPhoto")) == 1


async def test_failed_generation_is_reported_in_the_status_message(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make me a dragon")
    task = await bot.submitted_task()
    bot.kie.finish(task.task_id, fail_code="500", fail_msg="Internal server error")
    await bot.wait_said(chat, lambda t: t in (texts.WORKING(), texts.GENERATING()))

    status, _ = await bot.kie.send_callback(task.task_id)

    assert status == 200
    [edit] = await bot.telegram.wait_for(
        "editMessageText",
        lambda c: c.params.get("text") == texts.failure_text(FailureKind.FAILED),
    )
    assert int(edit.params["chat_id"]) == chat
    assert bot.telegram.calls_to("sendPhoto") == []


async def test_content_refusal_in_callback_shows_the_reason(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="something forbidden")
    task = await bot.submitted_task()
    body = {
        "code": 422,
        "msg": "failed",
        "data": {"taskId": task.task_id, "state": "fail", "failCode": "422",
                 "failMsg": "Your prompt was flagged by the content filter."},
    }  # fmt: skip

    await bot.kie.send_callback(task.task_id, body=body)

    [said] = await bot.wait_said(chat, lambda t: "content filter" in t)
    assert said.params["text"].startswith("The image service refused this request")


async def only_job_id(bot: BotHarness) -> str:
    keys = [key async for key in bot.redis.scan_iter("job:*")]
    assert len(keys) == 1
    return str(keys[0]).removeprefix("job:")


async def job_state(bot: BotHarness, job_id: str, state: str) -> bool:
    return await bot.redis.hget(f"job:{job_id}", "state") == state
