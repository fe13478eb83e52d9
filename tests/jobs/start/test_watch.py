"""What the admins hear when a provider fails at submit: each switch once, and what only they can
fix (real Redis, the Telegram emulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from telegram.ext import ExtBot

from bot import texts
from bot.admin.alerts import AdminAlerts
from bot.errors import FailureKind, ProviderError
from bot.jobs.start import Failover, ProviderWatch
from bot.metrics import Metrics
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.users import UserLanguages

ADMIN = 77
TOKEN = "123456:PARTS"


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
    watch = ProviderWatch(
        Failover(redis, 600.0),
        AdminAlerts(redis, bot, [ADMIN], UserLanguages(redis, "en")),
        metrics,
    )
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
        texts.ADMIN_ALERT(what="kie credits are used up", reason="balance is 0"),
        texts.failover_back("kie"),
    ]
    errors = metrics.registry.get_sample_value(
        "photobot_provider_errors_total", {"provider": "kie", "kind": "no_credits"}
    )
    assert errors == 2
