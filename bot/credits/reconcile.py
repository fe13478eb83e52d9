"""The ledger's Stars purchases and refunds compared with Telegram's own list
(getStarTransactions): once a day across all replicas, and on /payments for admins. Any
difference is reported to admins with the charge ids involved."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Protocol

from redis.asyncio import Redis
from telegram import (
    StarTransaction,
    StarTransactions,
    TransactionPartner,
    TransactionPartnerUser,
)

from bot import texts
from bot.credits.payments import Payment, Payments, PaymentState
from bot.loops import every

log = logging.getLogger(__name__)

PAGE = 100  # getStarTransactions' largest page
INVOICE = "invoice_payment"  # a TransactionPartnerUser's transaction_type for an invoice
# A payment Telegram lists this recently may not have reached the bot yet.
GRACE_S = 15 * 60
CHECK_EVERY_S = 3600.0  # how often a replica looks whether today's run is done
RUN_KEY = "payments:reconciled:{day}"  # set NX by the replica that runs the day's comparison
RUN_KEY_TTL_S = 2 * 86400


@dataclass(frozen=True, slots=True)
class StarPayment:
    """A user's Stars payment as Telegram lists it, refunded or not."""

    charge_id: str
    user_id: int
    amount: int
    at: float
    refunded: bool = False


@dataclass(frozen=True, slots=True)
class Differences:
    """Charge ids on which the ledger and Telegram disagree."""

    missing_in_ledger: tuple[str, ...] = ()  # Telegram has the purchase, the ledger has not
    missing_at_telegram: tuple[str, ...] = ()  # the ledger has a purchase Telegram has not
    refunded_at_telegram_only: tuple[str, ...] = ()
    refunded_in_ledger_only: tuple[str, ...] = ()
    amounts_differ: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))


def star_payments(transactions: Iterable[StarTransaction]) -> list[StarPayment]:
    """Users' invoice payments, each marked refunded when Telegram lists its refund (an
    outgoing transaction to the user with the same id); other transactions (gifts, paid
    media, withdrawals) are left out."""
    refunded = {t.id for t in transactions if _invoice(t.receiver) is not None}
    return [
        StarPayment(t.id, partner.user.id, t.amount, t.date.timestamp(), t.id in refunded)
        for t in transactions
        if (partner := _invoice(t.source)) is not None
    ]


def _invoice(partner: TransactionPartner | None) -> TransactionPartnerUser | None:
    """The user of an invoice payment (or its refund)."""
    if isinstance(partner, TransactionPartnerUser) and partner.transaction_type == INVOICE:
        return partner
    return None


def compare(
    ledger: Iterable[Payment], telegram: Iterable[StarPayment], *, now: float
) -> Differences:
    """What differs. Telegram's payments of the last GRACE_S may still be on their way to the
    bot, so none of those is called missing."""
    ours = {p.charge_id: p for p in ledger}
    theirs = {p.charge_id: p for p in telegram}
    both = sorted(ours.keys() & theirs.keys())
    return Differences(
        missing_in_ledger=tuple(
            sorted(c for c, p in theirs.items() if c not in ours and p.at < now - GRACE_S)
        ),
        missing_at_telegram=tuple(sorted(ours.keys() - theirs.keys())),
        refunded_at_telegram_only=tuple(
            c for c in both if theirs[c].refunded and ours[c].state is not PaymentState.REFUNDED
        ),
        refunded_in_ledger_only=tuple(
            c for c in both if ours[c].state is PaymentState.REFUNDED and not theirs[c].refunded
        ),
        amounts_differ=tuple(c for c in both if ours[c].stars != theirs[c].amount),
    )


def report(differences: Differences) -> str:
    """The admins' report, in the language set around the call."""
    lines = [texts.RECONCILE_DIFFERS()]
    for field in fields(differences):
        ids: tuple[str, ...] = getattr(differences, field.name)
        if ids:
            lines.append(texts.RECONCILE_LINES[field.name](ids=", ".join(ids)))
    return "\n".join(lines)


class StarSource(Protocol):
    """What the reconciliation needs of the Bot API (PTB's Bot)."""

    async def get_star_transactions(
        self, offset: int | None = None, limit: int | None = None
    ) -> StarTransactions: ...


async def telegram_payments(bot: StarSource) -> list[StarPayment]:
    """Every transaction Telegram lists, page by page until a short page."""
    transactions: list[StarTransaction] = []
    while True:
        page = await bot.get_star_transactions(offset=len(transactions), limit=PAGE)
        transactions.extend(page.transactions)
        if len(page.transactions) < PAGE:
            return star_payments(transactions)


class StarsReconciler:
    """Runs the comparison once a day at one replica; reports differences to the admins."""

    def __init__(self, payments: Payments, bot: StarSource, redis: Redis) -> None:
        self._payments = payments
        self._bot = bot
        self._redis = redis

    async def check(self) -> Differences:
        """The comparison now (/payments)."""
        ledger = await self._payments.every()
        return compare(ledger, await telegram_payments(self._bot), now=time.time())

    async def run(self, stopping: asyncio.Event) -> None:
        await every(CHECK_EVERY_S, self.daily, stopping, what="stars reconciliation")

    async def daily(self) -> Differences | None:
        """Today's comparison, unless another replica (or an earlier tick) ran it; a run that
        fails leaves the day to the next tick."""
        key = RUN_KEY.format(day=int(time.time() // 86400))
        if not await self._redis.set(key, "1", nx=True, ex=RUN_KEY_TTL_S):
            return None
        try:
            differences = await self.check()
        except BaseException:
            await self._redis.delete(key)
            raise
        if differences.clean:
            log.info("stars reconciliation: the ledger matches Telegram")
        else:
            log.warning("stars reconciliation found differences: %s", differences)
            await self._payments.tell_admins(lambda: report(differences))
        return differences
