"""The ledger's promises against a real Redis: the balance is always the sum of the entries and
never negative, parallel requests never spend the same credits, a job's price is settled once,
a hold whose job never started comes back, and /forget keeps the sum and the payments."""

from __future__ import annotations

import asyncio
import itertools
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.credits.ledger import HOLD_GRACE_S, Allowance, Ledger
from bot.errors import NotEnoughCredits
from bot.jobs.record import Job, JobState, ResultMark
from bot.jobs.start.admission import Admissions, Charge
from bot.jobs.store import JobStore, Outcome
from bot.providers.base import ResultMedia

FREE = Allowance(free=12)
_users = itertools.count(int(time.time() * 1000) % 10**9 * 1000)


def new_user() -> int:
    return next(_users)


async def balance(redis: Redis, user: int) -> int:
    return int(await redis.hget(f"credits:{user}", "balance") or 0)


async def entries_sum(redis: Redis, user: int) -> int:
    return sum(json.loads(e)["a"] for e in await redis.lrange(f"ledger:{user}", 0, -1))


async def held(redis: Redis, user: int) -> int:
    fields = await redis.hgetall(f"credits:{user}")
    return sum(int(v) for f, v in fields.items() if f.startswith("hold:"))


async def take(admissions: Admissions, user: int, price: int) -> str | None:
    """A job of `price` admitted: its id; None when refused for want of credits."""
    job_id = f"{user}-{time.monotonic_ns()}"
    try:
        await admissions.take(user, Charge(job_id, price, "nano-banana-pro"))
    except NotEnoughCredits:
        return None
    return job_id


async def create(store: JobStore, user: int, job_id: str) -> None:
    job = Job(id=job_id, chat_id=user, user_id=user, prompt="p", model="nano-banana-pro",
              provider="kie", created_at=time.time())  # fmt: skip
    await store.create(job, first_poll_at=time.time() + 60)


async def close(store: JobStore, job_id: str, *, sent: bool) -> None:
    """The job's outcome recorded, and delivered: with a result in the chat, or not."""
    outcome = (
        Outcome(JobState.SUCCEEDED, results=(ResultMedia("https://x.test/a.png"),))
        if sent
        else Outcome(JobState.FAILED, fail_kind="failed")
    )
    assert await store.record_outcome(job_id, outcome) == 1
    assert await store.claim(job_id, "me", 30) is not None
    if sent:
        assert await store.mark_result(job_id, "me", 0, ResultMark.SENT)
    assert await store.mark_delivered(job_id, "me")


async def test_fifty_parallel_requests_with_credits_for_ten_admit_ten(redis: Redis) -> None:
    admissions = Admissions(redis, allowance=Allowance(free=40))
    user = new_user()
    admitted = await asyncio.gather(*(take(admissions, user, 4) for _ in range(50)))
    assert sum(job is not None for job in admitted) == 10
    assert await balance(redis, user) == 0
    assert await held(redis, user) == 40
    assert await entries_sum(redis, user) == 0


async def test_a_price_is_settled_once_spent_or_given_back(redis: Redis) -> None:
    admissions, store = Admissions(redis, allowance=FREE), JobStore(redis)
    user = new_user()
    spent, failed = await take(admissions, user, 4), await take(admissions, user, 4)
    assert spent and failed
    for job_id in (spent, failed):
        await create(store, user, job_id)
    await close(store, spent, sent=True)
    await close(store, failed, sent=False)
    assert not await store.mark_delivered(spent, "me")  # once only
    assert await balance(redis, user) == 8
    assert await held(redis, user) == 0
    assert await entries_sum(redis, user) == 8


async def test_a_cancelled_job_gives_its_price_back_once(redis: Redis) -> None:
    admissions, store = Admissions(redis, allowance=FREE), JobStore(redis)
    user = new_user()
    job_id = await take(admissions, user, 10)
    assert job_id
    await create(store, user, job_id)
    await store.cancel(job_id, user)
    await store.cancel(job_id, user)
    assert await balance(redis, user) == 12
    assert await entries_sum(redis, user) == 12


async def test_a_hold_whose_job_never_started_comes_back_after_the_grace(redis: Redis) -> None:
    """A crash between the reservation and the record: the sweep gives the price back, and
    leaves a running job's hold alone."""
    admissions, store, ledger = (
        Admissions(redis, allowance=FREE),
        JobStore(redis),
        Ledger(redis, FREE),
    )
    user = new_user()
    orphan, running = await take(admissions, user, 4), await take(admissions, user, 4)
    assert orphan and running
    await create(store, user, running)

    assert await ledger.sweep_holds(time.time()) == 0  # still within the grace
    assert await ledger.sweep_holds(time.time() + HOLD_GRACE_S + 1) >= 1
    assert await balance(redis, user) == 8
    assert await held(redis, user) == 4  # the running job's
    assert await entries_sum(redis, user) == 8


async def test_a_refused_input_gives_the_price_back_at_once(redis: Redis) -> None:
    admissions = Admissions(redis, allowance=FREE)
    user = new_user()
    job_id = f"{user}-refused"
    admission = await admissions.take(user, Charge(job_id, 4, "nano-banana-pro"))
    await admissions.release(admission)
    await admissions.release(admission)  # twice: still once
    assert await balance(redis, user) == 12
    assert await entries_sum(redis, user) == 12


async def test_the_daily_allowance_tops_up_once_a_day(redis: Redis) -> None:
    ledger = Ledger(redis, Allowance(free=0, daily=5))
    user = new_user()
    assert (await ledger.balance(user)).available == 5
    assert (await ledger.balance(user)).available == 5  # once a day
    await redis.hset(f"credits:{user}", "daily", "0")  # as if yesterday
    await redis.hincrby(f"credits:{user}", "balance", -3)
    await redis.lpush(f"ledger:{user}", json.dumps({"t": 1, "a": -3, "r": "job"}))
    view = await ledger.balance(user)
    assert view.available == 5
    assert [e.reason for e in view.entries[:2]] == ["daily", "job"]
    assert await entries_sum(redis, user) == 5


async def test_forget_folds_what_the_user_made_and_keeps_payments(redis: Redis) -> None:
    admissions, store, ledger = (
        Admissions(redis, allowance=FREE),
        JobStore(redis),
        Ledger(redis, FREE),
    )
    user = new_user()
    job_id = await take(admissions, user, 4)
    assert job_id
    await create(store, user, job_id)
    await close(store, job_id, sent=True)
    buy = {"t": time.time(), "a": 100, "r": "buy", "p": "charge-1"}
    await redis.hincrby(f"credits:{user}", "balance", 100)
    await redis.lpush(f"ledger:{user}", json.dumps(buy))

    assert await ledger.forget(user) == {"records": 2}  # the free credits and the job
    entries = await ledger.entries(user)
    assert [(e.reason, e.amount) for e in entries] == [("buy", 100), ("carried", 8)]
    assert all(not e.job_id and not e.model for e in entries)
    assert await entries_sum(redis, user) == await balance(redis, user) == 108
    assert await ledger.forget(user) == {"records": 1}  # the carried entry folds into itself
    assert await entries_sum(redis, user) == 108


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("start"), st.sampled_from([1, 4, 10, 30])),
        st.tuples(st.just("deliver"), st.integers(0, 20)),
        st.tuples(st.just("fail"), st.integers(0, 20)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("orphan"), st.sampled_from([1, 4])),
        st.tuples(st.just("sweep"), st.just(0)),
        st.tuples(st.just("day"), st.just(0)),
        st.tuples(st.just("forget"), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(ops=OPS)
def test_the_ledger_sum_is_the_balance_whatever_happens(
    redis_url: str, ops: list[tuple[str, int]]
) -> None:
    asyncio.run(_run_ops(redis_url, ops))


async def _run_ops(redis_url: str, ops: list[tuple[str, int]]) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    allowance = Allowance(free=20, daily=8)
    admissions, store, ledger = (
        Admissions(redis, allowance=allowance), JobStore(redis), Ledger(redis, allowance)
    )  # fmt: skip
    user, running = new_user(), []
    try:
        for op, n in ops:
            if op == "start" and (job_id := await take(admissions, user, n)):
                await create(store, user, job_id)
                running.append(job_id)
            elif op in ("deliver", "fail", "cancel") and running:
                job_id = running.pop(n % len(running))
                if op == "cancel":
                    await store.cancel(job_id, user)
                else:
                    await close(store, job_id, sent=op == "deliver")
            elif op == "orphan":
                await take(admissions, user, n)
            elif op == "sweep":
                await ledger.sweep_holds(time.time() + HOLD_GRACE_S + 1)
            elif op == "day":
                await redis.hset(f"credits:{user}", "daily", "0")
                await ledger.balance(user)
            elif op == "forget":
                await ledger.forget(user)
            assert await entries_sum(redis, user) == await balance(redis, user) >= 0
        for job_id in running:
            await close(store, job_id, sent=False)
        await ledger.sweep_holds(time.time() + HOLD_GRACE_S + 1)
        assert await held(redis, user) == 0
        assert await entries_sum(redis, user) == await balance(redis, user) >= 0
    finally:
        await redis.aclose()
