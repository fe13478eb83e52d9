"""Delivering results end to end: a user's photo, Kie's callback, a real result host, Telegram.

Every failure of one job stays in that job and is told to its user; downloads that may still
work are retried; only images reach the chat, and big ones as documents.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.sandbox.emulators.telegram import ApiCall
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png
from tests.result_host import ResultHost, ok, status

RESULT_PNG = png(16, 16, text=b"delivered")
UPLOADS = ("sendPhoto", "sendDocument", "sendVideo", "sendAudio")
DELIVERY_FAILED = texts.failure_text(FailureKind.DELIVERY)
BAD_RESULT = texts.failure_text(FailureKind.BAD_RESULT)


def uploads_to(bot: BotHarness, chat: int) -> list[ApiCall]:
    return [c for c in bot.telegram.sent_messages(chat) if c.method in UPLOADS]


async def deliver(bot: BotHarness, *urls: str, chat: int | None = None) -> tuple[int, str]:
    """A user sends a photo; Kie finishes it with `urls` and calls back. Returns chat, job id."""
    chat = chat or bot.new_user()
    before = len(bot.kie.tasks)
    bot.send_photo(chat, caption="make it pop")
    task = (await bot.kie.wait_for_task(count=before + 1))[before]
    job_id = parse_qs(urlsplit(task.callback_url or "").query)["job"][0]
    bot.kie.finish(task.task_id, result_urls=list(urls))
    answer, _ = await bot.kie.send_callback(task.task_id)
    assert answer == 200
    return chat, job_id


async def job_field(bot: BotHarness, job_id: str, name: str) -> Any:
    return await bot.redis.hget(f"job:{job_id}", name)


# -- 1. a result URL that cannot be parsed --------------------------------------------------

BAD_URLS = {
    "backslash-in-host": "http://127.0.0.1\\evil.example/result.png",
    "port-99999": "http://127.0.0.1:99999/result.png",
    "unclosed-bracket": "http://[::1/result.png",
    "300-char-label": f"http://{'a' * 300}.example/result.png",
}


async def test_unparseable_result_urls_are_told_and_the_reconciler_batch_goes_on(
    results_bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = results_bot
    caplog.set_level(logging.INFO)
    jobs = await bot.start_jobs(len(BAD_URLS) + 1)
    (*bad_chats, good_chat) = jobs
    for chat, url in zip(bad_chats, BAD_URLS.values(), strict=True):
        bot.kie.finish(jobs[chat].task_id, result_urls=[url])
    good_url = bot.kie.add_result_file(RESULT_PNG)
    bot.kie.finish(jobs[good_chat].task_id, result_urls=[good_url])
    job_ids = [parse_qs(urlsplit(t.callback_url or "").query)["job"][0] for t in jobs.values()]
    await eventually(lambda: _all_have_tasks(bot, job_ids))
    # Staged fault: a replica died holding these jobs' delivery leases. The pub/sub path finds
    # them taken, so they wait for the reconciler, which takes them together in one batch,
    # the bad URLs first (it goes oldest first).
    lease_s = 2.0
    lease_ends = time.monotonic() + lease_s
    for job_id in job_ids:
        lease = {"lease_owner": "dead-replica", "lease_until": repr(time.time() + lease_s)}
        await bot.redis.hset(f"job:{job_id}", mapping=lease)

    for chat in jobs:
        answer, _ = await bot.kie.send_callback(jobs[chat].task_id)
        assert answer == 200

    # The reconciler takes final jobs 5 s after the pub/sub path had its chance, every 5 s.
    [photo] = await bot.telegram.wait_for("sendPhoto", lambda c: c.ok, timeout=30)
    assert photo.params["chat_id"] == good_chat
    assert photo.params["photo"] == RESULT_PNG
    for chat in bad_chats:
        [told] = await bot.wait_said(chat, lambda t: t == DELIVERY_FAILED)
        assert told.at >= lease_ends  # the staged lease really held the pub/sub path off
        assert uploads_to(bot, chat) == []
    assert photo.at >= lease_ends
    await eventually(lambda: _all_delivered(bot, job_ids))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "crashed" not in logged and "tick failed" not in logged
    assert not any(url in logged for url in BAD_URLS.values())


async def _all_have_tasks(bot: BotHarness, job_ids: list[str]) -> bool:
    return all([await job_field(bot, job_id, "task_id") for job_id in job_ids])


async def _all_delivered(bot: BotHarness, job_ids: list[str]) -> bool:
    return all([await job_field(bot, job_id, "state") == "delivered" for job_id in job_ids])


# -- 2. transient failures are retried, each URL on its own -------------------------------


async def test_a_result_host_answering_503_once_is_tried_again(
    results_bot: BotHarness, host: ResultHost
) -> None:
    url = host.route("/busy-once.png", status(503), ok(RESULT_PNG))

    chat, job_id = await deliver(results_bot, url)

    [photo] = await results_bot.wait_sent(chat)
    assert photo.params["photo"] == RESULT_PNG
    assert host.statuses("/busy-once.png") == [503, 200]  # the 503 really was served
    await eventually(lambda: _all_delivered(results_bot, [job_id]))
    assert DELIVERY_FAILED not in _texts(results_bot, chat)


async def test_a_result_host_down_longer_than_quick_retries_is_retried_later(
    start_bot: StartBot, spool_dir: Path, host: ResultHost
) -> None:
    # Five 503s outlast the quick retries (four tries); the reconciler (ticking every 0.5 s
    # here) tries again once the job's retry time has come.
    url = host.route("/busy.png", *[status(503)] * 5, ok(RESULT_PNG))
    async with start_bot(media_tmp_dir=spool_dir, poll_after_seconds=2) as bot:
        chat, job_id = await deliver(bot, url)

        await eventually(lambda: job_field(bot, job_id, "retry_at"), within=15)
        assert uploads_to(bot, chat) == []  # waiting, not failed
        [photo] = await bot.wait_sent(chat, count=1)

        assert photo.params["photo"] == RESULT_PNG
        assert host.statuses("/busy.png") == [503] * 5 + [200]
        await eventually(lambda: _all_delivered(bot, [job_id]))
        assert await job_field(bot, job_id, "attempts") == "1"  # one trip through the reconciler
        assert DELIVERY_FAILED not in _texts(bot, chat)


async def test_a_missing_first_result_does_not_stop_the_second(
    results_bot: BotHarness, host: ResultHost
) -> None:
    missing = host.route("/gone.png", status(404))
    good = results_bot.kie.add_result_file(RESULT_PNG)

    chat, job_id = await deliver(results_bot, missing, good)

    [photo] = await results_bot.wait_sent(chat)
    assert photo.params["photo"] == RESULT_PNG
    [note] = await results_bot.wait_said(chat, lambda t: t == texts.some_results_missing(1, 2))
    assert note.at > photo.at
    await eventually(lambda: _all_delivered(results_bot, [job_id]))
    assert host.statuses("/gone.png") == [404]  # a 404 is final: asked once, not retried
    assert len(uploads_to(results_bot, chat)) == 1


# -- 3. only what the job produces reaches the chat ------------------------------------------

NOT_IMAGES = {
    "html": (b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "text": (b"quota exceeded, try later\n", "text/plain"),
    "mp4": (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(2048), "video/mp4"),
    "svg-with-script": (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script></svg>",
        "image/svg+xml",
    ),
    "html-labelled-png": (b"<html><body>not found</body></html>", "image/png"),
}


@pytest.mark.parametrize("name", NOT_IMAGES)
async def test_a_result_that_is_not_an_image_is_refused_and_told(
    results_bot: BotHarness, name: str
) -> None:
    body, content_type = NOT_IMAGES[name]
    url = results_bot.kie.add_result_file(body, content_type=content_type)

    chat, job_id = await deliver(results_bot, url)

    await results_bot.wait_said(chat, lambda t: t == BAD_RESULT)
    await eventually(lambda: _all_delivered(results_bot, [job_id]))
    assert uploads_to(results_bot, chat) == []
    assert any(r.path.startswith("/files/") for r in results_bot.kie.requests)  # it was fetched


async def test_an_image_too_big_for_a_photo_goes_as_a_png_document(
    results_bot: BotHarness,
) -> None:
    wide = png(12_000, 300, text=b"panorama")  # sides add up to over Telegram's 10000
    chat, _ = await deliver(results_bot, results_bot.kie.add_result_file(wide))

    [document] = await results_bot.wait_sent(chat, method="sendDocument")

    assert document.params["document"] == wide
    assert document.result["document"]["file_name"].endswith("-1.png")
    assert document.params["caption"] == texts.DONE()
    assert results_bot.telegram.calls_to("sendPhoto") == []


async def test_a_decompression_bomb_header_is_refused(results_bot: BotHarness) -> None:
    bomb = png(20_000, 20_000, pixels=False)  # 400 megapixels, announced in a 57-byte file
    chat, job_id = await deliver(results_bot, results_bot.kie.add_result_file(bomb))

    await results_bot.wait_said(chat, lambda t: t == BAD_RESULT)
    await eventually(lambda: _all_delivered(results_bot, [job_id]))
    assert uploads_to(results_bot, chat) == []


def _texts(bot: BotHarness, chat: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in bot.telegram.calls
        if c.method in ("sendMessage", "editMessageText") and c.params.get("chat_id") == chat
    ]
