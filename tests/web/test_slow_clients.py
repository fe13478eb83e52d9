"""Slow clients are cut off: heads that never finish, heads trickling on keep-alive, slow bodies."""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest

from bot.runtime.startup import raise_open_file_limit
from bot.sandbox.emulators.kie import KieEmulator
from bot.web.slow_clients import ClientLimits
from tests.figures import record
from tests.harness import StartBot
from tests.reliability.test_exactly_once import bounded, finish_all

SLOW = 1000
FLOOD_LIMITS = ClientLimits(head_timeout_s=5.0, body_timeout_s=5.0)
SHORT_LIMITS = ClientLimits(head_timeout_s=1.0, body_timeout_s=1.0)
# Timers may fire a hair early on a coarse clock (the server's clock starts after ours anyway).
EARLY_S = 0.05
PARTIAL_HEAD = b"POST /api/kie/callback?job=j&token=t HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"


class RawConnection:
    """A client connection that writes exactly the bytes it is given."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connecting_at: float
    ) -> None:
        self.reader, self.writer = reader, writer
        # Taken before the connect began: the server (in this same event loop) may accept
        # and start its clock before this coroutine resumes, by a quarter second under load.
        self.connected_at = self.sent_at = connecting_at

    async def send(self, data: bytes) -> None:
        self.sent_at = time.monotonic()  # before: the server may read it before we resume
        self.writer.write(data)
        await self.writer.drain()

    async def closed_at(self) -> float:
        """When the server closed the connection (it sends nothing before that)."""
        try:
            while await self.reader.read(4096):
                pass
        except ConnectionResetError:
            pass
        return time.monotonic()

    async def get_healthz(self) -> bytes:
        """One keep-alive GET /healthz; returns the status line."""
        await self.send(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(int(v) for k, _, v in (x.partition(b":") for x in lines)
                      if k.lower() == b"content-length")  # fmt: skip
        await self.reader.readexactly(length)
        return lines[0]


@asynccontextmanager
async def connections(port: int, count: int) -> AsyncIterator[list[RawConnection]]:
    opened: list[RawConnection] = []

    async def one() -> None:
        connecting_at = time.monotonic()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        opened.append(RawConnection(reader, writer, connecting_at))

    try:
        await bounded([one] * count, limit=100)
        yield opened
    finally:
        for connection in opened:
            connection.writer.close()
        await asyncio.gather(*(c.writer.wait_closed() for c in opened), return_exceptions=True)


async def _timed(call: asyncio.Future[object]) -> float:
    started = time.monotonic()
    await call
    return time.monotonic() - started


def _enough_open_files(needed: int) -> None:
    raise_open_file_limit()
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        pytest.skip(f"needs {needed} open files, the limit is {soft}")


async def test_a_thousand_unfinished_heads_are_closed_while_others_are_served(
    start_bot: StartBot, kie: KieEmulator
) -> None:
    _enough_open_files(2 * SLOW + 500)  # both ends of each connection live in this process
    async with start_bot(limits=FLOOD_LIMITS) as bot:
        [(chat, task)] = (await bot.start_jobs(1)).items()
        finish_all(kie, [task])
        async with connections(bot.settings.http_port, SLOW) as slow:
            await asyncio.gather(*(c.send(PARTIAL_HEAD) for c in slow))

            health_s = await _timed(asyncio.ensure_future(bot.healthy()))
            callback_s = await _timed(asyncio.ensure_future(kie.send_callback(task.task_id)))
            await bot.wait_sent(chat)
            open_meanwhile = sum(not c.reader.at_eof() for c in slow)
            closed = await asyncio.wait_for(
                asyncio.gather(*(c.closed_at() for c in slow)), FLOOD_LIMITS.head_timeout_s + 30
            )

    assert open_meanwhile == SLOW  # the flood was really there while the others were served
    assert health_s < 1.0 and callback_s < 1.0
    # The server's clock for a connection starts when it accepts it, after our connect began.
    held = [end - c.connected_at for end, c in zip(closed, slow, strict=True)]
    assert min(held) >= FLOOD_LIMITS.head_timeout_s - EARLY_S
    record(f"{SLOW} connections whose request head never ends",
           f"all closed after {min(held):.1f}-{max(held):.1f} s; meanwhile /healthz "
           f"{health_s * 1000:.0f} ms, a callback {callback_s * 1000:.0f} ms",
           f"closed after {FLOOD_LIMITS.head_timeout_s:.0f} s, others served")  # fmt: skip


async def test_a_head_trickling_on_a_kept_alive_connection_is_closed(start_bot: StartBot) -> None:
    async with (
        start_bot(limits=SHORT_LIMITS) as bot,
        connections(bot.settings.http_port, 2) as (idle, trickling),
    ):
        first = [await idle.get_healthz(), await trickling.get_healthz()]
        await trickling.send(b"GET /healthz HTTP/1.1\r\nHo")
        closed_at = await asyncio.wait_for(trickling.closed_at(), SHORT_LIMITS.head_timeout_s + 10)
        idle_serves = await idle.get_healthz()

    assert first == [b"HTTP/1.1 200 OK"] * 2
    assert closed_at - trickling.sent_at >= SHORT_LIMITS.head_timeout_s - EARLY_S
    assert idle_serves == b"HTTP/1.1 200 OK"  # an idle kept-alive connection is left alone


async def test_a_trickling_body_gets_408_and_the_connection_is_closed(
    start_bot: StartBot,
) -> None:
    async with start_bot(limits=SHORT_LIMITS) as bot:
        [task] = (await bot.start_jobs(1)).values()
        query = urlsplit(task.callback_url).query
        async with connections(bot.settings.http_port, 1) as [client]:
            await client.send(
                f"POST /api/kie/callback?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"code"'.encode()
            )
            answer = await asyncio.wait_for(client.reader.read(), SHORT_LIMITS.body_timeout_s + 5)
            answered_at = time.monotonic()
            closed = client.reader.at_eof()

    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answered_at - client.sent_at >= SHORT_LIMITS.body_timeout_s - EARLY_S
    assert closed
    assert answered_at - client.sent_at < SHORT_LIMITS.body_timeout_s + 2  # no lingering after
