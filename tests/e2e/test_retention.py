"""A job's stored input is indexed when it is stored, and once its time is up the sweep deletes
it: the URL the provider was given stops serving, and the index forgets it."""

from __future__ import annotations

import time

import aiohttp
from redis.asyncio import Redis

from bot.storage.index import MEDIA_INDEX_KEY
from bot.storage.sweep import MediaSweep
from bot.web.keys import DEPS
from tests.harness import BotHarness
from tests.images import png

PHOTO = png(text=b"retention")


async def test_an_input_past_the_retention_is_deleted_and_stops_serving(
    bot: BotHarness, redis: Redis
) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="make it gold", data=PHOTO)
    task = await bot.submitted_task()
    [url] = task.input["image_input"]
    deps = bot.app[DEPS]
    [(key, due)] = await redis.zrange(MEDIA_INDEX_KEY, 0, -1, withscores=True)
    retention = deps.settings.retention_s
    assert abs(due - (time.time() + retention)) < 60
    [job] = await deps.store.user_jobs(chat, 1)
    assert [m.key for m in job.inputs] == [key]  # the record names what the index holds
    async with aiohttp.ClientSession() as http, http.get(url) as before:
        assert before.status == 200

    kept = await MediaSweep(deps.storage, redis).sweep(now=time.time() + retention - 60)
    gone = await MediaSweep(deps.storage, redis).sweep(now=time.time() + retention + 1)

    assert (kept.deleted, gone.deleted) == (0, 1)
    async with aiohttp.ClientSession() as http, http.get(url) as after:
        assert after.status == 404
    assert await redis.zcard(MEDIA_INDEX_KEY) == 0
