"""`photobot` with nothing configured runs the sandbox; with some live settings but not all it
stops naming the missing one; `photobot sandbox` runs the sandbox whatever is configured."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import free_port
from tests.harness import eventually

BOT = (sys.executable, "-m", "bot")
NO_TOKEN = "photobot: configuration error: TELEGRAM_BOT_TOKEN is required"
BANNER = (
    "photobot: nothing configured: running the offline sandbox at http://127.0.0.1:{port}"
    " — set TELEGRAM_BOT_TOKEN to go live"
)


def bare_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with none of the developer's settings."""
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PTB_TIMEDELTA": "true",
            **extra}  # fmt: skip


async def health(port: int) -> dict[str, object] | None:
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as answer,
        ):
            body: dict[str, object] = await answer.json()
            return body if answer.status == 200 else None
    except aiohttp.ClientError:
        return None


async def run_until_healthy(args: tuple[str, ...], env: dict[str, str], cwd: Path, port: int
                            ) -> tuple[dict[str, object], str, str]:  # fmt: skip
    """Starts the command, waits for /healthz, stops it with SIGTERM; its health, out and err."""
    process = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        body = await eventually(lambda: health(port), within=30)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    return body, out.decode(), err.decode()


async def run_to_exit(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, (out + err).decode()


async def test_nothing_configured_prints_the_banner_and_runs_the_sandbox(tmp_path: Path) -> None:
    port = free_port()
    body, out, _ = await run_until_healthy(BOT, bare_env(tmp_path, HTTP_PORT=str(port)), tmp_path,
                                           port)  # fmt: skip

    assert body == {"ok": True, "redis": True, "bot": True, "mode": "sandbox", "callbacks": "on"}
    assert out.splitlines()[0] == BANNER.format(port=port)
    assert "sandbox ready" in out
    # Its data lived in a temporary folder of its own, not in ./data.
    assert not (tmp_path / "data").exists()


async def test_photobot_sandbox_runs_the_sandbox_even_when_live_settings_exist(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nKIE_API_KEY=k\n")
    port = free_port()
    body, out, _ = await run_until_healthy((*BOT, "sandbox", "--port", str(port)),
                                           bare_env(tmp_path), tmp_path, port)  # fmt: skip

    assert body["mode"] == "sandbox"
    assert out.splitlines()[0] == f"photobot: offline sandbox at http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"KIE_API_KEY": "kie-key"}, "TELEGRAM_BOT_TOKEN"),
        ({"NOVITA_API_KEY": "novita-key"}, "TELEGRAM_BOT_TOKEN"),
        # A token and a Kie key alone are a whole live configuration (polling mode).
        ({"TELEGRAM_BOT_TOKEN": "123:abc", "PUBLIC_BASE_URL": "https://b.example"}, "KIE_API_KEY"),
    ],
)
async def test_some_live_settings_but_not_all_exit_2_naming_the_missing_one(
    tmp_path: Path, given: dict[str, str], missing: str
) -> None:
    code, output = await run_to_exit(BOT, bare_env(tmp_path, **given), tmp_path)

    assert code == 2
    assert output.strip() == f"photobot: configuration error: {missing} is required"


async def test_a_live_setting_in_dot_env_counts_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PUBLIC_BASE_URL=https://bot.example.com\n")
    code, output = await run_to_exit(BOT, bare_env(tmp_path), tmp_path)

    assert (code, output.strip()) == (2, NO_TOKEN)


async def test_live_never_falls_back_to_the_sandbox(tmp_path: Path) -> None:
    code, output = await run_to_exit((*BOT, "--live"), bare_env(tmp_path), tmp_path)

    assert (code, output.strip()) == (2, NO_TOKEN)


async def test_a_sandbox_port_in_use_ends_in_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        code, output = await run_to_exit((*BOT, "sandbox", "--port", str(port)),
                                         bare_env(tmp_path), tmp_path)  # fmt: skip

    assert code == 1
    assert output.splitlines()[-1].startswith(
        f"photobot: cannot start: cannot listen on 127.0.0.1:{port} (Address already in use"
    )
    assert "Traceback" not in output
