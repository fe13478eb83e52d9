"""The parts a job's start is made of: who is capped, which models take a file, and what the
admins hear when a provider fails (real Redis, the Telegram emulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.errors import FailureKind, InputRejected, ProviderError
from bot.jobs.start import NO_LIMITS, Failover, InputProblem, ProviderWatch, UserLimits
from bot.jobs.start.admission import limits_of
from bot.jobs.start.routing import taking
from bot.media.kinds import MediaKind
from bot.metrics import Metrics
from bot.models import REGISTRY
from bot.models.limits import InputFile
from bot.models.spec import ModelSpec
from bot.sandbox.emulators.telegram import TelegramEmulator

ADMIN = 77
TOKEN = "123456:PARTS"


def model(key: str) -> ModelSpec:
    spec = REGISTRY.find(key)
    assert spec is not None
    return spec


def test_admins_are_never_capped() -> None:
    limits = UserLimits(max_in_flight=2, max_per_hour=10)

    assert limits_of(ADMIN, limits, frozenset({ADMIN})) is NO_LIMITS
    assert limits_of(5, limits, frozenset({ADMIN})) is limits


def test_the_route_keeps_the_models_that_take_a_file() -> None:
    strict, lenient = model("wan/2-2-animate-move"), model("kling-2.6/motion-control")
    big = InputFile(MediaKind.VIDEO, "video/mp4", 15 * 1024 * 1024, 5.0, 1280, 720)

    assert taking([strict, lenient], big) == [lenient]  # over the first's 10 MB only
    with pytest.raises(InputRejected) as refused:
        taking([strict], big)
    assert refused.value.reason == InputProblem.OVER_LIMIT and refused.value.problem is not None


def test_operator_alerts_name_the_provider() -> None:
    assert texts.operator_alert(FailureKind.MISCONFIGURED, "kie") == "the kie API key was refused"
    assert texts.operator_alert(FailureKind.NO_CREDITS, "novita") == "novita credits are used up"


@pytest.fixture
async def admin_bot() -> AsyncIterator[tuple[TelegramEmulator, ExtBot[int]]]:
    async with (
        TelegramEmulator(TOKEN) as emu,
        ExtBot(TOKEN, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot") as bot,
    ):
        yield emu, bot


async def test_the_admins_hear_once_of_a_switch_and_of_what_only_they_can_fix(
    redis: Redis, admin_bot: tuple[TelegramEmulator, ExtBot[int]]
) -> None:
    emu, bot = admin_bot
    metrics = Metrics()
    watch = ProviderWatch(Failover(redis, 600.0), AdminAlerts(redis, bot, [ADMIN]), metrics)
    no_credits = ProviderError("kie", 402, "balance is 0", FailureKind.NO_CREDITS)

    for _ in range(2):  # two jobs move away from the same provider
        await watch.failed("kie", no_credits)
        await watch.moved(no_credits, "novita")
        await watch.gave_up(no_credits)
    await watch.succeeded("kie")
    await watch.succeeded("kie")

    said = [call.params["text"] for call in emu.sent_messages(ADMIN)]
    assert said == [
        texts.failover_alert(no_credits, "novita", 10.0),
        texts.ADMIN_ALERT.format(what="kie credits are used up", reason="balance is 0"),
        texts.failover_back("kie"),
    ]
    errors = metrics.registry.get_sample_value(
        "photobot_provider_errors_total", {"provider": "kie", "kind": "no_credits"}
    )
    assert errors == 2
