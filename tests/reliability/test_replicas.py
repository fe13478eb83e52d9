"""Two replicas on one Redis behind a load balancer, Telegram in webhook mode."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from tests.conftest import free_port
from tests.figures import record
from tests.harness import StartBot, eventually
from tests.reliability.test_exactly_once import bounded, finish_all

WEBHOOK_SECRET = "webhook-secret-for-tests"


class RoundRobin:
    """A tiny load balancer: each request goes to the next replica; every tenth Telegram update
    goes to both, as a Telegram redelivery landing on another replica would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.backends: list[str] = []
        self.served: Counter[str] = Counter()
        self._next = itertools.count()
        self._updates = itertools.count()
        self._session: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RoundRobin]:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        async with aiohttp.ClientSession() as self._session:
            try:
                yield self
            finally:
                await runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        targets = [self.backends[next(self._next) % len(self.backends)]]
        if request.path == "/telegram/webhook" and next(self._updates) % 10 == 0:
            targets = self.backends
        answers = [await self._send(t, request, body) for t in targets]
        return answers[0]

    async def _send(self, backend: str, request: web.Request, body: bytes) -> web.Response:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with self._session.request(
            request.method, backend + request.path_qs, data=body, headers=headers
        ) as answer:
            self.served[backend] += 1
            return web.Response(
                status=answer.status, body=await answer.read(), content_type=answer.content_type
            )


async def test_two_replicas_deliver_each_result_once(
    start_bot: StartBot,
    kie: KieEmulator,
    redis: Redis,
) -> None:
    balancer = RoundRobin(free_port())
    public = f"http://127.0.0.1:{balancer.port}"
    async with balancer.running(), AsyncExitStack() as stack:
        replicas = []
        for _ in range(2):
            replica = await stack.enter_async_context(
                start_bot(public_base_url=public, telegram_webhook_secret=WEBHOOK_SECRET)
            )
            balancer.backends.append(f"http://127.0.0.1:{replica.settings.http_port}")
            replicas.append(replica)
        bot = replicas[0]

        jobs = await bot.start_jobs(200)
        finish_all(kie, jobs.values())
        answers = await bounded(lambda t=t: kie.send_callback(t.task_id) for t in jobs.values())
        await eventually(lambda: all(bot.photos_sent()[c] for c in jobs), within=60)
        await eventually(lambda: _zero_undelivered(redis), within=30)

        sent = bot.photos_sent()
        assert {status for status, _ in answers} == {200}
        assert {c: sent[c] for c in jobs} == dict.fromkeys(jobs, 1)
        assert len(kie.tasks) == 200  # repeated updates did not start second jobs
        assert all(balancer.served[b] > 100 for b in balancer.backends)
        record("two replicas, 200 jobs, webhook mode", f"{sum(sent.values())} deliveries, "
               f"max {max(sent.values())} per chat", "200 deliveries, each once")  # fmt: skip


async def test_webhook_refuses_a_wrong_secret(
    start_bot: StartBot,
    telegram: TelegramEmulator,
) -> None:
    async with start_bot(telegram_webhook_secret=WEBHOOK_SECRET) as bot:
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 1,
                  "type": "private"}, "text": "/start"}}  # fmt: skip
        statuses = []
        for secret in (None, "wrong", WEBHOOK_SECRET[:-1]):
            headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with bot.http.post(
                f"{bot.url}/telegram/webhook", json=update, headers=headers
            ) as response:
                statuses.append(response.status)

        assert statuses == [403, 403, 403]
        [hook] = telegram.calls_to("setWebhook")
        assert hook.params["url"] == f"{bot.url}/telegram/webhook"
        assert telegram.calls_to("sendMessage") == []


async def _zero_undelivered(redis: Redis) -> bool:
    return await redis.zcard("jobs:undelivered") == 0
