"""The Stars payment store against a real Redis: each charge id credited once (also when two
replicas credit it at once), mismatches recorded and told once, refunds that take the credits
back only while they are there, and a ledger whose entries always sum to the balance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from telegram.error import BadRequest, NetworkError

from bot.credits import Ledger
from bot.credits.ledger import Allowance
from bot.credits.packages import Package
from bot.credits.payments import Payments, PaymentState, RefundResult
from bot.jobs.start.admission import NO_LIMITS, Admissions, Charge

USER = 501
PACK = Package(50, 100)


@dataclass
class FakeTelegram:
    """refundStarPayment: `answers` are used in turn (None: ok), then ok."""

    answers: list[Exception | None] = field(default_factory=list)
    refunded: list[tuple[int, str]] = field(default_factory=list)

    async def refund_star_payment(self, user_id: int, telegram_payment_charge_id: str) -> bool:
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer
        self.refunded.append((user_id, telegram_payment_charge_id))
        return True


@dataclass
class Admins:
    told: list[str] = field(default_factory=list)

    async def tell(self, text: Callable[[], str]) -> None:
        self.told.append(text())


async def ledger_sum(redis: Redis, user_id: int) -> int:
    return sum(e.amount for e in await Ledger(redis, Allowance()).entries(user_id))


async def balance(redis: Redis, user_id: int) -> int:
    return int(await redis.hget(f"credits:{user_id}", "balance") or 0)


@pytest.fixture
def admins() -> Admins:
    return Admins()


@pytest.fixture
def payments(redis: Redis, admins: Admins) -> Payments:
    return Payments(redis, Allowance(), admins.tell)


async def test_a_payment_is_credited_once_however_often_it_arrives(
    payments: Payments, redis: Redis
) -> None:
    first = await payments.credit("ch1", USER, "XTR", 50, PACK.payload)
    again = await payments.credit("ch1", USER, "XTR", 50, PACK.payload)

    assert (first.new, first.credits, first.balance) == (True, 100, 100)
    assert (again.new, again.balance) == (False, 100)
    assert await balance(redis, USER) == 100 == await ledger_sum(redis, USER)
    [entry] = await Ledger(redis, Allowance()).entries(USER)
    assert (entry.amount, entry.reason, entry.charge_id) == (100, "buy", "ch1")
    record = await payments.get("ch1")
    assert record is not None
    assert (record.user_id, record.stars, record.credits, record.state) == (
        USER, 50, 100, PaymentState.PAID,
    )  # fmt: skip


async def test_two_replicas_crediting_at_once_credit_once(redis: Redis, admins: Admins) -> None:
    replicas = [Payments(redis, Allowance(), admins.tell) for _ in range(2)]
    results = await asyncio.gather(
        *(r.credit("ch2", USER, "XTR", 50, PACK.payload) for r in replicas for _ in range(5))
    )
    assert sum(r.new for r in results) == 1
    assert await balance(redis, USER) == 100 == await ledger_sum(redis, USER)


async def test_the_same_invoice_paid_twice_is_two_payments(
    payments: Payments, redis: Redis
) -> None:
    await payments.credit("ch-a", USER, "XTR", 50, PACK.payload)
    await payments.credit("ch-b", USER, "XTR", 50, PACK.payload)
    assert await balance(redis, USER) == 200


async def test_a_new_buyer_gets_their_free_credits_too(redis: Redis) -> None:
    payments = Payments(redis, Allowance(free=12))
    credited = await payments.credit("ch3", USER, "XTR", 50, PACK.payload)
    assert credited.balance == 112 == await ledger_sum(redis, USER)


@pytest.mark.parametrize(("currency", "total"), [("XTR", 49), ("USD", 50)])
async def test_a_mismatch_credits_nothing_is_recorded_and_told_once(
    payments: Payments, redis: Redis, admins: Admins, currency: str, total: int
) -> None:
    first = await payments.credit("bad1", USER, currency, total, PACK.payload)
    await payments.credit("bad1", USER, currency, total, PACK.payload)

    assert (first.new, first.mismatch, first.credits) == (True, True, 0)
    assert await balance(redis, USER) == 0 == await ledger_sum(redis, USER)
    record = await payments.get("bad1")
    assert record is not None and record.state is PaymentState.MISMATCH
    [alert] = admins.told
    assert "bad1" in alert and str(USER) in alert


async def test_a_refund_takes_the_credits_back_then_refunds(
    payments: Payments, redis: Redis
) -> None:
    await payments.credit("ch4", USER, "XTR", 50, PACK.payload)
    telegram = FakeTelegram()

    outcome = await payments.refund(telegram, "ch4")

    assert (outcome.result, outcome.credits, outcome.balance) == (RefundResult.DONE, 100, 0)
    assert telegram.refunded == [(USER, "ch4")]
    assert await balance(redis, USER) == 0 == await ledger_sum(redis, USER)
    record = await payments.get("ch4")
    assert record is not None and record.state is PaymentState.REFUNDED
    assert (await payments.refund(telegram, "ch4")).result is RefundResult.ALREADY
    assert telegram.refunded == [(USER, "ch4")]  # asked once


async def test_a_refund_is_refused_when_the_credits_were_spent(
    payments: Payments, redis: Redis
) -> None:
    await payments.credit("ch5", USER, "XTR", 50, PACK.payload)
    admitted = await Admissions(redis).admit(USER, NO_LIMITS, Charge("job1", 30, "m"))
    assert admitted.balance == 70
    telegram = FakeTelegram()

    outcome = await payments.refund(telegram, "ch5")

    assert (outcome.result, outcome.credits, outcome.balance) == (RefundResult.SHORT, 100, 70)
    assert telegram.refunded == []
    assert await balance(redis, USER) == 70 == await ledger_sum(redis, USER)
    record = await payments.get("ch5")
    assert record is not None and record.state is PaymentState.PAID


async def test_telegrams_already_refunded_counts_as_done(payments: Payments, redis: Redis) -> None:
    await payments.credit("ch6", USER, "XTR", 50, PACK.payload)
    telegram = FakeTelegram([BadRequest("Bad Request: CHARGE_ALREADY_REFUNDED")])

    outcome = await payments.refund(telegram, "ch6")

    assert outcome.result is RefundResult.DONE
    assert await balance(redis, USER) == 0 == await ledger_sum(redis, USER)


@pytest.mark.parametrize(
    "refusal", [BadRequest("Bad Request: CHARGE_NOT_FOUND"), NetworkError("x")]
)
async def test_any_other_refusal_gives_the_credits_back(
    payments: Payments, redis: Redis, refusal: Exception
) -> None:
    await payments.credit("ch7", USER, "XTR", 50, PACK.payload)

    outcome = await payments.refund(FakeTelegram([refusal]), "ch7")

    assert (outcome.result, outcome.balance) == (RefundResult.REFUSED, 100)
    assert outcome.reason
    reasons = [e.reason for e in await Ledger(redis, Allowance()).entries(USER)]
    assert reasons == ["restored", "refund", "buy"]
    assert await balance(redis, USER) == 100 == await ledger_sum(redis, USER)
    record = await payments.get("ch7")
    assert record is not None and record.state is PaymentState.PAID
    assert (await payments.refund(FakeTelegram(), "ch7")).result is RefundResult.DONE


async def test_a_mismatch_can_be_refunded_with_nothing_to_take(
    payments: Payments, redis: Redis
) -> None:
    await payments.credit("bad2", USER, "XTR", 7, PACK.payload)
    telegram = FakeTelegram()

    outcome = await payments.refund(telegram, "bad2")

    assert (outcome.result, outcome.credits) == (RefundResult.DONE, 0)
    assert telegram.refunded == [(USER, "bad2")]
    assert await ledger_sum(redis, USER) == 0


async def test_an_unknown_charge_is_not_refunded(payments: Payments) -> None:
    telegram = FakeTelegram()
    assert (await payments.refund(telegram, "nope")).result is RefundResult.UNKNOWN
    assert telegram.refunded == []


async def test_an_unfinished_refund_asks_telegram_again_without_taking_twice(
    payments: Payments, redis: Redis
) -> None:
    await payments.credit("ch8", USER, "XTR", 50, PACK.payload)
    await payments.credit("ch9", USER, "XTR", 50, PACK.payload)
    # A crash after the take, before Telegram answered: the record stays "refunding".
    await redis.hset("payment:ch8", mapping={"state": "refunding", "taken": 100, "was": "paid"})
    await redis.hincrby(f"credits:{USER}", "balance", -100)
    await redis.lpush(f"ledger:{USER}", '{"t":1,"a":-100,"r":"refund","p":"ch8"}')

    outcome = await payments.refund(FakeTelegram(), "ch8")

    assert (outcome.result, outcome.balance) == (RefundResult.DONE, 100)
    assert await balance(redis, USER) == 100 == await ledger_sum(redis, USER)


async def test_a_refund_racing_jobs_never_overspends(payments: Payments, redis: Redis) -> None:
    await payments.credit("ch10", USER, "XTR", 50, PACK.payload)
    admissions = Admissions(redis)
    jobs = [admissions.admit(USER, NO_LIMITS, Charge(f"j{i}", 10, "m")) for i in range(10)]

    results = await asyncio.gather(payments.refund(FakeTelegram(), "ch10"), *jobs)

    refund, admitted = results[0], [a for a in results[1:] if a.verdict == 0]
    assert await balance(redis, USER) >= 0
    assert await balance(redis, USER) == await ledger_sum(redis, USER)
    assert (refund.result is RefundResult.DONE) == (not admitted)


async def test_recent_lists_newest_first(payments: Payments) -> None:
    for n in range(3):
        await payments.credit(f"r{n}", USER, "XTR", 50, PACK.payload)
    assert [p.charge_id for p in await payments.recent(2)] == ["r2", "r1"]
    assert [p.charge_id for p in await payments.every()] == ["r0", "r1", "r2"]


async def test_checkout_facts_read_ban_and_language(payments: Payments, redis: Redis) -> None:
    assert await payments.checkout_facts(USER) == (False, None)
    await redis.sadd("users:banned", USER)
    await redis.hset(f"settings:{USER}", "language", "id")
    assert await payments.checkout_facts(USER) == (True, "id")


# --- the ledger stays whole whatever happens, in any order -----------------------------------

USERS = (11, 12)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), st.sampled_from(USERS), st.integers(0, 5), st.booleans()),
        st.tuples(st.just("job"), st.sampled_from(USERS), st.integers(1, 120)),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("refund"), st.integers(0, 5), st.sampled_from(["ok", "already", "no"])),
    ),
    max_size=30,
)
ANSWERS = {
    "ok": None,
    "already": BadRequest("CHARGE_ALREADY_REFUNDED"),
    "no": BadRequest("CHARGE_NOT_FOUND"),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_entries_sum_to_the_balance_and_it_never_goes_negative(
    redis_url: str, ops: list[tuple[object, ...]]
) -> None:
    asyncio.run(_run_ops(redis_url, ops))


async def _run_ops(redis_url: str, ops: list[tuple[object, ...]]) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    try:
        await redis.flushall()
        payments, admissions = Payments(redis, Allowance(free=5)), Admissions(redis)
        admitted = []
        for op in ops:
            match op:
                case ("buy", int(user), int(n), bool(matches)):
                    await payments.credit(f"c{n}", user, "XTR", 50 if matches else 3, PACK.payload)
                case ("job", int(user), int(price)):
                    job = f"j{len(admitted)}"
                    admission = await admissions.admit(user, NO_LIMITS, Charge(job, price, "m"))
                    if admission.verdict == 0:
                        admitted.append(admission)
                case ("release", int(i)) if i < len(admitted):
                    await admissions.release(admitted[i])
                case ("refund", int(n), str(answer)):
                    await payments.refund(FakeTelegram([ANSWERS[answer]]), f"c{n}")
            for user in USERS:
                assert await balance(redis, user) >= 0
                assert await balance(redis, user) == await ledger_sum(redis, user)
    finally:
        await redis.aclose()
