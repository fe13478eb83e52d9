"""Secrets never reach the log, even at DEBUG with every third-party logger talking."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from redis.asyncio import Redis

from bot.log_context import bind_job_id
from bot.runtime.log_setup import RedactSecrets, setup_logging
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.child import BotHarnessView, child_env, r2_env, running_bot
from tests.conftest import TOKEN, free_port
from tests.harness import eventually
from tests.images import png

KIE_KEY = "kie-test-key"
RESULT_PNG = png(text=b"result")


async def test_debug_log_of_a_whole_job_carries_no_secret(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str,
    s3_endpoint: str, tmp_path: Path,
) -> None:  # fmt: skip
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data",
                    LOG_LEVEL="DEBUG", **r2_env(s3_endpoint))  # fmt: skip
    users = BotHarnessView(telegram, kie, redis)
    log_path = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log_path):
        users.send_photo(users.new_user(), caption="a watercolor")
        task = await users.submitted_task()
        image_url = task.input["image_input"][0]
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        await kie.send_callback(task.task_id)
        await telegram.wait_for("sendPhoto", lambda c: c.ok, timeout=30)

    log = log_path.read_text()
    signature = parse_qs(urlsplit(image_url).query)["X-Amz-Signature"][0]
    callback_token = parse_qs(urlsplit(task.callback_url or "").query)["token"][0]
    assert "botocore" in log and "Signature" in log  # botocore really logged at DEBUG
    for secret in (signature, callback_token, TOKEN, KIE_KEY):
        assert secret not in log


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Signature:\n" + "ab12" * 16, "ab12" * 16),
        ("StringToSign:\nAWS4-HMAC-SHA256\n20260101T000000Z\nscope\n" + "cd" * 32, "cd" * 32),
        ("GET https://r2.example/b/k?X-Amz-Signature=f00d&X-Amz-Date=1", "f00d"),
        ("/media/k.jpg?expires=1&sig=c0ffee1234", "c0ffee1234"),
        ("POST /api/kie/callback?job=j&token=deadbeef99", "deadbeef99"),
        ("headers={'Authorization': b'AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=99'}", "AKIA"),
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("calling with headers Bearer sk-live-0123456789", "sk-live-0123456789"),
        ("params {'url': 'https://x', 'secret_token': 'hook-secret-1'}", "hook-secret-1"),
        ('{"api_key": "novita-key-42"}', "novita-key-42"),
        ("x-amz-security-token: FQoGZXIvYXdzEJr", "FQoGZXIvYXdzEJr"),
        ("foreign token 987654321:AAH" + "x" * 32 + " rejected", "AAH" + "x" * 32),
    ],
)
def test_credential_shapes_are_scrubbed(line: str, secret: str) -> None:
    assert secret not in RedactSecrets().redact(line)


def test_known_secrets_are_scrubbed_and_plain_text_kept() -> None:
    redact = RedactSecrets(["kie-test-key", "short"]).redact
    line = "job 42 submitted with kie-test-key; a short note"
    assert redact(line) == "job 42 submitted with ***; a short note"


def test_third_party_records_are_scrubbed_through_the_root_handler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", ["kie-test-key"])
        logging.getLogger("botocore.auth").debug("Signature:\n%s", "e" * 64)
        logging.getLogger("some.library").debug("Authorization: Bearer %s", "kie-test-key")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "botocore.auth: Signature:\n***" in err
    assert "e" * 64 not in err and "kie-test-key" not in err


def test_json_lines_are_scrubbed_and_carry_the_job_id(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", ["kie-test-key"], log_format="json")
        logging.getLogger("bot.jobs").info("submitting with key %s", "kie-test-key")
        bind_job_id("job-42")
        logging.getLogger("botocore.auth").debug("Signature:\n%s", "e" * 64)
        try:
            raise RuntimeError("refused the key kie-test-key")
        except RuntimeError:
            logging.getLogger("bot.jobs").exception("job %s: délivery crashed", "job-42")
    finally:
        bind_job_id(None)
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines()]

    assert "kie-test-key" not in err and "e" * 64 not in err
    assert [line.keys() >= {"time", "level", "logger", "message"} for line in lines] == [True] * 3
    assert [line.get("job_id") for line in lines] == [None, "job-42", "job-42"]
    assert lines[0]["message"] == "submitting with key ***"
    assert lines[1]["logger"] == "botocore.auth" and lines[1]["message"] == "Signature:\n***"
    assert lines[2]["level"] == "ERROR" and lines[2]["message"] == "job job-42: délivery crashed"
    assert lines[2]["exc_info"].startswith("Traceback") and "key ***" in lines[2]["exc_info"]
    assert err.isascii()


async def test_json_log_of_a_whole_job_is_one_object_a_line_with_the_job_id(
    telegram: TelegramEmulator, kie: KieEmulator, redis: Redis, redis_url: str,
    s3_endpoint: str, tmp_path: Path,
) -> None:  # fmt: skip
    """The real bot at LOG_FORMAT=json and DEBUG: every stderr line parses, every line logged
    while working on the job (PTB's and botocore's too) names it, and no secret appears."""
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data",
                    LOG_LEVEL="DEBUG", LOG_FORMAT="json", **r2_env(s3_endpoint))  # fmt: skip
    users = BotHarnessView(telegram, kie, redis)
    log_path = tmp_path / "bot.log"
    async with running_bot(env, tmp_path, log_path):
        users.send_photo(users.new_user(), caption="a watercolor")
        task = await users.submitted_task()
        kie.finish(task.task_id, result_urls=[kie.add_result_file(RESULT_PNG)])
        await kie.send_callback(task.task_id)
        await telegram.wait_for("sendPhoto", lambda c: c.ok, timeout=30)
        job_id = parse_qs(urlsplit(task.callback_url or "").query)["job"][0]
        await eventually(lambda: f"job {job_id} delivered" in log_path.read_text(), within=10)

    text = log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one object
    of_job = [line for line in lines if line.get("job_id") == job_id]
    messages = [line["message"] for line in of_job]
    callback_token = parse_qs(urlsplit(task.callback_url or "").query)["token"][0]

    assert all(isinstance(line, dict) and line.keys() >= {"time", "level", "message"}
               for line in lines)  # fmt: skip
    assert any(m.startswith(f"job {job_id} created") for m in messages)
    assert any(m.startswith(f"job {job_id} submitted") for m in messages)
    assert f"job {job_id} delivered (succeeded)" in messages
    # Our lines about the job all name it: intake, callback, delivery, status messages.
    assert [line for line in lines if job_id in line["message"] and line not in of_job] == []
    assert {"bot.jobs.start.create", "bot.web.callbacks", "bot.jobs.deliver.deliverer"} <= {
        line["logger"] for line in of_job
    }
    # Libraries' lines logged while working on the job name it too.
    assert {"botocore", "telegram"} <= {line["logger"].split(".")[0] for line in of_job}
    for secret in (callback_token, TOKEN, KIE_KEY):
        assert secret not in text
