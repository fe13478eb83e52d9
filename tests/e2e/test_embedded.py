"""One machine, nothing else: embedded redis-server and local storage behind signed /media URLs."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.sandbox.emulators.kie import KieEmulator
from tests.harness import TINY_JPEG, StartBot
from tests.images import png

RESULT_PNG = png(text=b"local")


async def test_embedded_redis_and_local_media(
    start_bot: StartBot,
    kie: KieEmulator,
    redis: Redis,
    tmp_path: Path,
) -> None:
    embedded_only = dict(
        redis_url=None, r2_endpoint_url=None, r2_access_key_id=None,
        r2_secret_access_key=None, r2_bucket=None, callback_secret=None,
        data_dir=tmp_path / "d",
    )  # fmt: skip
    async with start_bot(**embedded_only) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="local please")
        task = await bot.submitted_task()
        [url] = task.input["image_input"]

        async with aiohttp.ClientSession() as http:
            async with http.get(url) as ok:
                assert ok.status == 200
                assert await ok.read() == TINY_JPEG
            async with http.get(url.replace("sig=", "sig=0")) as forged:
                assert forged.status == 403
            expired = url.split("expires=")[0] + "expires=1000&" + url.split("&", 1)[1]
            async with http.get(expired) as old:
                assert old.status == 403
            async with http.get(url.split("/media/")[0] + "/media/../../etc/passwd") as climb:
                assert climb.status in (403, 404)

        assert url.startswith(f"{bot.url}/media/inputs/")
        assert (tmp_path / "d" / "redis" / "appendonlydir").exists() or any(
            p.name.endswith(".aof") for p in (tmp_path / "d" / "redis").rglob("*")
        )
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        await kie.send_callback(task.task_id)
        [sent] = await bot.wait_sent(chat)
        assert sent.params["photo"] == RESULT_PNG
