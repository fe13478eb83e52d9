"""/stats' money: credits spent as the ledger's settle counts them, Stars and refunds as payments
count them, the top spenders, and how they read (real Redis)."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot import texts
from bot.admin.report import stats_report
from bot.admin.stats import Counted, read_money
from bot.credits import lua
from bot.jobs.start.failover import Failover
from bot.locales import speaking
from bot.models import REGISTRY
from bot.users.access import Access

DAY_S = 86400
NOW = 1_800_000_000.0  # mid-day UTC
YESTERDAY = NOW - DAY_S

# The ledger's own settle, called the way a job's close calls it: the counters /stats reads are
# whatever it writes, so a renamed field fails here.
_SPEND = lua.FUNCTIONS + "return settle(ARGV[1], ARGV[2], true, ARGV[3], ARGV[4], ARGV[5])"


async def spend(redis: Redis, user: int, job: str, price: int, model: str, at: float) -> None:
    provider = REGISTRY.find(model).provider  # type: ignore[union-attr]
    await redis.hset(f"credits:{user}", f"hold:{job}", price)
    assert await redis.eval(_SPEND, 0, user, job, repr(at), model, provider) == price


async def pay(redis: Redis, at: float, stars: int = 0, refunds: int = 0, refunded: int = 0) -> None:
    """What payments count per purchase and refund (fields agreed with bot/credits/payments)."""
    for key in ("credits:totals", f"credits:day:{int(at // DAY_S)}"):
        fields = {"stars": stars, "refunds": refunds, "stars_refunded": refunded}
        for name, amount in fields.items():
            await redis.hincrby(key, name, amount)


async def test_nothing_spent_reads_as_zeros(redis: Redis) -> None:
    money = await read_money(redis, NOW)

    assert money.spent == money.stars == money.refunds == money.refunded_stars == Counted(0, 0)
    assert money.by_model == money.by_provider == money.top_spenders == ()


async def test_spent_credits_today_and_in_total_by_model_and_provider(redis: Redis) -> None:
    await spend(redis, 1, "a", 4, "nano-banana-pro", YESTERDAY)
    await spend(redis, 1, "b", 4, "nano-banana-pro", NOW)
    await spend(redis, 2, "c", 80, "kling-v2.1-i2v-master", YESTERDAY)
    await spend(redis, 3, "d", 2, "seedream_3_0", NOW)

    money = await read_money(redis, NOW)

    assert money.spent == Counted(today=6, total=90)
    assert money.by_model == (
        ("kling-v2.1-i2v-master", Counted(0, 80)),  # largest total first
        ("nano-banana-pro", Counted(4, 8)),
        ("seedream_3_0", Counted(2, 2)),
    )
    assert money.by_provider == (("novita", Counted(2, 82)), ("kie", Counted(4, 8)))


async def test_top_spenders_are_the_five_who_spent_most(redis: Redis) -> None:
    for user, price in enumerate([5, 60, 7, 30, 1, 9], start=101):
        await spend(redis, user, f"job{user}", price, "google/nano-banana", NOW)

    money = await read_money(redis, NOW)

    assert money.top_spenders == ((102, 60), (104, 30), (106, 9), (103, 7), (101, 5))


async def test_stars_and_refunds_today_and_in_total(redis: Redis) -> None:
    await pay(redis, YESTERDAY, stars=150)
    await pay(redis, NOW, stars=50)
    await pay(redis, NOW, refunds=1, refunded=50)

    money = await read_money(redis, NOW)

    assert money.stars == Counted(today=50, total=200)
    assert money.refunds == Counted(today=1, total=1)
    assert money.refunded_stars == Counted(today=50, total=50)


def test_money_lines_read_in_english_and_indonesian() -> None:
    figures = {
        "spent": (6, 1234),
        "by_model": [("Nano Banana Pro", (4, 8))],
        "by_provider": [("kie", (4, 8))],
        "stars": (50, 200),
        "refunds": (1, 2),
        "refunded_stars": (50, 100),
        "spenders": [(102, 1500)],
    }

    assert texts.money_lines(**figures) == [  # type: ignore[arg-type]
        "Credits spent: today 6  (total 1,234)",
        "Credits by model:",
        "  Nano Banana Pro: today 4  (total 8)",
        "Credits by provider:",
        "  Kie: today 4  (total 8)",
        "Stars received: today 50  (total 200)",
        "Refunds: today 1, 50 Stars  (total 2, 100 Stars)",
        "Top spenders (user id: credits):",
        "  102: 1,500",
    ]
    with speaking("id"):
        lines = texts.money_lines(**figures)  # type: ignore[arg-type]
    assert lines[0] == "Kredit terpakai: hari ini 6  (total 1.234)"
    assert lines[-1] == "  102: 1.500"


def test_a_provider_line_compares_the_balance_with_what_is_in_flight() -> None:
    line = texts.provider_line("kie", None, 1234.0, 0, 3, in_flight=180.0)
    dollars = texts.provider_line("novita", None, 2.5, 0, 1, in_flight=1.43)

    assert line == (
        "  Kie: ok, balance 1,234 · in flight could spend 180, "
        "0 of 3 submits failed in the last hour"
    )
    assert "balance 2.5 · in flight could spend 1.43," in dollars
    assert "in flight" not in texts.provider_line("kie", None, 1234.0, 0, 3)


async def test_the_report_shows_money_only_when_credits_are_charged(redis: Redis) -> None:
    await spend(redis, 7, "a", 20, "sora-2-text-to-video", time.time())
    await spend(redis, 7, "b", 20, "sora-2-image-to-video", time.time())
    await spend(redis, 8, "c", 4, "nano-banana-pro", time.time())
    await pay(redis, time.time(), stars=50)
    parts = (redis, REGISTRY, Failover(redis, 60.0), {}, Access(redis, frozenset({1})))

    free = await stats_report(*parts)
    charged = await stats_report(*parts, charges=True)

    assert "Credits" not in free.text and "Stars" not in free.text
    lines = charged.text.splitlines()
    assert "Credits spent: today 44  (total 44)" in lines
    # Two keys share the title "Sora 2": one line for what admins know as one model.
    assert "  Sora 2: today 40  (total 40)" in lines
    assert "  Nano Banana Pro: today 4  (total 4)" in lines
    assert "  Kie: today 44  (total 44)" in lines
    assert "Stars received: today 50  (total 50)" in lines
    assert lines[lines.index("Top spenders (user id: credits):") + 1 :][:2] == ["  7: 40", "  8: 4"]
    # The rest of the report is the same either way.
    assert [line for line in lines if line in free.text.splitlines()] == free.text.splitlines()
