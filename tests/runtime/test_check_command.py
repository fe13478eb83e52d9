"""`python -m bot check` as an operator runs it: settings from the environment, lines on stdout,
the exit code; against the emulators, moto's S3 and a real Redis."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.config import EXIT_CONFIG_ERROR
from bot.sandbox.emulators.kie import KieEmulator
from tests.conftest import TOKEN

COMMAND_TIMEOUT_S = 60


def environment(values: dict[str, Any], home: Path) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
    env.update({name.upper(): str(value) for name, value in values.items() if value is not None})
    env["PTB_TIMEDELTA"] = "true"
    return env


async def run_check(env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """The command in a child process, awaited: the emulators answer from this event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "check", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(COMMAND_TIMEOUT_S):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_check_command_passes_then_names_a_refused_key(
    make_settings: Callable[..., dict[str, Any]], redis: Redis, kie: KieEmulator, tmp_path: Path
) -> None:
    values = make_settings()
    values["public_base_url"] = f"http://127.0.0.1:{values['http_port']}"
    env = environment(values, tmp_path)

    code, out, err = await run_check(env, tmp_path)
    assert code == 0, out + err
    assert out.rstrip().endswith("checks passed")
    assert "ok    TELEGRAM_BOT_TOKEN: the bot is @photobot_test_bot" in out

    code, out, err = await run_check({**env, "KIE_API_KEY": "kie-wrong-key-0123"}, tmp_path)
    assert code == 1
    assert "FAIL  KIE_API_KEY: Kie refused this key (401)" in out
    assert "Traceback" not in out + err
    for secret in (TOKEN, "kie-wrong-key-0123", "kie-test-key"):
        assert secret not in out + err


async def test_check_command_with_a_bad_setting_exits_2(tmp_path: Path) -> None:
    env = environment({"telegram_bot_token": TOKEN, "kie_api_key": "k" * 12}, tmp_path)
    env["HTTP_PORT"] = "not-a-port"
    env["PUBLIC_BASE_URL"] = "https://bot.example.com"
    code, out, err = await run_check(env, tmp_path)
    assert code == EXIT_CONFIG_ERROR
    assert out == ""
    assert err.splitlines() == [
        "photobot: configuration error: HTTP_PORT is invalid: Input should be a valid integer, "
        "unable to parse string as an integer"
    ]
