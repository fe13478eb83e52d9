"""Serving: bind the port first, then start the app, serve until SIGINT or SIGTERM, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.log import access_logger

from bot.app import create_app
from bot.config import Settings
from bot.errors import StartupError
from bot.runtime.startup import check_data_dir
from bot.web.keys import CLIENT_LIMITS
from bot.web.slow_clients import HeadDeadlineSite

BACKLOG = 128


async def listen_socket(host: str, port: int) -> socket.socket:
    """A listening socket: connections queue in its backlog until serving starts."""
    loop = asyncio.get_running_loop()
    try:
        family, *_, address = (
            await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        )[0]
        return socket.create_server(address, family=family, backlog=BACKLOG)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StartupError(f"cannot listen on {host}:{port} ({reason})") from None


@asynccontextmanager
async def serving(
    app: web.Application, sock: socket.socket, *, access_log: logging.Logger | None = None
) -> AsyncIterator[web.AppRunner]:
    """Starts the app (its cleanup contexts: Redis, the bot, polling) and serves it on `sock`;
    on exit stops accepting, closes connections, then stops the app."""
    runner = web.AppRunner(app)
    try:
        await runner.setup()
        head_timeout_s = app[CLIENT_LIMITS].head_timeout_s
        site = HeadDeadlineSite(
            runner, sock, head_timeout_s=head_timeout_s, backlog=BACKLOG, access_log=access_log
        )
        await site.start()
        yield runner
    finally:
        await runner.cleanup()
        sock.close()


async def serve(settings: Settings, *, app: web.Application | None = None) -> None:
    """Serves until SIGINT or SIGTERM; start-up failures are raised to the caller. `app` is
    `create_app(settings)` unless given (the sandbox adds its chat page to one)."""
    stop = _stop_on_signals()
    await asyncio.to_thread(check_data_dir, settings)
    # Bound before the app starts, so the port is taken (or the clash reported) before polling.
    sock = await listen_socket(settings.http_host, settings.http_port)
    # One log line per request costs more than the request itself at callback rates.
    access_log = access_logger if settings.log_level == "DEBUG" else None
    async with serving(app or create_app(settings), sock, access_log=access_log):
        await stop.wait()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
        except NotImplementedError:  # Windows' event loops
            signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop.set))
    return stop
