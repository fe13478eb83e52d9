"""A job finished before an upgrade, its hash exactly as the code before bot/codec.py wrote it,
is delivered once by the running bot."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot import constants as k
from bot.sandbox.emulators.kie import TINY_MP3
from tests.harness import BotHarness, eventually
from tests.images import jpeg, png
from tests.jobs import compat_records as captured
from tests.result_host import ResultHost, ok

# What only the delivery that was under way wrote: a new bot starts the job's delivery afresh.
_DELIVERY_FIELDS = ("lease_owner", "lease_until", "result:0")


async def _finished_before_upgrade(redis: Redis, name: str, chat: int, results: str) -> str:
    """The captured hash `name` for `chat`, finished now with `results` (JSON as captured),
    stored and announced the way RECORD_OUTCOME does. Returns the job id."""
    raw = dict(captured.HASHES[name])
    for field in _DELIVERY_FIELDS:
        raw.pop(field, None)
    job_id = f"{raw['id']}-{chat}"
    now = time.time()
    raw |= {"id": job_id, "chat_id": str(chat), "user_id": str(chat), "reply_to": "",
            "status_msg": "", "results": results, "completed_at": repr(now)}  # fmt: skip
    await redis.hset(f"job:{job_id}", mapping=raw)
    await redis.zadd(k.UNDELIVERED_KEY, {job_id: now})
    await redis.publish(k.CALLBACK_CHANNEL, job_id)
    return job_id


async def _delivered(bot: BotHarness, job_id: str) -> bool:
    return await bot.redis.hget(f"job:{job_id}", "state") == "delivered"


async def test_a_photo_job_written_before_the_upgrade_is_delivered_once(
    results_bot: BotHarness, host: ResultHost
) -> None:
    image = png(32, 32, text=b"before the upgrade")
    host.route("/r/photo1.png", ok(image))
    base = f"http://127.0.0.1:{host.port}"
    results = captured.HASHES["photo"]["results"].replace("https://tempfile.example", base)
    chat = results_bot.new_user()

    job_id = await _finished_before_upgrade(results_bot.redis, "photo", chat, results)

    [sent] = await results_bot.wait_sent(chat)
    assert sent.params["photo"] == image
    await eventually(lambda: _delivered(results_bot, job_id), within=30)
    assert results_bot.photos_sent()[chat] == 1


async def test_a_suno_job_written_before_the_upgrade_is_delivered_once(
    results_bot: BotHarness, host: ResultHost
) -> None:
    tracks = [TINY_MP3 + f"track {n}".encode() for n in (1, 2)]
    covers = [jpeg(300, 300, app_padding=1000 * n) for n in (1, 2)]
    for n in (1, 2):
        host.route(f"/s/{n}.mp3", ok(tracks[n - 1], "audio/mpeg"))
        host.route(f"/s/{n}.jpeg", ok(covers[n - 1], "image/jpeg"))
    base = f"http://127.0.0.1:{host.port}"
    results = captured.HASHES["suno"]["results"].replace("https://cdn.example", base)
    chat = results_bot.new_user()

    job_id = await _finished_before_upgrade(results_bot.redis, "suno", chat, results)

    sent = await results_bot.wait_sent(chat, method="sendAudio", count=2)
    assert [c.params["audio"] for c in sent] == tracks
    assert [c.params["title"] for c in sent] == ["Ёлка", "Ёлка (v2)"]
    assert [c.params["duration"] for c in sent] == [187, 201]
    assert [c.params["thumbnail"] for c in sent] == covers
    await eventually(lambda: _delivered(results_bot, job_id), within=30)
    audio = [c for c in results_bot.telegram.calls_to("sendAudio") if c.ok]
    assert sum(str(c.params["chat_id"]) == str(chat) for c in audio) == 2
