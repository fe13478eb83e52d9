"""`photobot check` against the emulators, moto's S3 and a real Redis: every part good, and each
fault named on one line (exit 1) with no secret printed."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import boto3
import pytest
from aiohttp import web
from redis.asyncio import Redis

from bot.config import Settings, load_settings
from bot.runtime.check import run_checks, telegram_bot
from bot.runtime.check.base import Line, Status
from bot.runtime.check.public_url import nonce_server
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import TOKEN, free_port

KIE_KEY = "kie-test-key"
R2_SECRET = "r2-secret-access-key-123456"
NGROK_PAGE = b"""<!DOCTYPE html><html><head><title>ngrok</title></head><body>
<p>You are about to visit 1a2b-203-0-113-7.ngrok-free.app, served by ngrok.</p>
<p>ERR_NGROK_6024</p><button>Visit Site</button></body></html>"""


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """A tiny server standing for what answers a public URL; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def _html_app() -> web.Application:
    async def interstitial(request: web.Request) -> web.Response:
        return web.Response(body=NGROK_PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/healthz", interstitial)
    return app


@pytest.fixture(autouse=True)
def short_poller_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 s getUpdates probe: the emulator's rival pollers answer well within it."""
    monkeypatch.setattr(telegram_bot, "PROBE_S", 1)


@pytest.fixture
def check_settings(
    make_settings: Callable[..., dict[str, Any]], redis: Redis
) -> Callable[..., Settings]:
    """Settings for the check, wired to the emulators, moto and the test Redis; the public
    URL is this machine's HTTP_PORT itself unless a test points it elsewhere."""

    def build(**overrides: Any) -> Settings:
        values = make_settings(**overrides)
        if "public_base_url" not in overrides:
            values["public_base_url"] = f"http://127.0.0.1:{values['http_port']}"
        return load_settings(from_env=False, **values)

    return build


@pytest.fixture
def moto_with_auth(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """moto's S3 checking signatures, as R2 does, for one test: an IAM user's key id and its
    real secret (moto checks nothing by default)."""
    from moto import settings as moto_settings
    from moto.core.authorization import ActionAuthenticatorMixin

    iam = boto3.client(
        "iam", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    )  # fmt: skip
    user = f"check-{free_port()}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    return key["AccessKeyId"], key["SecretAccessKey"]


async def check(settings: Settings) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_checks(settings, out)
    return code, out.getvalue()


def failing(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(Status.FAIL.value)]


def assert_no_secret(output: str) -> None:
    for secret in (TOKEN, TOKEN.split(":")[1], KIE_KEY, R2_SECRET, "X-Amz-Signature"):
        assert secret not in output


async def test_every_part_good_passes(
    check_settings: Callable[..., Settings], telegram: TelegramEmulator, kie: KieEmulator
) -> None:
    code, output = await check(check_settings())
    assert code == 0, output
    assert failing(output) == []
    assert "@photobot_test_bot" in output
    assert "Kie has 1000 credits" in output
    assert "put, presigned GET and delete all work" in output
    assert "reaches this machine" in output
    assert "hash-max-listpack-value 4096" in output
    assert "no other process polls this token" in output
    assert output.rstrip().endswith("checks passed")
    assert_no_secret(output)
    updates = telegram.calls_to("getUpdates")
    assert updates and all("offset" not in call.params for call in updates)


async def test_a_refused_telegram_token_is_named(check_settings: Callable[..., Settings]) -> None:
    wrong = "123456:WRONG-token-abcdefabcdefabcdefabcdef"
    code, output = await check(check_settings(telegram_bot_token=wrong))
    assert code == 1
    assert failing(output) == [
        "FAIL  TELEGRAM_BOT_TOKEN: Telegram refused this token (401): copy it again from @BotFather"
    ]
    assert wrong not in output and "WRONG-token" not in output


async def test_a_refused_kie_key_is_named(
    check_settings: Callable[..., Settings], kie: KieEmulator
) -> None:
    kie.fail_next_credit(401, "You do not have access permissions")
    code, output = await check(check_settings())
    assert code == 1
    assert failing(output) == [
        "FAIL  KIE_API_KEY: Kie refused this key (401): copy it again from your Kie account's "
        "API key page"
    ]
    assert "access permissions" not in output  # the provider's words are not echoed
    assert_no_secret(output)


async def test_a_low_balance_warns_without_failing(
    check_settings: Callable[..., Settings], kie: KieEmulator
) -> None:
    kie.credits = 40
    code, output = await check(check_settings(provider_balance_alert=50))
    assert code == 0, output
    assert "warn  KIE_API_KEY: Kie has 40 credits left, under 50 (PROVIDER_BALANCE_ALERT)" in output


async def test_an_html_interstitial_at_the_public_url_is_named(
    check_settings: Callable[..., Settings],
) -> None:
    async with serving(_html_app()) as url:
        code, output = await check(check_settings(public_base_url=url))
    assert code == 1
    (line,) = failing(output)
    assert f"{url}/healthz answers ngrok's browser warning page, not Photobot" in line
    assert "cloudflared or localtunnel" in line and "or no public URL at all" in line


async def test_a_hanging_public_url_meets_its_deadline(
    check_settings: Callable[..., Settings],
) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/healthz", hang)
    async with serving(app) as url:
        started = time.monotonic()
        code, output = await check(check_settings(public_base_url=url))
        elapsed_s = time.monotonic() - started
        release.set()
    assert code == 1
    (line,) = failing(output)
    assert f"PUBLIC_BASE_URL: {url}/healthz did not answer within 8 s" in line
    assert elapsed_s < 30


async def test_someone_elses_json_is_named(check_settings: Callable[..., Settings]) -> None:
    async def other(request: web.Request) -> web.Response:
        return web.json_response({"status": "up"})

    app = web.Application()
    app.router.add_get("/healthz", other)
    async with serving(app) as url:
        code, output = await check(check_settings(public_base_url=url))
    assert code == 1
    (line,) = failing(output)
    assert "is answered by something else (JSON, HTTP 200)" in line


async def test_r2_refusing_a_wrong_secret_is_named(
    check_settings: Callable[..., Settings], moto_with_auth: tuple[str, str]
) -> None:
    key_id, _secret = moto_with_auth
    settings = check_settings(r2_access_key_id=key_id, r2_secret_access_key=R2_SECRET)
    code, output = await check(settings)
    assert code == 1
    assert failing(output) == [
        "FAIL  R2_SECRET_ACCESS_KEY: R2 refused the signature (SignatureDoesNotMatch): the secret "
        "does not belong to "
        "R2_ACCESS_KEY_ID"
    ]
    assert_no_secret(output)


async def test_a_missing_bucket_is_named(check_settings: Callable[..., Settings]) -> None:
    code, output = await check(check_settings(r2_bucket="no-such-bucket"))
    assert code == 1
    assert failing(output) == [
        "FAIL  R2_BUCKET: there is no bucket no-such-bucket at R2_ENDPOINT_URL"
    ]


async def test_local_storage_and_no_public_url(
    check_settings: Callable[..., Settings],
) -> None:
    settings = check_settings(
        r2_endpoint_url=None, r2_access_key_id=None, r2_secret_access_key=None, r2_bucket=None,
        public_base_url=None,
    )  # fmt: skip
    assert not settings.callbacks
    code, output = await check(settings)
    assert code == 0, output
    assert "DATA_DIR: local storage in" in output
    assert "--    PUBLIC_BASE_URL: unset: callbacks are off and jobs are polled" in output
    assert "Telegram is polled, and callbacks are off" in output


async def test_unreachable_redis_is_named(check_settings: Callable[..., Settings]) -> None:
    code, output = await check(check_settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    assert code == 1
    (line,) = failing(output)
    assert line.startswith("FAIL  REDIS_URL: cannot reach Redis (ConnectionError)")


async def test_another_poller_is_detected(
    check_settings: Callable[..., Settings], telegram: TelegramEmulator
) -> None:
    """A second process long-polling as PTB does: its next poll ends the probe with 409."""
    poller = asyncio.create_task(_poll_forever(telegram))
    try:
        code, output = await check(check_settings())
    finally:
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
    assert code == 1
    (line,) = failing(output)
    assert "another process is polling this bot token (409 Conflict)" in line


async def _poll_forever(telegram: TelegramEmulator) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        while True:
            url = f"{telegram.url}/bot{TOKEN}/getUpdates"
            async with http.post(url, json={"timeout": 10}) as response:
                await response.read()
            if response.status == 409:
                await asyncio.sleep(0.2)  # PTB waits 1 s after an error; a quicker rival


async def test_a_webhook_set_while_polling_fails(
    check_settings: Callable[..., Settings], telegram: TelegramEmulator
) -> None:
    await _set_webhook(telegram, "https://old.example.com/telegram/webhook")
    code, output = await check(check_settings())
    assert code == 1
    (line,) = failing(output)
    assert "a webhook is set (https://old.example.com/telegram/webhook)" in line
    assert "this configuration polls" in line


async def _set_webhook(telegram: TelegramEmulator, url: str) -> None:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{telegram.url}/bot{TOKEN}/setWebhook", json={"url": url}) as response,
    ):
        assert response.status == 200


async def test_the_port_held_by_running_photobot_is_accepted(
    check_settings: Callable[..., Settings],
) -> None:
    """The bot itself holds HTTP_PORT: its /healthz, through the public URL, is accepted."""

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "redis": True, "bot": True, "mode": "live"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        settings = check_settings(http_port=port, public_base_url=f"http://127.0.0.1:{port}")
        code, output = await check(settings)
    finally:
        await runner.cleanup()
    assert code == 0, output
    assert "answers as the Photobot running here does" in output


async def test_the_port_held_by_something_else_fails(
    check_settings: Callable[..., Settings],
) -> None:
    port = free_port()
    async with nonce_server("127.0.0.1", port, "someone-else"):
        settings = check_settings(http_port=port, public_base_url=f"http://127.0.0.1:{port}")
        code, output = await check(settings)
    assert code == 1
    (line,) = failing(output)
    assert line.startswith("FAIL  HTTP_PORT: cannot listen on 127.0.0.1:")


def test_a_line_renders_plainly() -> None:
    assert Line(Status.OK, "fine").render() == "ok    fine"
    assert Line(Status.FAIL, "bad").render() == "FAIL  bad"
