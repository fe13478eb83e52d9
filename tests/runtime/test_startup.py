"""`python -m bot` start-up: a failure ends in one plain line; the port is bound before polling."""

from __future__ import annotations

import asyncio
import resource
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.runtime.startup import UNLIMITED_NOFILE_TARGET
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.child import child_env, run_to_exit, running_bot
from tests.conftest import TOKEN, free_port
from tests.harness import eventually

SECRETS = (TOKEN, TOKEN.split(":")[1], "kie-test-key", "restart-secret")


def assert_one_plain_line(code: int, stderr: str, *words: str) -> None:
    """Exit code 1, one line naming the problem, no traceback, no secret."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 1, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("photobot: cannot start: ")
    assert all(word in lines[0] for word in words), lines[0]
    assert "Traceback" not in stderr
    assert not [secret for secret in SECRETS if secret in stderr]


async def test_a_token_telegram_refuses_ends_in_one_line(
    kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    other_bot = TelegramEmulator(token="654321:another-bots-token")  # ours is unknown to it
    await other_bot.start()
    try:
        env = child_env(other_bot, kie, redis_url, free_port(), tmp_path / "data")
        code, stderr = await run_to_exit(env, tmp_path)
    finally:
        await other_bot.stop()

    assert [c.status for c in other_bot.calls_to("getMe")] == [401]
    assert_one_plain_line(code, stderr, "Telegram refused the bot token", "TELEGRAM_BOT_TOKEN")


async def test_a_port_in_use_ends_in_one_line(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = child_env(telegram, kie, redis_url, port, tmp_path / "data")
        code, stderr = await run_to_exit(env, tmp_path)

    assert_one_plain_line(code, stderr, f"127.0.0.1:{port}", "in use")
    assert telegram.calls == []  # stopped before talking to Telegram


async def test_an_unwritable_data_dir_ends_in_one_line(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    # Root ignores file modes, so the directory is made impossible instead: its parent is a file.
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    data_dir = blocker / "data"
    env = child_env(telegram, kie, redis_url, free_port(), data_dir, HOME=str(tmp_path))

    code, stderr = await run_to_exit(env, tmp_path)

    assert blocker.is_file() and not data_dir.exists()
    assert_one_plain_line(code, stderr, "DATA_DIR", str(data_dir), "not a writable directory")


async def test_an_unreachable_redis_ends_in_one_line(
    telegram: TelegramEmulator, kie: KieEmulator, tmp_path: Path
) -> None:
    closed = free_port()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", closed)):
        pass  # nothing listens there
    env = child_env(telegram, kie, f"redis://127.0.0.1:{closed}/0", free_port(), tmp_path / "d")

    code, stderr = await run_to_exit(env, tmp_path)

    assert_one_plain_line(code, stderr, "Redis", "REDIS_URL")
    assert telegram.calls == []


class TelegramFront:
    """Stands between the bot and the Bot API emulator and notes, as each call arrives, whether
    the bot's HTTP port already accepts connections."""

    def __init__(self, emulator: TelegramEmulator, bot_port: int) -> None:
        self.emulator, self.bot_port = emulator, bot_port
        self.seen: list[tuple[str, bool]] = []
        self.url = ""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[TelegramFront]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        timeout = aiohttp.ClientTimeout(total=None)
        async with aiohttp.ClientSession(timeout=timeout) as self._session:
            try:
                yield self
            finally:
                await runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        self.seen.append((request.path.rsplit("/", 1)[-1], await self._port_bound()))
        async with self._session.request(
            request.method, self.emulator.url + request.path_qs, data=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        ) as answer:  # fmt: skip
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    async def _port_bound(self) -> bool:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", self.bot_port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
async def test_port_is_bound_before_telegram_is_asked_anything_and_sigterm_stops_cleanly(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    front = TelegramFront(telegram, port)
    async with front.running():
        env = child_env(telegram, kie, redis_url, port, tmp_path / "data",
                        TELEGRAM_API_BASE_URL=front.url)  # fmt: skip
        async with running_bot(env, tmp_path, tmp_path / "bot.log") as process:
            await eventually(lambda: "getUpdates" in dict(front.seen), within=30)
            before_stop = list(front.seen)
            process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)

    methods = [method for method, _ in before_stop]
    assert methods[0] == "getMe" and "getUpdates" in methods
    assert all(bound for _, bound in before_stop)
    assert code == 0
    assert "Traceback" not in (tmp_path / "bot.log").read_text()


@pytest.mark.skipif(not Path("/proc/self/limits").exists(), reason="reads /proc")
async def test_the_soft_open_file_limit_is_raised_to_the_hard_one(
    telegram: TelegramEmulator, kie: KieEmulator, redis_url: str, tmp_path: Path
) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = 256
    if hard != resource.RLIM_INFINITY and hard <= low:
        pytest.skip("the hard open-file limit is already low")
    # The child starts with a low soft limit, as under a default ulimit, then becomes the bot.
    lowered = (
        "import os, resource, sys; "
        "hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]; "
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({low}, hard)); "
        "os.execv(sys.executable, [sys.executable, '-m', 'bot'])"
    )
    env = child_env(telegram, kie, redis_url, free_port(), tmp_path / "data")
    command = (sys.executable, "-c", lowered)
    async with running_bot(env, tmp_path, tmp_path / "bot.log", command) as process:
        limits = await asyncio.to_thread(Path(f"/proc/{process.pid}/limits").read_text)

    soft_now = next(
        line.split()[3] for line in limits.splitlines() if line.startswith("Max open files")
    )
    assert soft_now == str(UNLIMITED_NOFILE_TARGET if hard == resource.RLIM_INFINITY else hard)
