"""A result whose first bytes cannot be what the job makes is abandoned there: the provider's
server streams a huge body lazily, and the bot stops reading it after its first chunk, marks the
result unusable, tells the user, and never downloads it again."""

from __future__ import annotations

import logging

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.providers.base import ResultMedia
from tests.harness import BotHarness
from tests.jobs.deliver.test_end_to_end import deliver, job_field, uploads_to
from tests.jobs.deliver.test_results import VIDEO_MODEL, delivered, finished_job

MB = 1024 * 1024
HUGE = 80 * MB
# Everything in flight at once: the bot's first chunks plus what the loopback socket buffers
# hold. A download read to the end would be all 80 MB.
READ_AT_MOST = 16 * MB
PAGE = b"<!doctype html><html><head><title>502 Bad Gateway</title></head><body>" + b" " * 200


def downloads_of(bot: BotHarness, url: str) -> int:
    path = url.removeprefix(bot.kie.url)
    return sum(1 for r in bot.kie.requests if r.method == "GET" and r.path == path)


async def test_a_web_page_for_a_video_is_abandoned_after_its_first_chunk(
    results_bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    bot = results_bot
    url = bot.kie.add_streamed_result(PAGE, HUGE, content_type="video/mp4")

    chat, job_id = await finished_job(bot, VIDEO_MODEL, ResultMedia(url))

    told = texts.delivery_failure_text(FailureKind.BAD_RESULT, "video")
    await bot.wait_said(chat, lambda t: t == told)
    await delivered(bot, job_id)
    assert 0 < bot.kie.bytes_served(url) < READ_AT_MOST
    assert downloads_of(bot, url) == 1  # refused, never retried as a transient error
    assert await job_field(bot, job_id, "result:0") == "unusable"
    assert uploads_to(bot, chat) == []
    assert "refused as it arrived" in caplog.text


@pytest.mark.parametrize(
    ("head", "declared"),
    [
        (b"\x89PNX\r\n\x1a\n" + bytes(200), "image/png"),  # a "PNG" whose header is garbage
        (b'{"error": "rate limited", "detail": "' + b"x" * 200, "application/json"),
    ],
    ids=["garbage-png", "json"],
)
async def test_what_cannot_be_an_image_is_abandoned_and_told(
    results_bot: BotHarness, head: bytes, declared: str
) -> None:
    bot = results_bot
    url = bot.kie.add_streamed_result(head, HUGE, name="result.png", content_type=declared)

    chat, job_id = await deliver(bot, url)

    await bot.wait_said(chat, lambda t: t == texts.failure_text(FailureKind.BAD_RESULT))
    await delivered(bot, job_id)
    assert 0 < bot.kie.bytes_served(url) < READ_AT_MOST
    assert downloads_of(bot, url) == 1
    assert await job_field(bot, job_id, "result:0") == "unusable"
    assert uploads_to(bot, chat) == []
