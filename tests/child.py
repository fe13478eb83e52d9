"""The bot run as a child process (`python -m bot`) with its stderr kept for the test to read."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import BUCKET, TOKEN
from tests.harness import BotHarness, eventually

EXIT_WAIT_S = 30.0
BOT_COMMAND = (sys.executable, "-m", "bot")


def child_env(telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, port: int,
              data_dir: Path, **extra: str) -> dict[str, str]:  # fmt: skip
    """The child's whole environment, built from scratch (never the developer's), wired to the
    test doubles; `extra` variables are added or override."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PTB_TIMEDELTA": "true",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "KIE_API_KEY": "kie-test-key",
        "KIE_BASE_URL": kie.url,
        "REDIS_URL": redis_url,
        "CALLBACK_SECRET": "restart-secret",
        "MEDIA_ALLOW_PRIVATE": "true",
        "POLL_AFTER_SECONDS": "1",
        "USER_MAX_JOBS_IN_FLIGHT": "0",
        "DATA_DIR": str(data_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def r2_env(s3_endpoint: str) -> dict[str, str]:
    """Variables that point the child's storage at moto's S3 server."""
    return {
        "R2_ENDPOINT_URL": s3_endpoint,
        "R2_ACCESS_KEY_ID": "test",
        "R2_SECRET_ACCESS_KEY": "test",
        "R2_BUCKET": BUCKET,
    }


@asynccontextmanager
async def running_bot(
    env: dict[str, str], cwd: Path, log_path: Path, command: Sequence[str] = BOT_COMMAND
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A healthy child whose stderr goes to `log_path`; stopped with SIGTERM on exit."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=log
        )
        try:
            await eventually(lambda: _healthy(env["PUBLIC_BASE_URL"]), within=30)
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), EXIT_WAIT_S)


async def run_to_exit(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Runs a child that is expected to stop by itself; returns its exit code and stderr."""
    process = await asyncio.create_subprocess_exec(
        *BOT_COMMAND, env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), EXIT_WAIT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode(errors="replace")


async def _healthy(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


class BotHarnessView(BotHarness):
    """User-side helpers of the harness without an in-process bot (the bot is a child)."""

    def __init__(self, telegram: TelegramEmulator, kie: KieEmulator, redis: Redis) -> None:
        self.telegram, self.kie, self.redis = telegram, kie, redis
