"""Provider balances against what jobs in flight could spend, and the watch that alerts admins
(real Redis, the Kie and Telegram emulators)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.admin.balances import BalanceWatch, LowBalance, in_flight_costs, low_balance
from bot.jobs import JobStore
from bot.jobs.record import Job, JobState
from bot.jobs.store import Outcome
from bot.models import REGISTRY
from bot.providers.base import Provider, ResultMedia
from bot.providers.kie import KieProvider
from bot.providers.kie.client import KieClient
from bot.sandbox.emulators.kie import KieEmulator
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.users import UserLanguages

ADMIN = 77
TOKEN = "123456:BALANCES"
CREDIT_PATH = "/api/v1/chat/credit"


async def submitted(store: JobStore, model: str, chain: str = "", step: int = 0) -> str:
    """A job the way the job path creates it: its record, and its place in the poll queue."""
    spec = REGISTRY.find(model)
    assert spec is not None
    job = Job(uuid.uuid4().hex, 1, 1, "p", model, spec.provider, created_at=time.time(),
              chain=chain, step=step, steps=2 if chain else 1)  # fmt: skip
    await store.create(job, first_poll_at=time.time() + 60)
    return job.id


async def test_in_flight_costs_sum_each_provider_s_running_and_coming_steps(redis: Redis) -> None:
    store = JobStore(redis)
    await submitted(store, "nano-banana-pro")  # 18
    await submitted(store, "sora-2-text-to-video")  # 30
    done = await submitted(store, "sora-2-pro-text-to-video")  # 90, but its outcome is in
    await submitted(store, "seedream_3_0", chain="sketch")  # 0.03 now, then 1.4 for the video
    await submitted(store, "kling-v2.1-i2v-master", chain="sketch", step=1)  # 1.4, the last step
    outcome = Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://cdn/x.mp4"),))
    assert await store.record_outcome(done, outcome) == 1

    costs = await in_flight_costs(redis, REGISTRY)

    assert costs == {"kie": pytest.approx(48.0), "novita": pytest.approx(2.83)}


async def test_in_flight_costs_skip_records_gone_and_stop_at_the_limit(redis: Redis) -> None:
    store = JobStore(redis)
    for _ in range(3):
        await submitted(store, "google/nano-banana")  # 4 each
    gone = await submitted(store, "nano-banana-pro")
    await redis.delete(f"job:{gone}")  # expired or forgotten while still queued

    assert await in_flight_costs(redis, REGISTRY) == {"kie": pytest.approx(12.0)}
    assert sum((await in_flight_costs(redis, REGISTRY, limit=2)).values()) <= 8.0
    assert await in_flight_costs(redis, REGISTRY, limit=1) != {}


@pytest.mark.parametrize(
    ("balance", "in_flight", "threshold", "low"),
    [
        (50.0, 0.0, 100.0, True),  # under the threshold
        (150.0, 0.0, 100.0, False),
        (150.0, 200.0, 100.0, True),  # over the threshold, but short of what is in flight
        (40.0, 48.0, None, True),  # no threshold: the in-flight comparison still counts
        (40.0, 0.0, None, False),
        (100.0, 100.0, 100.0, False),  # exactly enough is enough
    ],
)
def test_low_balance(balance: float, in_flight: float, threshold: float | None, low: bool) -> None:
    found = low_balance("kie", balance, in_flight, threshold)
    assert (found == LowBalance("kie", balance, in_flight, threshold)) if low else found is None


def test_the_alert_says_which_limit_the_balance_is_under() -> None:
    under = texts.balance_alert("kie", 50.0, 18.0, 100.0)
    short = texts.balance_alert("kie", 150.0, 200.0, 100.0)

    assert under == (
        "Photobot alert: the Kie balance is 50, below 100; jobs in flight could spend 18. "
        "Top it up."
    )
    assert short.startswith("Photobot alert: the Kie balance is 150, less than jobs in flight")
    assert "(200)" in short


@pytest.fixture
async def admin_bot() -> AsyncIterator[tuple[TelegramEmulator, ExtBot[int]]]:
    async with (
        TelegramEmulator(TOKEN) as emu,
        ExtBot(TOKEN, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot") as bot,
    ):
        yield emu, bot


@pytest.fixture
async def kie_provider(kie: KieEmulator) -> AsyncIterator[Provider]:
    async with aiohttp.ClientSession() as http:
        yield KieProvider(KieClient(http, kie.url, "kie-test-key", attempts=1))


def watch(
    redis: Redis, bot: ExtBot[int], provider: Provider, threshold: float | None
) -> BalanceWatch:
    alerts = AdminAlerts(redis, bot, [ADMIN], UserLanguages(redis, "en"))
    return BalanceWatch(redis, REGISTRY, {"kie": provider}, alerts, threshold)


async def test_a_balance_under_the_threshold_is_told_once_across_replicas(
    redis: Redis,
    admin_bot: tuple[TelegramEmulator, ExtBot[int]],
    kie: KieEmulator,
    kie_provider: Provider,
) -> None:
    emu, bot = admin_bot
    kie.credits = 50
    replicas = [watch(redis, bot, kie_provider, 100.0) for _ in range(2)]

    told = await asyncio.gather(*(replica.check() for replica in replicas))
    again = await replicas[0].check()

    assert sorted(len(t) for t in told) == [0, 1] and again == []
    said = [call.params["text"] for call in emu.sent_messages(ADMIN)]
    assert said == [texts.balance_alert("kie", 50.0, 0.0, 100.0)]
    assert 0 < await redis.ttl("alert:balance:kie") <= 4 * 3600


async def test_a_balance_over_the_threshold_says_nothing(
    redis: Redis,
    admin_bot: tuple[TelegramEmulator, ExtBot[int]],
    kie: KieEmulator,
    kie_provider: Provider,
) -> None:
    emu, bot = admin_bot
    kie.credits = 500

    assert await watch(redis, bot, kie_provider, 100.0).check() == []
    assert [r for r in kie.requests if r.path == CREDIT_PATH]  # it did look
    assert emu.sent_messages(ADMIN) == []


async def test_without_a_threshold_only_jobs_in_flight_make_it_ask(
    redis: Redis,
    admin_bot: tuple[TelegramEmulator, ExtBot[int]],
    kie: KieEmulator,
    kie_provider: Provider,
) -> None:
    emu, bot = admin_bot
    kie.credits = 40
    unset = watch(redis, bot, kie_provider, None)

    assert await unset.check() == []
    assert not [r for r in kie.requests if r.path == CREDIT_PATH]  # nothing to cover: not asked

    store = JobStore(redis)
    await submitted(store, "nano-banana-pro")
    await submitted(store, "sora-2-text-to-video")
    [low] = await unset.check()

    assert low == LowBalance("kie", 40.0, 48.0, None)
    [alert] = emu.sent_messages(ADMIN)
    assert alert.params["text"] == texts.balance_alert("kie", 40.0, 48.0, None)


async def test_a_balance_that_cannot_be_read_alerts_nothing(
    redis: Redis,
    admin_bot: tuple[TelegramEmulator, ExtBot[int]],
    kie: KieEmulator,
    kie_provider: Provider,
) -> None:
    emu, bot = admin_bot
    kie.credits = 0
    kie.fail_next_credit(500, "down")

    assert await watch(redis, bot, kie_provider, 100.0).check() == []
    assert emu.sent_messages(ADMIN) == []
    assert await redis.exists("alert:balance:kie") == 0  # the next check may still tell


async def test_the_watch_with_a_threshold_looks_at_start_up_and_stops_when_told(
    redis: Redis,
    admin_bot: tuple[TelegramEmulator, ExtBot[int]],
    kie: KieEmulator,
    kie_provider: Provider,
) -> None:
    emu, bot = admin_bot
    kie.credits = 5
    stopping = asyncio.Event()
    running = asyncio.create_task(watch(redis, bot, kie_provider, 10.0).run(stopping))

    [alert] = await emu.wait_for("sendMessage", lambda call: call.ok)
    stopping.set()
    await asyncio.wait_for(running, 5)  # not the ten minutes till the next round

    assert alert.params["text"] == texts.balance_alert("kie", 5.0, 0.0, 10.0)
