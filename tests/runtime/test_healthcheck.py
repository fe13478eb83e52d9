"""`python -m bot.runtime.healthcheck` (Docker's HEALTHCHECK) follows HTTP_HOST/HTTP_PORT and
exits 0/1."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from bot.runtime.healthcheck import health_url
from tests.conftest import free_port
from tests.harness import StartBot

EXIT_WAIT_S = 30.0


async def run_healthcheck(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Runs the module as Docker would, with only the given environment."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.runtime.healthcheck", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), EXIT_WAIT_S)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


@asynccontextmanager
async def answering(status: int) -> AsyncIterator[int]:
    """A server whose /healthz answers `status`; yields its port."""

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(status=status, text="down")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, "http://127.0.0.1:8080/healthz"),
        ({"HTTP_PORT": "", "HTTP_HOST": ""}, "http://127.0.0.1:8080/healthz"),
        ({"HTTP_PORT": "9090", "HTTP_HOST": "0.0.0.0"}, "http://127.0.0.1:9090/healthz"),
        ({"HTTP_PORT": "9090", "HTTP_HOST": "::"}, "http://[::1]:9090/healthz"),
        ({"HTTP_PORT": "81", "HTTP_HOST": "10.1.2.3"}, "http://10.1.2.3:81/healthz"),
    ],
)
def test_the_url_follows_http_host_and_port(env: dict[str, str], url: str) -> None:
    assert health_url(env) == url


@pytest.mark.parametrize("port", ["http", "0", "70000", "-1"])
def test_a_bad_port_is_refused(port: str) -> None:
    with pytest.raises(ValueError, match="HTTP_PORT"):
        health_url({"HTTP_PORT": port})


async def test_a_healthy_bot_on_its_http_port_passes(start_bot: StartBot, tmp_path: Path) -> None:
    async with start_bot() as bot:
        assert await bot.healthy()
        port = bot.settings.http_port
        code, stderr = await run_healthcheck({"HTTP_PORT": str(port)}, tmp_path)
    assert (code, stderr) == (0, "")


async def test_an_unhealthy_answer_fails_with_one_line(tmp_path: Path) -> None:
    async with answering(503) as port:
        code, stderr = await run_healthcheck(
            {"HTTP_PORT": str(port), "HTTP_HOST": "0.0.0.0"}, tmp_path
        )
    assert code == 1
    assert stderr == f"photobot unhealthy: http://127.0.0.1:{port}/healthz answered 503\n"


async def test_nothing_listening_fails_with_one_line(tmp_path: Path) -> None:
    closed = free_port()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", closed)):
        pass  # nothing listens there
    code, stderr = await run_healthcheck({"HTTP_PORT": str(closed)}, tmp_path)
    assert code == 1
    assert stderr.startswith(f"photobot unhealthy: http://127.0.0.1:{closed}/healthz unreachable")
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
