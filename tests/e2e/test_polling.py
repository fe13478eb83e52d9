"""Polling mode end to end: a bot token and a Kie key, nothing else (no public URL, no R2, an
embedded Redis). Nothing reaches the bot from outside: its inputs go to Kie through Kie's file
upload API, no callback URL is given out (Suno gets a placeholder), and results arrive because
every job is polled from its start."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot import texts
from bot.errors import FailureKind
from bot.providers.kie.requests import NO_CALLBACK_URL
from bot.sandbox.emulators.kie import KieEmulator
from tests.conftest import free_port
from tests.e2e.test_commands import command
from tests.e2e.test_credits import FREE, assert_ledger_sums, balance, closed, entries
from tests.harness import BotHarness, StartBot
from tests.images import png

RESULT_PNG = png(text=b"polled")
PHOTO = png(text=b"the user's photo")
ADMIN = 4242


def two_keys_only(kie: KieEmulator, tmp_path: Path, **more: Any) -> dict[str, Any]:
    """What an operator sets to go live on a laptop: the token and the Kie key (the emulators'
    addresses stand in for Telegram's and Kie's); everything else is left unset."""
    return {
        "public_base_url": None, "redis_url": None, "callback_secret": None,
        "r2_endpoint_url": None, "r2_access_key_id": None, "r2_secret_access_key": None,
        "r2_bucket": None, "kie_upload_base_url": kie.url, "data_dir": tmp_path / "d", **more,
    }  # fmt: skip


def create_requests(kie: KieEmulator, path: str) -> list[dict[str, Any]]:
    return [r.json for r in kie.requests if r.path == path and r.method == "POST"]


async def health(bot: BotHarness) -> dict[str, Any]:
    async with bot.http.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def test_a_token_and_a_kie_key_deliver_a_photo_by_polling(
    start_bot: StartBot, kie: KieEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # poll_after_seconds stays at the fixtures' 30 s: a result within the wait below can only
    # come from a poll on the model's cadence (3 s), from the job's start.
    async with start_bot(**two_keys_only(kie, tmp_path)) as bot:
        assert (await health(bot))["callbacks"] == "off (polling)"
        chat = bot.new_user()
        bot.send_photo(chat, caption="make it gold", data=PHOTO)
        task = await bot.submitted_task()

        [upload] = kie.uploads
        assert upload.data == PHOTO and upload.content_type == "image/png"
        assert upload.file_name.endswith("-1.png") and upload.upload_path == "photobot/inputs"
        assert task.input["image_input"] == [upload.download_url]
        [body] = create_requests(kie, "/api/v1/jobs/createTask")
        assert "callBackUrl" not in body  # optional in Kie's jobs API: nothing to call back

        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        [sent] = await bot.wait_sent(chat)
        assert sent.params["photo"] == RESULT_PNG
        assert any(r.path == "/api/v1/jobs/recordInfo" for r in kie.requests)

        bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
        [stats] = await bot.wait_sent(ADMIN, "sendMessage")
        assert "callbacks=off (polling)" in stats.params["text"]

    [startup] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("backends:")]
    assert startup == (
        "backends: redis=embedded, storage=local, telegram=polling, callbacks=off (polling)"
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "kie-test-key" not in logged and upload.download_url not in logged


async def test_music_in_polling_mode_arrives_by_polling(
    start_bot: StartBot, kie: KieEmulator, tmp_path: Path
) -> None:
    async with start_bot(**two_keys_only(kie, tmp_path)) as bot:
        chat = bot.new_user()
        command(bot, chat, "/music rainy jazz")
        task = await bot.submitted_task()
        # Suno requires a callBackUrl: it gets one that leads nowhere, ours or anyone's.
        assert task.callback_url == NO_CALLBACK_URL
        [body] = create_requests(kie, "/api/v1/generate")
        assert body["callBackUrl"] == NO_CALLBACK_URL
        assert kie.uploads == []  # a song from words has no input to hand over

        kie.finish_music(task.task_id)
        songs = await bot.wait_sent(chat, "sendAudio", count=2)
        assert [s.params["title"] for s in songs] == ["Photobot song 1", "Photobot song 2"]
        assert any(r.path == "/api/v1/generate/record-info" for r in kie.requests)


async def test_an_upload_host_down_fails_the_job_and_gives_its_credits_back(
    start_bot: StartBot, kie: KieEmulator, tmp_path: Path
) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}"
    # The test's own Redis (not an embedded one), to read the ledger; the rest as above.
    settings = two_keys_only(kie, tmp_path, kie_upload_base_url=nobody_listens, payments="stars")
    del settings["redis_url"]
    async with start_bot(**settings) as bot:
        chat = bot.new_user()
        bot.send_photo(chat, caption="make it gold", data=PHOTO)

        busy = texts.FAILURE_BY_KIND[FailureKind.BUSY]()
        await bot.wait_said(chat, lambda text: text == busy)
        await closed(bot, chat)
        assert await balance(bot, chat) == FREE  # held at the start, given back at the failure
        assert [e["r"] for e in await entries(bot, chat)] == ["back", "job", "free"]
        await assert_ledger_sums(bot, chat)
        assert kie.tasks == {} and kie.uploads == []  # nothing reached Kie, nothing was spent
