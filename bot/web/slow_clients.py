"""Deadlines for slow clients: each request head per connection, each request body per route.

aiohttp's server has no header-read timeout: a connection that never finishes its request head
was held for an hour (its keep-alive timeout), and a thousand of them exhausted the open files.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

HEAD_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ClientLimits:
    """How long a client may take to send a request head, and then its body."""

    head_timeout_s: float = HEAD_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S


DEFAULT_LIMITS = ClientLimits()


class BodyTooSlow(Exception):
    """The request body did not arrive within the body deadline."""


async def read_body(request: web.Request, timeout_s: float) -> bytes:
    """The whole body (capped by the app's client_max_size), or BodyTooSlow after `timeout_s`."""
    try:
        async with asyncio.timeout(timeout_s):
            return await request.read()
    except TimeoutError:
        raise BodyTooSlow from None


async def answer_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Sends `response`, then closes the connection at once: aiohttp would otherwise linger up
    to 10 s more reading the body that was too slow."""
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()  # the transport still flushes what was written
    return response


class HeadDeadlineHandler(RequestHandler):
    """aiohttp's connection handler, closing a connection that has not sent a complete request
    head within `head_timeout_s` of connecting, or of starting its next one on keep-alive.

    Reads two attributes of RequestHandler: `_request_count` (heads parsed so far) and
    `_waiter` (pending while the connection waits for its next request)."""

    __slots__ = ("_head_timeout_s", "_head_timer", "_heads_seen")

    def __init__(self, manager: web.Server, *, head_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._head_timeout_s = head_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None
        self._heads_seen = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._request_count != self._heads_seen:
            self._heads_seen = self._request_count
            self._disarm()
        elif self._head_timer is None and self._waiting_for_request():
            self._arm()  # the first bytes of the next request on a kept-alive connection

    def connection_lost(self, exc: BaseException | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _waiting_for_request(self) -> bool:
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _arm(self) -> None:
        self._head_timer = self._loop.call_later(self._head_timeout_s, self._head_overdue)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        self.force_close()


class HeadDeadlineSite(web.BaseSite):
    """Serves a runner on an already listening socket through HeadDeadlineHandler."""

    __slots__ = ("_handler_args", "_head_timeout_s", "_sock")

    def __init__(
        self,
        runner: web.AppRunner,
        sock: socket.socket,
        *,
        head_timeout_s: float = HEAD_TIMEOUT_S,
        backlog: int = 128,
        **handler_args: Any,
    ) -> None:
        """`handler_args` are RequestHandler's keywords (access_log, keepalive_timeout…)."""
        super().__init__(runner, backlog=backlog)
        self._sock, self._head_timeout_s, self._handler_args = sock, head_timeout_s, handler_args

    @property
    def name(self) -> str:
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        await super().start()
        server, loop = self._runner.server, asyncio.get_running_loop()
        assert server is not None  # set by runner.setup(), which BaseSite's init checks

        def handler() -> HeadDeadlineHandler:
            return HeadDeadlineHandler(
                server, loop=loop, head_timeout_s=self._head_timeout_s, **self._handler_args
            )

        self._server = await loop.create_server(handler, sock=self._sock, backlog=self._backlog)
