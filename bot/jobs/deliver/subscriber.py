"""Listens on the pub/sub channel and delivers each job it hears about."""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis

from bot.constants import CALLBACK_CHANNEL
from bot.jobs.deliver.deliverer import Deliverer
from bot.jobs.store import JobStore
from bot.loops import every

log = logging.getLogger(__name__)

MAX_CONCURRENT_DELIVERIES = 32
RECONNECT_DELAY_S = 1.0
CATCH_UP_BATCH = 500
# How soon the listener sees that it should stop (shutdown waits on it); an idle wake-up is a
# cheap poll of one socket.
LISTEN_TIMEOUT_S = 0.2


class Subscriber:
    """The fast path from a stored result to the chat; the reconciler covers what it misses."""

    def __init__(self, redis: Redis, store: JobStore, deliverer: Deliverer) -> None:
        self._redis = redis
        self._store = store
        self._deliverer = deliverer
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_DELIVERIES)
        self._tasks: set[asyncio.Task[None]] = set()
        self.subscribed = asyncio.Event()

    async def run(self, stopping: asyncio.Event) -> None:
        """Listen until stopped; a lost connection is made again after RECONNECT_DELAY_S."""
        listener = asyncio.create_task(
            every(RECONNECT_DELAY_S, lambda: self._listen(stopping), stopping, what="pub/sub")
        )
        told = asyncio.create_task(stopping.wait())
        await asyncio.wait({listener, told}, return_when=asyncio.FIRST_COMPLETED)
        # Stopped: end the read under way now rather than when its timeout comes. Should
        # redis-py swallow the cancel, the loop still sees the event within LISTEN_TIMEOUT_S.
        listener.cancel()
        told.cancel()
        await asyncio.wait({listener})  # its own end, without raising its cancel here

    async def _listen(self, stopping: asyncio.Event) -> None:
        try:
            await self._listen_until(stopping)
        finally:
            self.subscribed.clear()

    async def _listen_until(self, stopping: asyncio.Event) -> None:
        async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
            await pubsub.subscribe(CALLBACK_CHANNEL)
            self.subscribed.set()
            # Whatever was published while we were away is still marked undelivered.
            for job_id in await self._store.undelivered(CATCH_UP_BATCH):
                await self._spawn(job_id)
            # get_message with a timeout rather than listen(): redis-py can swallow a cancel
            # inside a blocking read, and shutdown must still end this loop.
            while not stopping.is_set():
                message = await pubsub.get_message(timeout=LISTEN_TIMEOUT_S)
                if message and message.get("type") == "message":
                    await self._spawn(str(message["data"]))

    async def _spawn(self, job_id: str) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._deliver(job_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, job_id: str) -> None:
        try:
            await self._deliverer.deliver(job_id)
        except Exception:
            log.exception("delivery of job %s crashed", job_id)
        finally:
            self._slots.release()

    async def drain(self) -> None:
        """Let deliveries in progress finish (used at shutdown)."""
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
