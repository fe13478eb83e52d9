"""The bot run as a child process (`python -m bot`) with its stderr kept for the test to read."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from bot.emulators.kie import KieEmulator
from bot.emulators.telegram import TelegramEmulator
from tests.conftest import BUCKET
from tests.harness import eventually
from tests.reliability.test_restart import bot_env

EXIT_WAIT_S = 30.0
BOT_COMMAND = (sys.executable, "-m", "bot")


def child_env(telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, port: int,
              data_dir: Path, **extra: str) -> dict[str, str]:  # fmt: skip
    """test_restart's environment (built from scratch), plus `extra` variables."""
    return {**bot_env(telegram, kie, redis_url, port, data_dir), **extra}


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
