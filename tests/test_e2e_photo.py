"""A photo with a caption becomes a result in the same chat: the whole path, edges only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp

from bot import texts
from tests.harness import TINY_JPEG, BotHarness

RESULT_PNG = b"\x89PNG\r\n\x1a\n" + b"result-image" * 10


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
    await bot.telegram.wait_for("editMessageText", lambda c: c.params.get("text") == texts.DONE)
    assert len(bot.telegram.sent_messages(chat)) == 2  # the status message and the result
