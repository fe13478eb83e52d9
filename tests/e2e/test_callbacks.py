"""The callback endpoint under bad input: forged, malformed, oversized, and lost callbacks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from redis.asyncio import Redis

from bot.app.redis_server import RedisServer
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import free_port
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png

RESULT_PNG = png(text=b"polled")


async def test_forged_tokens_are_refused_and_nothing_is_sent(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="a castle")
    task = await bot.submitted_task()
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    body = bot.kie.callback_body(task.task_id)
    job_id = dict(p.split("=") for p in urlsplit(task.callback_url).query.split("&"))["job"]

    answers = [
        await bot.post_callback(f"job={job_id}", body),
        await bot.post_callback(f"job={job_id}&token=" + "0" * 32, body),
        await bot.post_callback(f"job={job_id}&token=short", body),
        await bot.post_callback("job=someone-else&token=" + "0" * 32, body),
    ]

    assert [status for status, _ in answers] == [401, 403, 403, 403]
    assert await bot.redis.hget(f"job:{job_id}", "state") == "submitted"
    assert bot.telegram.calls_to("sendPhoto") == []


async def test_other_jobs_token_cannot_complete_this_task(bot: BotHarness) -> None:
    first, second = bot.new_user(), bot.new_user()
    bot.send_photo(first, caption="one")
    task_a = await bot.submitted_task(1)
    bot.send_photo(second, caption="two")
    task_b = await bot.submitted_task(2)
    bot.kie.finish(task_b.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])

    # Job A's valid token, carrying job B's result.
    status, _ = await bot.kie.send_callback(task_b.task_id, url=task_a.callback_url)

    assert status == 403
    assert bot.telegram.calls_to("sendPhoto") == []


async def test_malformed_bodies_get_400_and_the_bot_keeps_serving(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="first")
    task = await bot.submitted_task()
    query = urlsplit(task.callback_url).query

    not_json = await bot.post_callback(query, b"{not json")
    no_task = await bot.post_callback(query, {"code": 200, "data": {"state": "success"}})
    array = await bot.post_callback(query, b"[1, 2, 3]")

    assert [not_json[0], no_task[0], array[0]] == [400, 400, 400]
    other = bot.new_user()
    bot.send_photo(other, caption="second user")
    second = await bot.submitted_task(2)
    bot.kie.finish(second.task_id, result_urls=[bot.kie.add_result_file(RESULT_PNG)])
    await bot.kie.send_callback(second.task_id)
    [sent] = await bot.wait_sent(other)
    assert sent.params["photo"] == RESULT_PNG


async def test_body_over_one_mebibyte_gets_413(bot: BotHarness) -> None:
    bot.send_photo(bot.new_user(), caption="big")
    task = await bot.submitted_task()
    query = urlsplit(task.callback_url).query

    status, _ = await bot.post_callback(query, b"{" + b" " * (1024 * 1024 + 10) + b"}")

    assert status == 413


async def test_intermediate_stage_is_acknowledged_without_delivery(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.send_photo(chat, caption="a song cover")
    task = await bot.submitted_task()
    query = urlsplit(task.callback_url).query
    body = {"code": 200, "data": {"callbackType": "text", "task_id": task.task_id, "data": []}}

    status, answer = await bot.post_callback(query, body)

    assert (status, answer) == (200, {"code": 200, "msg": "success"})
    job_id = query.split("job=")[1].split("&")[0]
    assert await bot.redis.hget(f"job:{job_id}", "state") == "submitted"


async def test_without_a_callback_polling_delivers(
    start_bot: StartBot,
    telegram: TelegramEmulator,
    kie: KieEmulator,
) -> None:
    async with start_bot(poll_after_seconds=0.3) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="never called back")
        task = await bot.submitted_task()
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])

        [sent] = await bot.wait_sent(chat)

        assert sent.params["photo"] == RESULT_PNG
        polls = [r for r in kie.requests if r.path == "/api/v1/jobs/recordInfo"]
        assert polls and polls[-1].query == {"taskId": task.task_id}
        assert len(telegram.calls_to("sendPhoto")) == 1


async def test_redis_down_answers_503_then_recovers(
    start_bot: StartBot,
    kie: KieEmulator,
    redis: Redis,
    tmp_path: Path,
) -> None:
    own = RedisServer(tmp_path / "own-redis", port=free_port())
    await own.start()
    try:
        async with start_bot(redis_url=own.url) as bot:
            chat = bot.new_user()
            bot.send_photo(chat, caption="x")
            task = await bot.submitted_task()
            kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])

            own.stop()
            status, _ = await bot.kie.send_callback(task.task_id)
            async with bot.http.get(f"{bot.url}/healthz") as health:
                down_health = health.status
            await own.start()  # same data folder: the append-only file brings the job back
            retried, _ = await eventually(lambda: bot.kie.send_callback(task.task_id))

            assert (status, down_health, retried) == (503, 503, 200)
            [sent] = await bot.wait_sent(chat)
            assert sent.params["photo"] == RESULT_PNG
            await eventually(bot.healthy, within=5)
    finally:
        own.stop()
