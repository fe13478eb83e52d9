"""Results go out by kind, end to end: image albums, streaming videos, tracks with their covers,
and a link with its expiry for a file over Telegram's 50 MB upload limit.

The whole bot with real Redis, real storage (moto's S3 over HTTP, or the local disk served by the
bot itself), a real result host on 127.0.0.1 and the Telegram emulator. Video and music jobs are
created with the job store for models in the registry; their results arrive as a callback stores
them (record_outcome, which wakes the delivery path).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot import texts
from bot.constants import RESULT_LINK_TTL_S
from bot.errors import FailureKind
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from bot.providers.base import ResultMedia
from bot.sandbox.emulators.kie import TINY_MP3
from bot.sandbox.emulators.telegram import ApiCall
from tests.harness import BotHarness, StartBot, eventually, files_in
from tests.images import jpeg, mp4, png
from tests.jobs.deliver.test_end_to_end import deliver, job_field, uploads_to
from tests.reliability.test_exactly_once import LOCAL_STORAGE
from tests.result_host import Answer, ResultHost, ok, status

MB = 1024 * 1024
VIDEO_MODEL = "grok-imagine/text-to-video"
MUSIC_MODEL = "suno/generate"


async def finished_job(bot: BotHarness, model: str, *results: ResultMedia) -> tuple[int, str]:
    """A job of `model` as the bot would store it, finished with `results`. Returns chat, id."""
    chat = bot.new_user()
    job = Job(uuid.uuid4().hex, chat, chat, "a prompt", model, provider="kie",
              task_id=f"task-{uuid.uuid4().hex}", created_at=time.time())  # fmt: skip
    store = JobStore(bot.redis)
    await store.create(job, first_poll_at=job.created_at + 600)
    stored = await store.record_outcome(job.id, Outcome(JobState.SUCCEEDED, results=results))
    assert stored == 1
    return chat, job.id


async def delivered(bot: BotHarness, job_id: str) -> None:
    await eventually(lambda: _state_is(bot, job_id, "delivered"), within=30)


async def _state_is(bot: BotHarness, job_id: str, state: str) -> bool:
    return await job_field(bot, job_id, "state") == state


def attached(call: ApiCall, item: dict[str, str]) -> bytes:
    """The bytes an album item names (`attach://<field>`)."""
    data = call.params[item["media"].removeprefix("attach://")]
    assert isinstance(data, bytes)
    return data


# -- images: an album -----------------------------------------------------------------------


async def test_a_jobs_images_go_as_one_album(results_bot: BotHarness, host: ResultHost) -> None:
    images = [png(32, 32, text=f"album {n}".encode()) for n in range(3)]
    urls = [host.route(f"/album-{n}.png", ok(image)) for n, image in enumerate(images)]

    chat, job_id = await deliver(results_bot, *urls)

    [album] = await results_bot.wait_sent(chat, method="sendMediaGroup")
    items = album.params["media"]
    assert [item["type"] for item in items] == ["photo"] * 3
    assert [attached(album, item) for item in items] == images  # in the job's order
    assert [item.get("caption") for item in items] == [texts.DONE(), None, None]
    assert album.params["reply_parameters"]["message_id"] == int(
        await job_field(results_bot, job_id, "reply_to")
    )
    assert len(album.result) == 3 and len({m["media_group_id"] for m in album.result}) == 1
    await delivered(results_bot, job_id)
    assert [await job_field(results_bot, job_id, f"result:{n}") for n in range(3)] == ["sent"] * 3
    assert results_bot.telegram.calls_to("sendPhoto") == []


async def test_an_album_telegram_refuses_goes_photo_by_photo(
    results_bot: BotHarness, host: ResultHost
) -> None:
    images = [png(16, 16, text=f"one by one {n}".encode()) for n in range(2)]
    urls = [host.route(f"/single-{n}.png", ok(image)) for n, image in enumerate(images)]
    results_bot.telegram.fail_next("sendMediaGroup", description="Bad Request: group refused")

    chat, job_id = await deliver(results_bot, *urls)

    photos = await results_bot.wait_sent(chat, count=2)
    assert [p.params["photo"] for p in photos] == images
    [refused] = results_bot.telegram.calls_to("sendMediaGroup")
    assert refused.status == 400  # the staged refusal really happened
    await delivered(results_bot, job_id)


async def test_one_image_goes_as_a_photo_and_the_status_message_goes_away(
    results_bot: BotHarness, host: ResultHost
) -> None:
    image = png(16, 16, text=b"alone")

    chat, job_id = await deliver(results_bot, host.route("/alone.png", ok(image)))

    [photo] = await results_bot.wait_sent(chat)
    assert photo.params["photo"] == image
    await delivered(results_bot, job_id)
    status_id = int(await job_field(results_bot, job_id, "status_msg") or 0)
    await results_bot.telegram.wait_for(
        "deleteMessage", lambda c: c.ok and c.params["message_id"] == status_id
    )
    assert results_bot.telegram.calls_to("sendMediaGroup") == []


# -- videos -----------------------------------------------------------------------------------


async def test_a_video_goes_out_as_a_streaming_video(
    results_bot: BotHarness, host: ResultHost
) -> None:
    video = mp4(720, 1280, 6.0, size=300_000, text=b"a clip")
    url = host.route("/clip.mp4", ok(video, "video/mp4"))

    chat, job_id = await finished_job(results_bot, VIDEO_MODEL, ResultMedia(url))

    [sent] = await results_bot.wait_sent(chat, method="sendVideo")
    assert sent.params["video"] == video
    assert sent.params["supports_streaming"] is True
    # Read from the file's own header (its moov box): nobody else said.
    assert (sent.params["duration"], sent.params["width"], sent.params["height"]) == (6, 720, 1280)
    assert sent.params["caption"] == texts.done(MediaKind.VIDEO, Capability.TEXT_TO_VIDEO)
    assert sent.result["video"]["file_name"].endswith("-1.mp4")
    await delivered(results_bot, job_id)


async def test_a_providers_length_wins_over_the_header(
    results_bot: BotHarness, host: ResultHost
) -> None:
    url = host.route("/clip.mp4", ok(mp4(1280, 720, 6.0, size=10_000), "video/mp4"))

    chat, _ = await finished_job(results_bot, VIDEO_MODEL, ResultMedia(url, duration_s=10.2))

    [sent] = await results_bot.wait_sent(chat, method="sendVideo")
    assert (sent.params["duration"], sent.params["width"]) == (10, 1280)


async def test_a_45_mb_video_is_uploaded_as_a_video(
    results_bot: BotHarness, host: ResultHost
) -> None:
    video = mp4(1920, 1080, 30.0, size=45 * MB, text=b"forty-five")
    url = host.route("/big.mp4", ok(video, "video/mp4"))

    chat, job_id = await finished_job(results_bot, VIDEO_MODEL, ResultMedia(url))

    [sent] = await results_bot.telegram.wait_for(
        "sendVideo", lambda c: c.ok and c.params["chat_id"] == chat, timeout=60
    )
    assert len(sent.params["video"]) == 45 * MB and sent.params["video"] == video
    await delivered(results_bot, job_id)


@pytest.mark.parametrize("storage", ["r2", "local"])
async def test_a_60_mb_video_goes_as_a_link_to_photobots_own_copy(
    start_bot: StartBot, spool_dir: Path, host: ResultHost, storage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    video = mp4(1920, 1080, 60.0, size=60 * MB, text=b"sixty")
    url = host.route("/huge.mp4", ok(video, "video/mp4"))
    where = LOCAL_STORAGE if storage == "local" else {}
    async with start_bot(media_tmp_dir=spool_dir, **where) as bot:
        chat, job_id = await finished_job(bot, VIDEO_MODEL, ResultMedia(url))

        [message] = await bot.wait_said(chat, lambda t: t.startswith("Done. This file is 60 MB"))
        await delivered(bot, job_id)
        link = _link_in(message.params["text"])
        async with aiohttp.ClientSession() as http, http.get(link) as response:
            assert response.status == 200
            assert await response.read() == video

    assert uploads_to(bot, chat) == []
    assert bot.telegram.calls_to("sendVideo") == []  # not even tried
    assert message.params["link_preview_options"] == {"is_disabled": True}
    expiry = _expiry_of(link)
    assert expiry == pytest.approx(time.time() + RESULT_LINK_TTL_S, abs=120)
    stated = _stated_until(message.params["text"])
    assert 0 <= expiry - stated < 120  # the message never promises more than the link holds
    assert await job_field(bot, job_id, "result:0") == "sent"
    assert await files_in(spool_dir) == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert link not in logged and urlsplit(link).query not in logged


def _link_in(text: str) -> str:
    [link] = re.findall(r"https?://\S+", text)
    return link


def _expiry_of(link: str) -> float:
    """When a signed link stops working: local links say it, S3 ones count from signing."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    if "expires" in query:
        return float(query["expires"])
    signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return signed.timestamp() + int(query["X-Amz-Expires"])


def _stated_until(text: str) -> float:
    [until] = re.findall(r"until (\d+ \w+ \d{4}, \d\d:\d\d) UTC", text)
    return datetime.strptime(until, "%d %b %Y, %H:%M").replace(tzinfo=UTC).timestamp()


async def test_a_web_page_instead_of_a_video_is_told_and_never_sent(
    results_bot: BotHarness, host: ResultHost
) -> None:
    page = b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"
    url = host.route("/clip.mp4", ok(page, "video/mp4"))

    chat, job_id = await finished_job(results_bot, VIDEO_MODEL, ResultMedia(url))

    told = texts.delivery_failure_text(FailureKind.BAD_RESULT, "video")
    await results_bot.wait_said(chat, lambda t: t == told)
    await delivered(results_bot, job_id)
    assert "video" in told and "image" not in told
    assert uploads_to(results_bot, chat) == []
    assert host.statuses("/clip.mp4") == [200]  # it was fetched, and refused on its bytes
    assert await job_field(results_bot, job_id, "result:0") == "unusable"


async def test_an_image_for_a_video_job_is_refused(
    results_bot: BotHarness, host: ResultHost
) -> None:
    url = host.route("/clip.mp4", ok(png(16, 16), "video/mp4"))

    chat, job_id = await finished_job(results_bot, VIDEO_MODEL, ResultMedia(url))

    await results_bot.wait_said(
        chat, lambda t: t == texts.delivery_failure_text(FailureKind.BAD_RESULT, "video")
    )
    await delivered(results_bot, job_id)
    assert uploads_to(results_bot, chat) == []


# -- music ------------------------------------------------------------------------------------


def track(n: int) -> bytes:
    return TINY_MP3 + f"track {n}".encode()


async def test_music_goes_out_track_by_track_with_titles_lengths_and_covers(
    results_bot: BotHarness, host: ResultHost
) -> None:
    covers = [jpeg(300, 300, app_padding=1000 * (n + 1)) for n in range(2)]
    cover_urls = [host.route(f"/cover-{n}.jpg", ok(c, "image/jpeg")) for n, c in enumerate(covers)]
    results = [
        ResultMedia(
            host.route(f"/track-{n}.mp3", ok(track(n), "audio/mpeg")), title=f"Rain {n}",
            duration_s=120.4 + n, cover_url=cover_urls[n],
        )
        for n in range(2)
    ]  # fmt: skip

    chat, job_id = await finished_job(results_bot, MUSIC_MODEL, *results)

    sent = await results_bot.wait_sent(chat, method="sendAudio", count=2)
    assert [c.params["audio"] for c in sent] == [track(0), track(1)]
    assert [c.params["title"] for c in sent] == ["Rain 0", "Rain 1"]
    assert [c.params["duration"] for c in sent] == [120, 121]
    assert [c.params["thumbnail"] for c in sent] == covers
    assert {c.params["performer"] for c in sent} == {texts.AUDIO_PERFORMER}
    await delivered(results_bot, job_id)
    assert results_bot.telegram.calls_to("sendMediaGroup") == []


COVERS_THAT_CANNOT_BE_USED = {
    "gone": status(404),
    "png": ok(png(300, 300), "image/png"),
    "over-200-kb": ok(jpeg(300, 300, app_padding=250_000), "image/jpeg"),
}


@pytest.mark.parametrize("cover", COVERS_THAT_CANNOT_BE_USED)
async def test_a_track_whose_cover_cannot_be_used_goes_out_without_one(
    results_bot: BotHarness, host: ResultHost, cover: str
) -> None:
    answer: Answer = COVERS_THAT_CANNOT_BE_USED[cover]
    cover_url = host.route("/cover.jpg", answer)
    result = ResultMedia(host.route("/track.mp3", ok(track(7), "audio/mpeg")), title="Rain",
                         duration_s=90.0, cover_url=cover_url)  # fmt: skip

    chat, job_id = await finished_job(results_bot, MUSIC_MODEL, result)

    [sent] = await results_bot.wait_sent(chat, method="sendAudio")
    assert sent.params["audio"] == track(7) and sent.params["title"] == "Rain"
    assert "thumbnail" not in sent.params
    assert host.statuses("/cover.jpg") == [answer.status]  # the cover was really asked for
    await delivered(results_bot, job_id)
