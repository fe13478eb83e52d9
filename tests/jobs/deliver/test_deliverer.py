"""The Deliverer's rules over several attempts: retries until the deadline, what each result
became, and crashes, which must neither lose a job nor loop forever.

Real Redis, the real job store, PTB's Bot against the Telegram emulator, and a real fetcher
whose DNS is a test double (that is where a crash is staged). Attempts are driven by calling
`deliver` as the reconciler would; a short RetryPolicy stands in for minutes of waiting.
"""

from __future__ import annotations

import itertools
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.abc import ResolveResult
from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot import constants as k
from bot import texts
from bot.errors import FailureKind
from bot.flood import SendRateLimiter
from bot.jobs.deliver.deliverer import Deliverer
from bot.jobs.deliver.results import ResultSender
from bot.jobs.deliver.retry import RetryPolicy
from bot.jobs.record import Job, JobState
from bot.jobs.store import JobStore, Outcome
from bot.media.fetch import FetchPolicy, MediaFetcher, make_media_session
from bot.models import REGISTRY
from bot.providers.base import ResultMedia
from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator
from bot.storage.local import LocalStorage
from tests.conftest import TOKEN
from tests.harness import eventually, files_in
from tests.images import png
from tests.reliability.test_ssrf import StaticResolver
from tests.result_host import ResultHost, ok, status

FAST = RetryPolicy(quick_delays_s=(0.01,), first_s=0.02, max_s=0.05, min_window_s=0.3)
RESULT_PNG = png(8, 8, text=b"deliverer")
_chats = itertools.count(50_000)


class BuggyDns(StaticResolver):
    """Resolves `good.test`; raises an unexpected exception (a bug, not a network error) for
    `bug.test`, counting each time."""

    def __init__(self) -> None:
        super().__init__({"good.test": ["127.0.0.1"]})
        self.crashes = 0

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host == "bug.test":
            self.crashes += 1
            raise RuntimeError("a bug in name resolution")
        return await super().resolve(host, port, family)


@pytest.fixture
async def bot(telegram: TelegramEmulator) -> AsyncIterator[ExtBot[int]]:
    """The bot as the app builds it: sends go through Photobot's flood control."""
    limiter = SendRateLimiter(max_retries=1)
    async with ExtBot(TOKEN, base_url=f"{telegram.url}/bot", rate_limiter=limiter) as ptb_bot:
        yield ptb_bot


@pytest.fixture
def dns() -> BuggyDns:
    return BuggyDns()


@pytest.fixture
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalStorage:
    """Where results too big for Telegram would go (none of these tests has one)."""
    return LocalStorage(tmp_path_factory.mktemp("storage"), "http://127.0.0.1:9", b"key")


@pytest.fixture
async def deliverer(
    redis: Redis, bot: ExtBot[int], dns: BuggyDns, storage: LocalStorage, tmp_path: Path
) -> AsyncIterator[Deliverer]:
    policy = FetchPolicy(allow_private=True, timeout_s=5.0)
    async with make_media_session(policy, dns=dns) as session:
        fetcher = MediaFetcher(session, policy, tmp_path)
        yield deliverer_of(JobStore(redis), bot, fetcher, storage, FAST)
    assert await files_in(tmp_path) == []


def deliverer_of(
    store: JobStore,
    bot: ExtBot[int],
    fetcher: MediaFetcher,
    storage: LocalStorage,
    policy: RetryPolicy,
) -> Deliverer:
    """A deliverer holding the lease as "me", wired as the app wires one (no chains)."""
    results = ResultSender(store, bot, fetcher, storage, "me", policy, REGISTRY)
    return Deliverer(results, store, bot, owner="me", policy=policy)


async def final_job(redis: Redis, *urls: str, created_ago_s: float = 0.0) -> Job:
    """A job through the store's own scripts: created, then its result recorded."""
    chat = next(_chats)
    job = Job(uuid.uuid4().hex, chat, chat, "prompt", "nano-banana-pro")
    job.created_at = time.time() - created_ago_s
    store = JobStore(redis)
    await store.create(job, first_poll_at=job.created_at + 60)
    await store.record_outcome(
        job.id, Outcome(JobState.SUCCEEDED, results=tuple(ResultMedia(u) for u in urls))
    )
    return job


def said(telegram: TelegramEmulator, chat: int) -> list[str]:
    return [str(c.params["text"]) for c in telegram.sent_messages(chat) if "text" in c.params]


def photos(telegram: TelegramEmulator, chat: int) -> list[ApiCall]:
    return [c for c in telegram.sent_messages(chat) if c.method == "sendPhoto"]


async def test_a_delivery_that_keeps_crashing_is_told_and_closed(
    deliverer: Deliverer, dns: BuggyDns, redis: Redis, telegram: TelegramEmulator
) -> None:
    job = await final_job(redis, "http://bug.test:9/x.png")

    await eventually(lambda: deliverer.deliver(job.id))

    assert dns.crashes == k.DELIVERY_MAX_CRASHES  # the staged bug really struck each attempt
    record = await redis.hgetall(f"job:{job.id}")
    assert (record["state"], record["crashes"]) == ("delivered", str(k.DELIVERY_MAX_CRASHES))
    assert said(telegram, job.chat_id) == [texts.failure_text(FailureKind.DELIVERY)]
    assert photos(telegram, job.chat_id) == []


async def test_results_sent_before_a_crash_are_not_sent_again(
    deliverer: Deliverer, dns: BuggyDns, redis: Redis, telegram: TelegramEmulator,
    host: ResultHost,
) -> None:  # fmt: skip
    good = host.route("/a.png", ok(RESULT_PNG)).replace("127.0.0.1", "good.test")
    job = await final_job(redis, good, "http://bug.test:9/b.png")

    await eventually(lambda: deliverer.deliver(job.id))

    assert dns.crashes == k.DELIVERY_MAX_CRASHES
    [photo] = photos(telegram, job.chat_id)  # once, though the job was claimed four times
    assert photo.params["photo"] == RESULT_PNG
    assert host.statuses("/a.png") == [200]
    assert said(telegram, job.chat_id) == [texts.some_results_missing(1, 2)]
    assert await redis.hget(f"job:{job.id}", "result:0") == "sent"


async def test_an_album_sent_before_a_crash_is_not_sent_again(
    deliverer: Deliverer, dns: BuggyDns, redis: Redis, telegram: TelegramEmulator,
    host: ResultHost,
) -> None:  # fmt: skip
    images = [png(8, 8, text=f"album {n}".encode()) for n in range(2)]
    good = [host.route(f"/{n}.png", ok(image)).replace("127.0.0.1", "good.test")
            for n, image in enumerate(images)]  # fmt: skip
    job = await final_job(redis, *good, "http://bug.test:9/c.png")

    await eventually(lambda: deliverer.deliver(job.id))

    assert dns.crashes == k.DELIVERY_MAX_CRASHES  # claimed four times: three crashes, a report
    [album] = [c for c in telegram.sent_messages(job.chat_id) if c.method == "sendMediaGroup"]
    assert len(album.params["media"]) == 2
    assert host.statuses("/0.png") == host.statuses("/1.png") == [200]
    # The album's buttons come on a message right after it.
    assert said(telegram, job.chat_id) == [texts.ALBUM_OPTIONS(), texts.some_results_missing(1, 3)]
    marks = [await redis.hget(f"job:{job.id}", f"result:{n}") for n in range(3)]
    assert marks == ["sent", "sent", None]


async def test_transient_failures_are_retried_until_the_deadline_then_told(
    deliverer: Deliverer, redis: Redis, telegram: TelegramEmulator, host: ResultHost
) -> None:
    # Created long ago, its result just in: the retry window is FAST.min_window_s.
    job = await final_job(
        redis, host.route("/down.png", status(503)), created_ago_s=k.JOB_DEADLINE_S + 60
    )

    await eventually(lambda: deliverer.deliver(job.id))

    attempts = int(await redis.hget(f"job:{job.id}", "attempts") or 0)
    assert attempts >= 2  # put back for a retry more than once before giving up
    assert len(host.statuses("/down.png")) >= 2 * (attempts + 1)  # each attempt: 2 tries
    assert set(host.statuses("/down.png")) == {503}
    assert said(telegram, job.chat_id) == [texts.failure_text(FailureKind.DELIVERY)]
    assert await redis.hget(f"job:{job.id}", "state") == "delivered"


async def test_at_the_deadline_what_went_out_stays_and_the_rest_is_counted(
    deliverer: Deliverer, redis: Redis, telegram: TelegramEmulator, host: ResultHost
) -> None:
    good = host.route("/a.png", ok(RESULT_PNG))
    down = host.route("/b.png", status(503))
    job = await final_job(redis, good, down, created_ago_s=k.JOB_DEADLINE_S + 60)

    await eventually(lambda: deliverer.deliver(job.id))

    assert len(photos(telegram, job.chat_id)) == 1
    assert host.statuses("/a.png") == [200]
    assert said(telegram, job.chat_id) == [texts.some_results_missing(1, 2)]


async def test_a_job_waiting_for_its_retry_is_not_handed_out_early(
    redis: Redis, bot: ExtBot[int], storage: LocalStorage, tmp_path: Path, host: ResultHost
) -> None:
    policy = FetchPolicy(allow_private=True, timeout_s=5.0)
    slow_retry = RetryPolicy(quick_delays_s=(0.01,), first_s=30.0)
    job = await final_job(redis, host.route("/down.png", status(503)))
    async with make_media_session(policy) as session:
        fetcher = MediaFetcher(session, policy, tmp_path)
        deliverer = deliverer_of(JobStore(redis), bot, fetcher, storage, slow_retry)

        first = await deliverer.deliver(job.id)
        again = await deliverer.deliver(job.id)  # as pub/sub catch-up or another replica would

    assert (first, again) == (False, False)
    assert host.statuses("/down.png") == [503, 503]  # the second call fetched nothing
    retry_at = float(await redis.hget(f"job:{job.id}", "retry_at") or 0)
    assert retry_at == pytest.approx(time.time() + 30, abs=5)
    score = await redis.zscore(k.UNDELIVERED_KEY, job.id)
    assert score == pytest.approx(retry_at - k.DELIVERY_GRACE_S)  # due for the reconciler then
    assert await redis.hget(f"job:{job.id}", "lease_owner") is None  # the lease was given back


async def test_a_record_from_before_per_result_marks_still_delivers(
    deliverer: Deliverer, redis: Redis, telegram: TelegramEmulator, host: ResultHost
) -> None:
    job = await final_job(redis, host.route("/a.png", ok(RESULT_PNG)))
    fields = set(await redis.hkeys(f"job:{job.id}"))
    assert not {"attempts", "crashes", "retry_at"} & fields
    assert not any(name.startswith("result:") for name in fields)

    assert await deliverer.deliver(job.id)

    [photo] = photos(telegram, job.chat_id)
    assert photo.params["photo"] == RESULT_PNG
    assert await redis.hget(f"job:{job.id}", "result:0") == "sent"


async def test_a_record_from_before_typed_results_still_delivers(
    deliverer: Deliverer, redis: Redis, telegram: TelegramEmulator, host: ResultHost
) -> None:
    job = await final_job(redis, host.route("/a.png", ok(RESULT_PNG)))
    # Written by the previous release: a bare list of URLs under `result_urls`.
    results = await redis.hget(f"job:{job.id}", "results")
    url = json.loads(str(results))[0]["url"]
    await redis.hdel(f"job:{job.id}", "results")
    await redis.hset(f"job:{job.id}", "result_urls", json.dumps([url]))

    assert await deliverer.deliver(job.id)

    [photo] = photos(telegram, job.chat_id)
    assert photo.params["photo"] == RESULT_PNG
