"""/forget: after the user's own confirmation, nothing Photobot kept about them is left in Redis
or in storage, the files' URLs stop serving, and the answer says what went."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import boto3
from redis.asyncio import Redis

from bot import constants as k
from bot import texts
from bot.sandbox.emulators.telegram import ApiCall
from bot.storage.index import MEDIA_INDEX_KEY
from bot.users.forget import FORGET_PENDING_KEY, FORGET_REQUEST_KEY
from bot.web.keys import DEPS
from tests.conftest import BUCKET, StartBot
from tests.harness import BotHarness, eventually
from tests.images import png

RESULT = png(text=b"forget me")


def buttons(call: ApiCall) -> dict[str, str]:
    rows: list[list[dict[str, Any]]] = call.params["reply_markup"]["inline_keyboard"]
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def keys_about(redis: Redis, user: int, job_ids: set[str]) -> list[str]:
    """Every key naming the user or one of their jobs, and every set or zset holding them."""
    found = []
    async for key in redis.scan_iter(count=1000):
        if (
            str(user) in key.split(":")
            or any(job in key for job in job_ids)
            or (key.startswith("job:") and await redis.hget(key, "user_id") == str(user))
        ):
            found.append(key)
    for zset in (k.SEEN_USERS_KEY, k.FLOW_DEADLINES_KEY, MEDIA_INDEX_KEY, FORGET_PENDING_KEY):
        found += [f"{zset} {m}" for m in await redis.zrange(zset, 0, -1)
                  if str(user) in m.split(":") or any(job in m for job in job_ids)]  # fmt: skip
    return found


async def flow_of(redis: Redis, user: int) -> list[str]:
    return [m for m in await redis.zrange(k.FLOW_DEADLINES_KEY, 0, -1)
            if m.startswith(f"{user}:{user}:")]  # fmt: skip


def bucket_keys(s3_endpoint: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test",
                          aws_secret_access_key="test", region_name="us-east-1")  # fmt: skip
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


async def test_forget_leaves_nothing_of_the_user(
    bot: BotHarness, redis: Redis, s3_endpoint: str
) -> None:
    user, other = bot.new_user(), bot.new_user()
    bot.send_photo(user, caption="make it gold")
    done = await bot.submitted_task()
    bot.kie.finish(done.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    await bot.kie.send_callback(done.task_id)
    await bot.wait_sent(user)

    async def result_kept() -> bool:  # its copy in storage, for the buttons under it
        return any(job.kept for job in await bot.app[DEPS].store.user_jobs(user, 1))

    await eventually(result_kept)
    bot.send_photo(user, caption="still running")  # a job that never finishes
    running = await bot.submitted_task(2)
    bot.telegram.message_update(chat_id=user, user_id=user, text="a lighthouse")  # an offer
    await bot.wait_said(user, lambda t: t == texts.IMAGINE_OFFER())
    bot.telegram.message_update(chat_id=user, user_id=user, text="/dance")  # a flow left open
    await eventually(lambda: flow_of(redis, user))
    bot.send_photo(other, caption="someone else's")
    await bot.submitted_task(3)
    job_ids = {j.id for j in await bot.app[DEPS].store.user_jobs(user, 10)}
    [url] = running.input["image_input"]
    assert len(job_ids) == 2 and await keys_about(redis, user, job_ids)

    bot.telegram.message_update(chat_id=user, user_id=user, text="/forget")
    [confirm] = await bot.wait_said(user, lambda t: t == texts.FORGET_CONFIRM())
    yes = buttons(confirm)[texts.FORGET_YES()]
    bot.telegram.callback_query_update(chat_id=user, user_id=other, data=yes,
                                       message_id=confirm.result["message_id"])  # fmt: skip
    [alert] = await bot.telegram.wait_for("answerCallbackQuery")
    assert alert.params["text"] == texts.FORGET_NOT_YOURS()
    bot.telegram.callback_query_update(chat_id=user, user_id=user, data=yes,
                                       message_id=confirm.result["message_id"])  # fmt: skip
    [answer] = await bot.wait_said(user, lambda t: t.startswith("Done. I deleted"))

    text = answer.params["text"]
    # The two inputs and the first job's kept result.
    assert texts.FORGET_JOBS(2) in text and texts.FORGET_FILES(3) in text
    assert await flow_of(redis, user) == []

    async def nothing_left() -> bool:  # the request itself goes right after the answer
        return await keys_about(redis, user, job_ids) == []

    await eventually(nothing_left)
    assert not [key for key in bucket_keys(s3_endpoint) if any(j in key for j in job_ids)]
    async with aiohttp.ClientSession() as http, http.get(url) as gone:
        assert gone.status == 404
    # The other user's job is untouched, and a late result for the forgotten job sends nothing.
    assert len(await bot.app[DEPS].store.user_jobs(other, 10)) == 1
    sent_before = len(bot.telegram.calls_to("sendPhoto"))
    bot.kie.finish(running.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    status, _ = await bot.kie.send_callback(running.task_id)
    assert status == 200 and len(bot.telegram.calls_to("sendPhoto")) == sent_before


async def test_a_forget_accepted_by_a_replica_that_died_is_finished_by_another(
    start_bot: StartBot, redis: Redis
) -> None:
    user = 93_000_001
    await redis.hset(k.USER_SETTINGS_KEY.format(user_id=user), "language", "id")
    # The press was accepted (and the confirmation edited) by a replica killed right after.
    await redis.zadd(FORGET_PENDING_KEY, {str(user): time.time() - 1})
    await redis.hset(FORGET_REQUEST_KEY.format(user_id=user),
                     mapping={"chat": user, "message": 1, "lang": "id"})  # fmt: skip
    async with start_bot() as bot:
        bot.telegram.message_update(chat_id=user, user_id=user, text="hi")  # the chat exists
        await bot.wait_said(user, lambda t: t.startswith("Selesai"))
    assert not await redis.exists(k.USER_SETTINGS_KEY.format(user_id=user))
    assert await redis.zcard(FORGET_PENDING_KEY) == 0


async def test_keep_my_data_deletes_nothing(bot: BotHarness, redis: Redis) -> None:
    user = bot.new_user()
    bot.telegram.message_update(chat_id=user, user_id=user, text="/language id")
    await bot.wait_said(user, lambda t: "Indonesia" in t)
    bot.telegram.message_update(chat_id=user, user_id=user, text="/forget")
    [confirm] = await bot.wait_said(user, lambda t: t.startswith("Ini akan menghapus"))
    no = next(data for data in buttons(confirm).values() if ":no:" in data)
    bot.telegram.callback_query_update(chat_id=user, user_id=user, data=no,
                                       message_id=confirm.result["message_id"])  # fmt: skip
    await bot.wait_said(user, lambda t: t == "Tidak ada yang dihapus.")
    assert await redis.exists(k.USER_SETTINGS_KEY.format(user_id=user))
