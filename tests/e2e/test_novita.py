"""Novita end to end: users' commands reach the Novita emulator over HTTP (exact bodies, the
uploaded bytes, the tokened webhook URL), and its webhooks, polling and synchronous answers come
back to the chat once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot import texts
from bot.errors import FailureKind
from bot.providers.callback_tokens import callback_token
from bot.sandbox.emulators.novita import TINY_PNG, NovitaEmulator, NovitaTask
from tests.conftest import NOVITA_KEY
from tests.e2e.test_commands import command, mp4
from tests.harness import BotHarness, StartBot, eventually
from tests.images import jpeg, png
from tests.media.test_sniff import webp_lossy

PERSON = jpeg(720, 1280)
RESULT = png(64, 64, text=b"novita result")
CLIP = mp4(b"kling result")
ROUTE = "/api/novita/webhook"


@pytest.fixture
async def nbot(start_bot: StartBot, novita: NovitaEmulator) -> AsyncIterator[BotHarness]:
    """A bot with both providers configured and Novita preferred."""
    async with start_novita(start_bot, novita) as harness:
        yield harness


@pytest.fixture
async def only_novita(start_bot: StartBot, novita: NovitaEmulator) -> AsyncIterator[BotHarness]:
    """Novita alone serves /imagine and /video on a photo: its limits are the only ones."""
    lists = {"text_to_image_providers": "novita", "image_to_video_providers": "novita"}
    async with start_novita(start_bot, novita, **lists) as harness:
        yield harness


def start_novita(start_bot: StartBot, novita: NovitaEmulator, **overrides: Any) -> BotHarness:
    settings = {"novita_api_key": NOVITA_KEY, "novita_base_url": novita.url,
                "text_to_image_providers": "novita,kie",
                "image_to_video_providers": "novita,kie"}  # fmt: skip
    return start_bot(**{**settings, **overrides})


async def one_task(novita: NovitaEmulator) -> NovitaTask:
    [task] = await novita.wait_for_task()
    return task


def job_of(task: NovitaTask) -> str:
    assert task.webhook_url is not None
    return parse_qs(urlsplit(task.webhook_url).query)["job"][0]


def assert_tokened_webhook(bot: BotHarness, task: NovitaTask) -> None:
    """The webhook URL is ours, on Novita's route, with this job's own token."""
    assert task.webhook_url is not None
    url = urlsplit(task.webhook_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{bot.url}{ROUTE}"
    query = parse_qs(url.query)
    secret = bot.settings.callback_secret
    assert secret is not None
    expected = callback_token(secret.get_secret_value().encode(), "novita", job_of(task))
    assert query["token"] == [expected]


async def post_webhook(bot: BotHarness, query: str, body: dict[str, Any]) -> int:
    async with bot.http.post(f"{bot.url}{ROUTE}?{query}", json=body) as response:
        return response.status


async def state_of(bot: BotHarness, task: NovitaTask) -> str | None:
    return await bot.redis.hget(f"job:{job_of(task)}", "state")


def authorized(novita: NovitaEmulator, path: str) -> list[str]:
    return [r.headers.get("Authorization", "") for r in novita.requests if r.path == path]


@pytest.mark.parametrize("shape", ["official", "seed"])
async def test_imagine_goes_to_seedream_and_its_webhook_delivers_the_image(
    nbot: BotHarness, novita: NovitaEmulator, shape: str
) -> None:
    chat = nbot.new_user()
    command(nbot, chat, "/imagine a red fox in the snow")

    task = await one_task(novita)
    assert authorized(novita, "/v3/async/txt2img") == [f"Bearer {NOVITA_KEY}"]
    assert task.endpoint == "txt2img" and task.shape == "official"
    assert task.fields == {
        "model_name": "seedream_3_0", "prompt": "a red fox in the snow",
        "negative_prompt": "blurry, low quality", "width": 720, "height": 1280, "image_num": 1,
        "guidance_scale": 2.5, "steps": 20, "seed": -1,
    }  # fmt: skip
    assert task.body["extra"]["response_image_type"] == "jpeg"
    assert task.test_mode is None
    assert_tokened_webhook(nbot, task)

    novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])
    assert (await novita.send_webhook(task.task_id, shape=shape))[0] == 200
    [sent] = await nbot.wait_sent(chat)
    assert sent.params["photo"] == RESULT
    assert nbot.kie.tasks == {}


@pytest.mark.parametrize(("length", "seconds"), [("short", "5"), ("long", "10")])
async def test_video_on_a_photo_uploads_its_exact_bytes_to_kling(
    nbot: BotHarness, novita: NovitaEmulator, length: str, seconds: str
) -> None:
    chat = nbot.new_user()
    await nbot.redis.hset(f"settings:{chat}", "video_length", length)
    nbot.send_photo(chat, caption="/video slow zoom out", data=PERSON)

    task = await one_task(novita)
    [upload] = [r for r in novita.requests if r.path.endswith("kling-v2.1-i2v-master")]
    assert upload.headers["Authorization"] == f"Bearer {NOVITA_KEY}"
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert task.image == PERSON and task.image_content_type == "image/jpeg"
    extra = json.loads(task.body.pop("extra"))
    assert task.body == {"prompt": "slow zoom out", "duration": seconds,
                         "negative_prompt": "blurry, distorted", "cfg_scale": "0.5"}  # fmt: skip
    assert extra == {"webhook": {"url": task.webhook_url}}
    assert_tokened_webhook(nbot, task)

    clip = novita.add_result_file(CLIP, name="v.mp4", content_type="video/mp4")
    novita.finish(task.task_id, videos=[clip])
    assert (await novita.send_webhook(task.task_id, shape="seed"))[0] == 200
    job = f"job:{job_of(task)}"
    assert json.loads(await nbot.redis.hget(job, "results")) == [{"url": clip, "kind": "video"}]
    [video] = await nbot.wait_sent(chat, "sendVideo")
    assert video.params["video"] == CLIP and video.params["supports_streaming"] is True


async def test_a_failure_reason_reaches_the_user_plainly(
    nbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = nbot.new_user()
    command(nbot, chat, "/imagine a castle")
    task = await one_task(novita)

    novita.finish(task.task_id, reason="The prompt was flagged by the safety checker")
    assert (await novita.send_webhook(task.task_id))[0] == 200

    expected = texts.failure_text(
        FailureKind.REJECTED, "The prompt was flagged by the safety checker", from_photo=False
    )
    await nbot.wait_said(chat, lambda t: t == expected)
    assert nbot.telegram.calls_to("sendPhoto") == []


async def test_five_repeats_of_an_event_deliver_once(
    nbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = nbot.new_user()
    command(nbot, chat, "/imagine a lighthouse")
    task = await one_task(novita)
    novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])

    # Novita retries up to five times; here all of them arrive, some at once.
    answers = await asyncio.gather(*(novita.send_webhook(task.task_id) for _ in range(5)))

    assert [status for status, _ in answers] == [200] * 5

    async def delivered() -> bool:
        return await state_of(nbot, task) == "delivered"

    await eventually(delivered)
    assert nbot.photos_sent() == {chat: 1}


async def test_other_event_types_are_acknowledged_and_change_nothing(
    nbot: BotHarness, novita: NovitaEmulator
) -> None:
    chat = nbot.new_user()
    command(nbot, chat, "/imagine a harbour")
    task = await one_task(novita)
    novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])

    status, _ = await novita.send_webhook(task.task_id, event_type="TASK_PROGRESS")

    assert status == 200
    assert await state_of(nbot, task) == "submitted"
    assert nbot.telegram.calls_to("sendPhoto") == []
    # The job was left as it was: the real event still delivers it.
    assert (await novita.send_webhook(task.task_id))[0] == 200
    [sent] = await nbot.wait_sent(chat)
    assert sent.params["photo"] == RESULT


async def test_forged_or_missing_tokens_are_refused_and_nothing_is_sent(
    nbot: BotHarness, novita: NovitaEmulator
) -> None:
    command(nbot, nbot.new_user(), "/imagine a bridge")
    task = await one_task(novita)
    novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])
    body = novita.webhook_body(task.task_id)
    job = job_of(task)
    secret = b"test-callback-secret"

    statuses = [
        await post_webhook(nbot, f"job={job}", body),
        await post_webhook(nbot, f"job={job}&token=" + "0" * 32, body),
        # Kie's token for the same job is not Novita's.
        await post_webhook(nbot, f"job={job}&token={callback_token(secret, 'kie', job)}", body),
        await post_webhook(
            nbot, "job=another&token=" + callback_token(secret, "novita", job), body
        ),
    ]

    assert statuses == [401, 403, 403, 403]
    assert await state_of(nbot, task) == "submitted"
    assert nbot.telegram.calls_to("sendPhoto") == []


async def test_synchronous_seedream_runs_in_the_background_and_delivers(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    novita.hold_sync()
    novita.sync_image = RESULT
    async with start_novita(start_bot, novita, novita_seedream_mode="sync") as bot:
        chat = bot.new_user()
        update = command(bot, chat, "/imagine a quiet street at night")

        task = await one_task(novita)
        assert task.endpoint == "seedream-sync"
        assert task.body == {
            "prompt": "a quiet street at night", "model": "seedream-3-0-t2i-250415",
            "response_format": "url", "size": "720x1280", "watermark": False, "seed": -1,
            "guidance_scale": 2.5,
        }  # fmt: skip
        # The call is still open at Novita, yet the handler is done and the user told.
        await bot.settled(update)
        await bot.wait_said(chat, lambda t: t == texts.GENERATING())
        assert bot.telegram.calls_to("sendPhoto") == []

        novita.release_sync()
        [sent] = await bot.wait_sent(chat)
        assert sent.params["photo"] == RESULT
        assert novita.webhook_answers == []


async def test_a_refused_synchronous_call_tells_the_user_why(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    novita.fail_next(400, "INVALID_REQUEST_BODY", "prompt contains banned words")
    async with start_novita(start_bot, novita, novita_seedream_mode="sync") as bot:
        chat = bot.new_user()
        command(bot, chat, "/imagine something odd")

        expected = texts.failure_text(
            FailureKind.REJECTED, "prompt contains banned words", from_photo=False
        )
        await bot.wait_said(chat, lambda t: t == expected)
        assert [r.status for r in novita.requests] == [400]


@pytest.mark.parametrize(("mode", "status"), [("succeed", "TASK_STATUS_SUCCEED"),
                                              ("fail", "TASK_STATUS_FAILED")])  # fmt: skip
async def test_test_mode_asks_for_a_mock_event_and_handles_it(
    start_bot: StartBot, novita: NovitaEmulator, mode: str, status: str
) -> None:
    async with start_novita(start_bot, novita, novita_test_mode=mode) as bot:
        chat = bot.new_user()
        command(bot, chat, "/imagine a test pattern")

        task = await one_task(novita)
        assert task.test_mode == {"enabled": True, "return_task_status": status}
        await novita.wait_for_webhooks(1)
        assert novita.webhook_answers == [(task.task_id, 200)]
        if mode == "succeed":
            [sent] = await bot.wait_sent(chat)
            assert sent.params["photo"] == TINY_PNG
        else:
            expected = texts.failure_text(
                FailureKind.REJECTED, "test mode: the task failed", from_photo=False
            )
            await bot.wait_said(chat, lambda t: t == expected)


async def test_polling_delivers_when_the_webhook_never_comes(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    async with start_novita(start_bot, novita, poll_after_seconds=0.2) as bot:
        chat = bot.new_user()
        command(bot, chat, "/imagine waves roll in")
        task = await one_task(novita)
        novita.finish(task.task_id, images=[novita.add_result_file(RESULT)])  # no webhook, ever

        [sent] = await bot.wait_sent(chat)

        assert sent.params["photo"] == RESULT
        polls = [r for r in novita.requests if r.path == "/v3/async/task-result"]
        assert polls and all(r.query == {"task_id": task.task_id} for r in polls)
        assert {r.headers["Authorization"] for r in polls} == {f"Bearer {NOVITA_KEY}"}
        assert novita.webhook_answers == []


def _webp_document(bot: BotHarness) -> dict[str, Any]:
    file_id, unique = bot.telegram.add_file(webp_lossy(720, 1280))
    return {"file_id": file_id, "file_unique_id": unique, "mime_type": "image/webp",
            "file_name": "me.webp"}  # fmt: skip


async def test_a_too_small_photo_is_refused_before_any_call(
    only_novita: BotHarness, novita: NovitaEmulator
) -> None:
    chat = only_novita.new_user()
    only_novita.send_photo(chat, caption="/video make it move", data=jpeg(200, 280))

    await only_novita.wait_said(chat, lambda t: "too small" in t and "300 by 300" in t)
    assert novita.requests == []


async def test_a_webp_image_is_refused_before_any_call(
    only_novita: BotHarness, novita: NovitaEmulator
) -> None:
    chat = only_novita.new_user()
    only_novita.telegram.message_update(
        chat_id=chat,
        user_id=chat,
        document=_webp_document(only_novita),
        caption="/video drift away",
    )

    await only_novita.wait_said(chat, lambda t: t == texts.IMAGE_FORMAT_REFUSED())
    assert novita.requests == []


async def test_a_prompt_over_seedreams_limit_is_refused_before_any_call(
    only_novita: BotHarness, novita: NovitaEmulator
) -> None:
    chat = only_novita.new_user()
    command(only_novita, chat, "/imagine " + "a very long description " * 90)

    await only_novita.wait_said(chat, lambda t: "too long" in t and "2,000" in t)
    assert novita.requests == []


async def test_a_wrong_key_is_refused_by_novita_and_heard_as_misconfiguration(
    start_bot: StartBot, novita: NovitaEmulator
) -> None:
    only_novita = {"novita_api_key": "not-the-key", "text_to_image_providers": "novita"}
    async with start_novita(start_bot, novita, **only_novita) as bot:
        chat = bot.new_user()
        command(bot, chat, "/imagine a key that does not fit")

        await bot.wait_said(chat, lambda t: t == texts.failure_text(FailureKind.MISCONFIGURED))
        assert [(r.path, r.status) for r in novita.requests] == [("/v3/async/txt2img", 401)]
        assert novita.tasks == {}


async def test_without_a_novita_key_the_route_answers_404(bot: BotHarness) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{bot.url}{ROUTE}?job=j&token=" + "0" * 32
        async with http.post(url, json={"event_type": "ASYNC_TASK_RESULT"}) as response:
            assert response.status == 404
    command(bot, bot.new_user(), "/imagine a fox")  # Kie serves as before
    assert (await bot.submitted_task()).model == "google/nano-banana"
