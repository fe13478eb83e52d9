"""The reconciliation: Telegram's Stars transactions against the ledger's payments, the pure
comparison, paging, and a daily run that happens once across replicas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from telegram import StarTransaction, StarTransactions, TransactionPartnerUser, User

from bot.credits.ledger import Allowance
from bot.credits.packages import Package
from bot.credits.payments import Payment, Payments, PaymentState
from bot.credits.reconcile import (
    GRACE_S,
    Differences,
    StarPayment,
    StarsReconciler,
    compare,
    report,
    star_payments,
)

NOW = 1_800_000_000.0
OLD = NOW - 2 * GRACE_S
PACK = Package(50, 100)


def paid(charge: str, stars: int = 50, state: PaymentState = PaymentState.PAID) -> Payment:
    return Payment(charge, 7, stars, 100, state, OLD)


def at_telegram(
    charge: str, amount: int = 50, refunded: bool = False, at: float = OLD
) -> StarPayment:
    return StarPayment(charge, 7, amount, at, refunded)


def transaction(
    charge: str, user: int, amount: int, *, refund: bool = False, at: float = OLD
) -> StarTransaction:
    partner = TransactionPartnerUser("invoice_payment", User(user, "Ann", False))
    date = datetime.fromtimestamp(at, UTC)
    if refund:
        return StarTransaction(charge, amount, date, receiver=partner)
    return StarTransaction(charge, amount, date, source=partner)


def test_matching_sides_are_clean() -> None:
    ledger = [paid("a"), paid("b", state=PaymentState.REFUNDED)]
    telegram = [at_telegram("a"), at_telegram("b", refunded=True)]
    assert compare(ledger, telegram, now=NOW).clean


def test_every_kind_of_difference_names_its_charge_ids() -> None:
    ledger = [
        paid("only-ours"),
        paid("refunded-ours", state=PaymentState.REFUNDED),
        paid("refunding", state=PaymentState.REFUNDING),
        paid("amount", stars=50),
    ]
    telegram = [at_telegram("only-theirs"), at_telegram("refunded-ours"),
                at_telegram("refunding", refunded=True), at_telegram("amount", 60)]  # fmt: skip

    assert compare(ledger, telegram, now=NOW) == Differences(
        missing_in_ledger=("only-theirs",),
        missing_at_telegram=("only-ours",),
        refunded_at_telegram_only=("refunding",),
        refunded_in_ledger_only=("refunded-ours",),
        amounts_differ=("amount",),
    )


def test_a_payment_still_on_its_way_is_not_missing() -> None:
    assert compare([], [at_telegram("fresh", at=NOW - 60)], now=NOW).clean


def test_telegrams_list_becomes_payments_marked_refunded() -> None:
    transactions = [transaction("x", 7, 50), transaction("y", 8, 150),
                    transaction("x", 7, 50, refund=True)]  # fmt: skip
    assert star_payments(transactions) == [
        StarPayment("x", 7, 50, OLD, refunded=True),
        StarPayment("y", 8, 150, OLD, refunded=False),
    ]


def test_transactions_other_than_invoice_payments_are_left_out() -> None:
    gift = TransactionPartnerUser("gift_purchase", User(7, "Ann", False))
    date = datetime.fromtimestamp(OLD, UTC)
    assert star_payments([StarTransaction("g", 25, date, source=gift)]) == []


def test_the_report_names_the_charge_ids() -> None:
    text = report(Differences(missing_in_ledger=("c1", "c2"), amounts_differ=("c3",)))
    assert "c1, c2" in text and "c3" in text
    assert len(text.splitlines()) == 3


@dataclass
class FakeStars:
    """getStarTransactions over a list, as Telegram pages it."""

    transactions: list[StarTransaction]
    pages: list[tuple[int, int]] = field(default_factory=list)

    async def get_star_transactions(
        self, offset: int | None = None, limit: int | None = None
    ) -> StarTransactions:
        start, size = offset or 0, limit or 100
        self.pages.append((start, size))
        return StarTransactions(self.transactions[start : start + size])


@dataclass
class Admins:
    told: list[str] = field(default_factory=list)

    async def tell(self, text: Callable[[], str]) -> None:
        self.told.append(text())


async def test_the_check_pages_through_everything(redis: Redis) -> None:
    payments = Payments(redis, Allowance())
    stars = FakeStars([transaction(f"t{n}", 7, 50) for n in range(250)])
    for n in range(250):
        await redis.hset(f"payment:t{n}", mapping={"user": 7, "stars": 50, "credits": 100,
                                                  "state": "paid", "at": OLD})  # fmt: skip
        await redis.zadd("payments", {f"t{n}": OLD + n})

    differences = await StarsReconciler(payments, stars, redis).check()

    assert differences.clean
    assert stars.pages == [(0, 100), (100, 100), (200, 100)]


async def test_the_daily_run_happens_once_across_replicas_and_tells_admins(redis: Redis) -> None:
    admins = Admins()
    payments = Payments(redis, Allowance(), admins.tell)
    await payments.credit("known", 7, "XTR", 50, PACK.payload)
    before = time.time() - 2 * GRACE_S
    stars = FakeStars([transaction("known", 7, 50, at=before),
                       transaction("unseen", 8, 50, at=before)])  # fmt: skip
    replicas = [StarsReconciler(payments, stars, redis) for _ in range(3)]

    results = await asyncio.gather(*(r.daily() for r in replicas))

    [ran] = [r for r in results if r is not None]
    assert ran.missing_in_ledger == ("unseen",)
    [alert] = admins.told
    assert "unseen" in alert and "known" not in alert


async def test_a_failed_daily_run_leaves_the_day_to_the_next_tick(redis: Redis) -> None:
    class Down:
        async def get_star_transactions(
            self, offset: int | None = None, limit: int | None = None
        ) -> StarTransactions:
            raise OSError("down")

    payments = Payments(redis, Allowance())
    with pytest.raises(OSError):
        await StarsReconciler(payments, Down(), redis).daily()
    assert await StarsReconciler(payments, FakeStars([]), redis).daily() is not None
