"""/sketch end to end: Seedream draws, the image reaches the chat as a preview, Kling animates
exactly those bytes, the video follows; one job with steps, whatever arrives twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.jobs.chains import STEP_PICKUP_S
from bot.media.kinds import MediaKind
from bot.models.spec import Capability
from bot.sandbox.emulators.novita import NovitaEmulator, NovitaTask
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import NOVITA_KEY, TOKEN
from tests.e2e.test_commands import command, mp4
from tests.e2e.test_novita import assert_tokened_webhook, job_of
from tests.harness import BotHarness, StartBot, eventually
from tests.images import png

PROMPT = "a paper boat on a rainy street"
DRAWING = png(720, 1280, text=b"seedream frame")
CLIP = mp4(b"kling clip")
ADMIN = 4242
DRAWING_STATUS = texts.step_status(MediaKind.IMAGE, 0, 2)
ANIMATING_STATUS = texts.step_status(MediaKind.VIDEO, 1, 2)


def novita_settings(novita: NovitaEmulator) -> dict[str, Any]:
    """Novita configured beside Kie; no preference, so Kie still serves /imagine and /video."""
    return {"novita_api_key": NOVITA_KEY, "novita_base_url": novita.url}


@pytest.fixture
async def sbot(start_bot: StartBot, novita: NovitaEmulator) -> AsyncIterator[BotHarness]:
    async with start_bot(**novita_settings(novita)) as harness:
        yield harness


def kling_tasks(novita: NovitaEmulator) -> list[NovitaTask]:
    return [t for t in novita.tasks.values() if t.endpoint == "kling"]


async def drawn(bot: BotHarness, novita: NovitaEmulator, chat: int) -> tuple[NovitaTask, str]:
    """The user's /sketch reached Seedream, which finished with DRAWING; its URL."""
    command(bot, chat, f"/sketch {PROMPT}")
    [seed] = await novita.wait_for_task()
    url = novita.add_result_file(DRAWING)
    novita.finish(seed.task_id, images=[url])
    return seed, url


async def animating(novita: NovitaEmulator) -> NovitaTask:
    """The Kling task step 2 submitted."""
    tasks = await novita.wait_for_task(count=2)
    [kling] = [t for t in tasks if t.endpoint == "kling"]
    return kling


async def finish_video(novita: NovitaEmulator, kling: NovitaTask) -> None:
    """Kling made CLIP and says so by webhook."""
    clip = novita.add_result_file(CLIP, name="v.mp4", content_type="video/mp4")
    novita.finish(kling.task_id, videos=[clip])
    assert (await novita.send_webhook(kling.task_id))[0] == 200


async def delivered(bot: BotHarness, task: NovitaTask) -> bool:
    return await bot.redis.hget(f"job:{job_of(task)}", "state") == "delivered"


async def test_sketch_draws_shows_the_image_then_animates_exactly_it(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    seed, url = await drawn(sbot, novita, chat)
    assert seed.endpoint == "txt2img" and seed.fields["model_name"] == "seedream_3_0"
    assert seed.fields["prompt"] == PROMPT
    await sbot.wait_said(chat, lambda t: t == DRAWING_STATUS)

    assert (await novita.send_webhook(seed.task_id, shape="seed"))[0] == 200

    [preview] = await sbot.wait_sent(chat)
    assert preview.params["photo"] == DRAWING
    assert preview.params["caption"] == texts.preview_caption(MediaKind.VIDEO)
    kling = await animating(novita)
    # The upload is the very image Seedream made and the user saw, fetched once from Novita.
    assert kling.image == DRAWING and kling.image_content_type == "image/png"
    assert kling.image_source == url and novita.downloads[url] == 1
    extra = json.loads(kling.body.pop("extra"))
    assert kling.body == {"prompt": PROMPT, "duration": "5",
                          "negative_prompt": "blurry, distorted", "cfg_scale": "0.5"}  # fmt: skip
    assert extra == {"webhook": {"url": kling.webhook_url}}
    assert job_of(kling) == job_of(seed)  # one job, its second step
    # Had the process died before submitting it, the reconciler would look within seconds.
    next_look = await sbot.redis.zscore("jobs:poll", job_of(kling))
    assert next_look is not None and next_look <= time.time() + STEP_PICKUP_S
    assert_tokened_webhook(sbot, kling)
    await sbot.wait_said(chat, lambda t: t == ANIMATING_STATUS)

    await finish_video(novita, kling)

    [video] = await sbot.wait_sent(chat, "sendVideo")
    assert video.params["video"] == CLIP
    assert video.params["caption"] == texts.done(MediaKind.VIDEO, Capability.SKETCH)
    await eventually(lambda: delivered(sbot, kling))
    # The status message goes once the video is out; the preview stays in the chat.
    deleted = [int(c.params["message_id"]) for c in sbot.telegram.calls_to("deleteMessage")]
    assert preview.result is not None and preview.result["message_id"] not in deleted
    assert len(deleted) == 1
    assert len(sbot.telegram.calls_to("sendPhoto")) == 1 and sbot.kie.tasks == {}


async def test_stats_count_a_sketch_once(sbot: BotHarness, novita: NovitaEmulator) -> None:
    chat = sbot.new_user()
    seed, _ = await drawn(sbot, novita, chat)
    await novita.send_webhook(seed.task_id)
    await finish_video(novita, await animating(novita))
    await sbot.wait_sent(chat, "sendVideo")

    sbot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
    [reply] = await sbot.wait_sent(ADMIN, "sendMessage")

    text = reply.params["text"]
    assert "Jobs today: 1  (total 1)" in text
    assert "Succeeded: 1  Failed: 0  In progress: 0" in text
    # Each step's model ran once.
    assert "Seedream 3.0: 1 job, 100% succeeded" in text
    assert "Kling 2.1 Master: 1 job, 100% succeeded" in text
    assert await sbot.redis.hget(f"user:{chat}", "inflight") == "0"


async def test_five_repeats_of_the_image_event_make_one_preview_and_one_video_task(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    seed, _ = await drawn(sbot, novita, chat)

    answers = await asyncio.gather(*(novita.send_webhook(seed.task_id) for _ in range(5)))
    assert [status for status, _ in answers] == [200] * 5
    kling = await animating(novita)
    # Novita's later retries of the image event change nothing either.
    late = [await novita.send_webhook(seed.task_id, shape="seed") for _ in range(5)]
    assert [status for status, _ in late] == [200] * 5
    await finish_video(novita, kling)
    await sbot.wait_sent(chat, "sendVideo")
    await eventually(lambda: delivered(sbot, kling))

    assert sbot.photos_sent() == {chat: 1}
    assert len(kling_tasks(novita)) == 1
    assert len(sbot.telegram.calls_to("sendVideo")) == 1


async def test_an_image_step_failure_says_so_and_goes_no_further(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    command(sbot, chat, f"/sketch {PROMPT}")
    [seed] = await novita.wait_for_task()

    novita.finish(seed.task_id, reason="The prompt was flagged by the safety checker")
    assert (await novita.send_webhook(seed.task_id))[0] == 200

    expected = "The image step failed: The prompt was flagged by the safety checker. " + (
        "Send /sketch to try again."
    )
    assert expected == texts.step_failed(
        MediaKind.IMAGE, FailureKind.REJECTED, "The prompt was flagged by the safety checker",
        "sketch",
    )  # fmt: skip
    await sbot.wait_said(chat, lambda t: t == expected)
    await eventually(lambda: delivered(sbot, seed))
    assert sbot.telegram.calls_to("sendPhoto") == [] and kling_tasks(novita) == []


async def test_a_video_step_failure_says_so_and_the_preview_stays(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    seed, _ = await drawn(sbot, novita, chat)
    await novita.send_webhook(seed.task_id)
    [preview] = await sbot.wait_sent(chat)
    kling = await animating(novita)

    novita.finish(kling.task_id, reason="Video generation failed: motion too complex")
    assert (await novita.send_webhook(kling.task_id))[0] == 200

    await sbot.wait_said(
        chat, lambda t: t.startswith("The video step failed: Video generation failed")
    )
    await eventually(lambda: delivered(sbot, kling))
    assert preview.result is not None
    deleted = {int(c.params["message_id"]) for c in sbot.telegram.calls_to("deleteMessage")}
    assert preview.result["message_id"] not in deleted
    assert sbot.telegram.calls_to("sendVideo") == []


async def test_a_refused_video_submission_names_the_video_step(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    seed, _ = await drawn(sbot, novita, chat)
    novita.fail_next(400, "INVALID_REQUEST_BODY", "image content not allowed")

    await novita.send_webhook(seed.task_id)

    await sbot.wait_said(
        chat, lambda t: t.startswith("The video step failed: image content not allowed")
    )
    assert sbot.photos_sent() == {chat: 1}
    kling_calls = [r for r in novita.requests if r.path.endswith("kling-v2.1-i2v-master")]
    assert [r.status for r in kling_calls] == [400]  # refused once, never tried again


async def test_sketch_alone_asks_for_the_description(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    command(sbot, chat, "/sketch")
    await sbot.wait_said(chat, lambda t: t == texts.FLOW_INTROS["sketch"]())
    assert novita.requests == []

    sbot.telegram.message_update(chat_id=chat, user_id=chat, text="a lighthouse in fog")

    [seed] = await novita.wait_for_task()
    assert seed.fields["prompt"] == "a lighthouse in fog"


async def test_a_prompt_over_a_steps_limit_is_refused_before_any_call(
    sbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = sbot.new_user()
    command(sbot, chat, "/sketch " + "a very long description " * 90)

    await sbot.wait_said(chat, lambda t: "too long" in t and "2,000" in t)
    assert novita.requests == [] and sbot.kie.tasks == {}


async def test_without_novita_sketch_is_plainly_unavailable(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, f"/sketch {PROMPT}")

    await bot.wait_said(chat, lambda t: t == texts.MODEL_UNAVAILABLE())
    assert bot.kie.tasks == {}
    assert await bot.redis.keys("job:*") == []


async def test_two_replicas_hearing_the_image_event_start_the_video_once(
    sbot: BotHarness, start_bot: StartBot, novita: NovitaEmulator
) -> None:
    """The second replica has its own Bot API emulator, so each replica's sends are counted."""
    chat = sbot.new_user()
    seed, _ = await drawn(sbot, novita, chat)
    assert seed.webhook_url is not None
    async with (
        TelegramEmulator(token=TOKEN) as other_telegram,
        start_bot(telegram_emulator=other_telegram, **novita_settings(novita)) as other,
    ):
        urls = [seed.webhook_url, seed.webhook_url.replace(sbot.url, other.url)] * 3
        answers = await asyncio.gather(*(novita.send_webhook(seed.task_id, url=u) for u in urls))
        assert [status for status, _ in answers] == [200] * 6
        kling = await animating(novita)
        await finish_video(novita, kling)
        await eventually(lambda: delivered(sbot, kling))

        previews = sbot.photos_sent()[chat] + other.photos_sent()[chat]
        videos = [
            c for t in (sbot.telegram, other_telegram) for c in t.calls_to("sendVideo") if c.ok
        ]
        assert (previews, len(videos), len(kling_tasks(novita))) == (1, 1, 1)


async def test_a_synchronous_seedream_image_is_animated_the_same_way(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    novita.sync_image = DRAWING
    async with start_bot(**novita_settings(novita), novita_seedream_mode="sync") as bot:
        chat = bot.new_user()
        command(bot, chat, f"/sketch {PROMPT}")

        [preview] = await bot.wait_sent(chat)
        assert preview.params["photo"] == DRAWING
        kling = await animating(novita)
        assert kling.image == DRAWING and kling.image_source is not None
        await finish_video(novita, kling)
        [video] = await bot.wait_sent(chat, "sendVideo")

        assert video.params["video"] == CLIP
        assert [t.endpoint for t in novita.tasks.values()] == ["seedream-sync", "kling"]
