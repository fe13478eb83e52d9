"""The Novita emulator and Photobot's Novita client, against each other over HTTP: both body
shapes of txt2img, the multipart upload, task-result, the balance, and error answers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.errors import FailureKind, ProviderError
from bot.providers.base import TaskStatus
from bot.providers.novita.client import KLING_I2V_MASTER, TXT2IMG, NovitaClient
from bot.providers.novita.errors import NETWORK
from bot.sandbox.emulators.novita import NovitaEmulator
from tests.conftest import NOVITA_KEY, free_port
from tests.images import jpeg

FLAT = {"model_name": "seedream_3_0", "prompt": "a fox", "width": 720, "height": 1280,
        "image_num": 1, "extra": {"webhook": {"url": "https://bot.example/hook"}}}  # fmt: skip


@pytest.fixture
async def client(novita: NovitaEmulator) -> AsyncIterator[NovitaClient]:
    async with aiohttp.ClientSession() as http:
        yield NovitaClient(http, novita.url, NOVITA_KEY, backoff_s=0.01)


async def test_the_seeds_flat_body_and_the_official_one_are_both_taken(
    client: NovitaClient, novita: NovitaEmulator
) -> None:
    seed_id = await client.submit_json(TXT2IMG, FLAT)
    wrapped = {"extra": FLAT["extra"], "request": {k: v for k, v in FLAT.items() if k != "extra"}}
    official_id = await client.submit_json(TXT2IMG, wrapped)

    seed, official = novita.tasks[seed_id], novita.tasks[official_id]
    assert (seed.shape, official.shape) == ("seed", "official")
    assert seed.fields["prompt"] == official.fields["prompt"] == "a fox"
    assert seed.webhook_url == official.webhook_url == "https://bot.example/hook"


async def test_an_upload_is_recorded_byte_for_byte(
    client: NovitaClient, novita: NovitaEmulator
) -> None:
    image = jpeg(400, 400)
    fields = {"prompt": "turn", "duration": "10", "extra": '{"webhook": {"url": "https://h"}}'}
    task_id = await client.submit_upload(KLING_I2V_MASTER, fields, image, "image/jpeg")

    task = novita.tasks[task_id]
    assert (task.image, task.image_filename, task.image_content_type) == (
        image, "image.jpg", "image/jpeg",
    )  # fmt: skip
    assert task.body == fields and task.webhook_url == "https://h"


async def test_task_result_follows_the_task(client: NovitaClient, novita: NovitaEmulator) -> None:
    task_id = await client.submit_json(TXT2IMG, FLAT)
    assert (await client.task_result(task_id)).status is TaskStatus.PENDING
    novita.finish(task_id)
    done = await client.task_result(task_id)
    assert done.status is TaskStatus.SUCCEEDED and len(done.results) == 1
    novita.finish(task_id, reason="NSFW content detected")
    failed = await client.task_result(task_id)
    assert (failed.status, failed.error_message) == (TaskStatus.FAILED, "NSFW content detected")


async def test_the_balance_is_in_dollars(client: NovitaClient, novita: NovitaEmulator) -> None:
    novita.balance = 123_400
    assert await client.balance_usd() == pytest.approx(12.34)


@pytest.mark.parametrize(
    ("status", "reason", "kind"),
    [(400, "INVALID_REQUEST_BODY", FailureKind.REJECTED),
     (403, "NOT_ENOUGH_BALANCE", FailureKind.NO_CREDITS),
     (403, "", FailureKind.NO_CREDITS)],
)  # fmt: skip
async def test_refusals_are_not_retried(
    client: NovitaClient, novita: NovitaEmulator, status: int, reason: str, kind: FailureKind
) -> None:
    novita.fail_next(status, reason, "nope", times=3)
    with pytest.raises(ProviderError) as caught:
        await client.submit_json(TXT2IMG, FLAT)
    assert (caught.value.code, caught.value.kind, caught.value.message) == (status, kind, "nope")
    assert len(novita.requests) == 1


async def test_busy_answers_are_retried(client: NovitaClient, novita: NovitaEmulator) -> None:
    novita.fail_next(429, "RATE_LIMIT_EXCEEDED", times=1)
    novita.fail_next(503, "", "overloaded", times=1)
    task_id = await client.submit_json(TXT2IMG, FLAT)
    assert task_id in novita.tasks
    assert [r.status for r in novita.requests] == [429, 503, 200]


async def test_a_wrong_key_is_refused_and_never_retried(novita: NovitaEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        client = NovitaClient(http, novita.url, "wrong", backoff_s=0.01)
        with pytest.raises(ProviderError) as caught:
            await client.submit_json(TXT2IMG, FLAT)
    assert caught.value.kind is FailureKind.MISCONFIGURED
    assert "wrong" not in str(caught.value)
    assert [r.headers["Authorization"] for r in novita.requests] == ["Bearer wrong"]


async def test_an_unreachable_novita_is_busy() -> None:
    async with aiohttp.ClientSession() as http:
        client = NovitaClient(http, f"http://127.0.0.1:{free_port()}", NOVITA_KEY, attempts=1)
        with pytest.raises(ProviderError) as caught:
            await client.submit_json(TXT2IMG, FLAT)
    assert (caught.value.code, caught.value.kind) == (NETWORK, FailureKind.BUSY)
