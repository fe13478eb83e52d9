"""Real parts for the tests: a redis-server, moto's S3 server, and the emulators over HTTP."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from redis.asyncio import Redis

from bot.app.redis_server import RedisServer
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.novita import NovitaEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.web.slow_clients import DEFAULT_LIMITS, ClientLimits
from tests.harness import BotHarness, StartBot

# PTB 22 warns (an error under -W error) when it builds RetryAfter without this opt-in.
os.environ.setdefault("PTB_TIMEDELTA", "true")

BUCKET = "photobot-test"
TOKEN = "123456:TEST-token-abcdef"
NOVITA_KEY = "novita-test-key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server for the session; each test flushes it."""
    import asyncio

    server = RedisServer(tmp_path_factory.mktemp("redis"), port=free_port())
    asyncio.run(server.start())
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 in server mode, reached over HTTP like R2."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)  # fmt: skip
    yield endpoint
    server.stop()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(token=TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def kie() -> AsyncIterator[KieEmulator]:
    emulator = KieEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def novita() -> AsyncIterator[NovitaEmulator]:
    emulator = NovitaEmulator(api_key=NOVITA_KEY)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
def make_settings(
    redis_url: str, s3_endpoint: str, telegram: TelegramEmulator, kie: KieEmulator, tmp_path: Path
) -> Callable[..., dict[str, Any]]:
    """Settings for a bot wired to the test doubles; keyword overrides win."""

    def build(**overrides: Any) -> dict[str, Any]:
        port = free_port()
        values: dict[str, Any] = {
            "telegram_bot_token": TOKEN,
            "telegram_api_base_url": telegram.url,
            "public_base_url": f"http://127.0.0.1:{port}",
            "http_host": "127.0.0.1",
            "http_port": port,
            "kie_api_key": "kie-test-key",
            "kie_base_url": kie.url,
            "redis_url": redis_url,
            "r2_endpoint_url": s3_endpoint,
            "r2_access_key_id": "test",
            "r2_secret_access_key": "test",
            "r2_bucket": BUCKET,
            "callback_secret": "test-callback-secret",
            "admin_ids": "4242",
            "media_allow_private": True,
            "poll_after_seconds": 30,
            "data_dir": tmp_path / "data",
        }
        values.update(overrides)
        return values

    return build


@pytest.fixture
def start_bot(
    make_settings: Callable[..., dict[str, Any]],
    redis: Redis,
    telegram: TelegramEmulator,
    kie: KieEmulator,
) -> StartBot:
    """Builds a bot wired to the test doubles (use with `async with`); keywords override
    settings, `telegram_emulator=` swaps in another Bot API emulator, and `limits=` sets the
    slow-client deadlines."""

    def build(
        *, telegram_emulator: TelegramEmulator | None = None,
        limits: ClientLimits = DEFAULT_LIMITS, **overrides: Any,
    ) -> BotHarness:  # fmt: skip
        emulator = telegram_emulator or telegram
        overrides.setdefault("telegram_api_base_url", emulator.url)
        return BotHarness(make_settings(**overrides), emulator, kie, redis, limits)

    return build


@pytest.fixture
async def bot(start_bot: StartBot) -> AsyncIterator[BotHarness]:
    """A running Photobot (PTB polling the Telegram emulator, embedded HTTP server up)."""
    async with start_bot() as harness:
        yield harness


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The reliability figures, one table, after the usual summary."""
    from tests.figures import table

    lines = table()
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
