"""Telegram Stars payments in the ledger: each credited exactly once, keyed by its
`telegram_payment_charge_id`, and refunded by admins only while the credits it gave are still
there. Every move of credits is one Lua script with its ledger entry (bot/credits/lua.py).

Keys (a payment record names its user; /forget keeps it, with the purchase and refund entries,
for accounting and refunds):
    payment:<charge id>  hash: user, stars (the amount paid), currency, credits (given: 0 for a
                         mismatch), state (PaymentState), at (when paid), refunded_at,
                         taken (credits a refund in progress took), was (the state before it)
    payments             sorted set of charge ids by when they were paid (/payments, the
                         daily reconciliation)
    credits:totals, credits:day:<day>   hashes also counted here: stars, purchases,
                         stars_refunded, refunds (for /stats)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any, Protocol

from redis.asyncio import Redis
from telegram.error import BadRequest, TelegramError

from bot import constants as k
from bot import texts
from bot.codec import text
from bot.credits import lua
from bot.credits.ledger import Allowance
from bot.credits.packages import paid_for
from bot.locales import number
from bot.users.language import CHOSEN

log = logging.getLogger(__name__)

PAYMENTS_KEY = "payments"
PAYMENT_KEY = "payment:{charge_id}"
ALREADY_REFUNDED = "charge_already_refunded"  # Telegram's refusal, in any capitalisation
DAY_KEPT_S = 40 * 86400  # as long as settle() keeps its day counters


class PaymentState(StrEnum):
    """Where a payment is. paid -> refunding -> refunded; refunding -> paid (or mismatch) when
    Telegram refuses the refund (its credits come back). A mismatch was never credited."""

    PAID = "paid"
    MISMATCH = "mismatch"  # wrong currency or amount for its invoice: nothing credited
    REFUNDING = "refunding"  # credits taken back, Telegram not yet sure to have refunded
    REFUNDED = "refunded"


_TALLY = """
local function tally(now, fields)
  local day = 'credits:day:' .. math.floor(tonumber(now) / 86400)
  for _, key in ipairs({'credits:totals', day}) do
    for name, amount in pairs(fields) do redis.call('HINCRBY', key, name, amount) end
  end
  redis.call('EXPIRE', day, DAY_KEPT_S)
end
""".replace("DAY_KEPT_S", str(DAY_KEPT_S))

# KEYS: none. ARGV: charge id, user, now, stars paid, currency, credits (0: a mismatch), state,
#       free credits, daily credits.
# Returns {new (1, or 0 for a payment seen before), balance}. The check and the credit are one
# script: a redelivered update, or the same update at two replicas, credits once.
CREDIT = (
    lua.FUNCTIONS
    + _TALLY
    + """
local pkey, uid, now, credits = 'payment:' .. ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[6])
local ckey = 'credits:' .. uid
if redis.call('EXISTS', pkey) == 1 then
  return {0, tonumber(redis.call('HGET', ckey, 'balance') or '0')}
end
redis.call('HSET', pkey, 'user', uid, 'stars', ARGV[4], 'currency', ARGV[5],
  'credits', credits, 'state', ARGV[7], 'at', now)
redis.call('ZADD', 'payments', now, ARGV[1])
if ARGV[7] == 'paid' then
  grant(uid, now, tonumber(ARGV[8]), tonumber(ARGV[9]))
  redis.call('HINCRBY', ckey, 'balance', credits)
  ledger_entry(uid, now, credits, 'buy', '', ARGV[1], '')
  tally(now, {stars = tonumber(ARGV[4]), purchases = 1})
end
return {1, tonumber(redis.call('HGET', ckey, 'balance') or '0')}
"""
)

# KEYS: none. ARGV: charge id, now.
# Returns {verdict, user, credits, balance}: 'unknown'; 'refunded' (already); 'short' (the
# balance no longer covers the credits: nothing taken); 'taken' (the credits left the balance,
# state refunding: now ask Telegram); 'again' (a refund already took them and did not finish:
# ask Telegram again, take nothing more). The check and the take are one script, like a job's
# admission: a job spending the same credits runs wholly before or after it.
REFUND_TAKE = (
    lua.FUNCTIONS
    + """
local pkey, now = 'payment:' .. ARGV[1], ARGV[2]
local uid, credits, state = unpack(redis.call('HMGET', pkey, 'user', 'credits', 'state'))
if not uid then return {'unknown', 0, 0, 0} end
credits = tonumber(credits)
local ckey = 'credits:' .. uid
local balance = tonumber(redis.call('HGET', ckey, 'balance') or '0')
if state == 'refunded' then return {'refunded', uid, credits, balance} end
if state == 'refunding' then return {'again', uid, credits, balance} end
if state == 'mismatch' then credits = 0 end
if balance < credits then return {'short', uid, credits, balance} end
if credits > 0 then
  redis.call('HINCRBY', ckey, 'balance', -credits)
  ledger_entry(uid, now, -credits, 'refund', '', ARGV[1], '')
end
redis.call('HSET', pkey, 'state', 'refunding', 'taken', credits, 'was', state)
return {'taken', uid, credits, balance - credits}
"""
)

# KEYS: none. ARGV: charge id, now, refunded ('1': Telegram refunded it or had already; '0':
#       it refused). Returns the credits given back (a refusal), else 0. Only a payment still
#       refunding moves, so two admins' refunds finish it once.
REFUND_FINISH = (
    lua.FUNCTIONS
    + _TALLY
    + """
local pkey, now = 'payment:' .. ARGV[1], ARGV[2]
local uid, state, taken, was, stars = unpack(
  redis.call('HMGET', pkey, 'user', 'state', 'taken', 'was', 'stars'))
if state ~= 'refunding' then return 0 end
taken = tonumber(taken) or 0
redis.call('HDEL', pkey, 'taken', 'was')
if ARGV[3] == '1' then
  redis.call('HSET', pkey, 'state', 'refunded', 'refunded_at', now)
  tally(now, {stars_refunded = tonumber(stars), refunds = 1})
  return 0
end
redis.call('HSET', pkey, 'state', was or 'paid')
if taken > 0 then
  redis.call('HINCRBY', 'credits:' .. uid, 'balance', taken)
  ledger_entry(uid, now, taken, 'restored', '', ARGV[1], '')
end
return taken
"""
)


@dataclass(frozen=True, slots=True)
class Payment:
    """One Stars payment as the ledger knows it."""

    charge_id: str
    user_id: int
    stars: int  # the amount paid (in `currency`, Stars unless a mismatch says otherwise)
    credits: int  # what it gave (0 for a mismatch)
    state: PaymentState
    at: float
    currency: str = "XTR"
    refunded_at: float | None = None


@dataclass(frozen=True, slots=True)
class Credited:
    """What crediting a successful payment did."""

    new: bool  # False: this charge was seen before (a redelivery): say nothing more
    credits: int  # 0 for a mismatch
    balance: int
    mismatch: bool


class RefundResult(Enum):
    DONE = "done"  # refunded now (or Telegram had already): the credits are gone
    ALREADY = "already"  # the ledger had it refunded before
    UNKNOWN = "unknown"  # no payment with that charge id
    SHORT = "short"  # the credits were spent: nothing done
    REFUSED = "refused"  # Telegram said no: the credits came back


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    result: RefundResult
    user_id: int = 0
    credits: int = 0  # what the payment gave
    balance: int = 0  # what the user has now
    reason: str = ""  # Telegram's refusal


class Refunder(Protocol):
    """What a refund needs of the Bot API (PTB's Bot)."""

    async def refund_star_payment(self, user_id: int, telegram_payment_charge_id: str) -> bool: ...


# Tells every admin a sentence, written in each admin's language (AdminAlerts.tell).
TellAdmins = Callable[[Callable[[], str]], Awaitable[None]]


class Payments:
    """Stars payments, credited once and refunded while their credits last."""

    def __init__(
        self, redis: Redis, allowance: Allowance, tell_admins: TellAdmins | None = None
    ) -> None:
        self._redis = redis
        self._allowance = allowance
        self.tell_admins: TellAdmins = tell_admins or _tell_nobody
        self._credit = redis.register_script(CREDIT)
        self._take = redis.register_script(REFUND_TAKE)
        self._finish = redis.register_script(REFUND_FINISH)

    async def credit(
        self, charge_id: str, user_id: int, currency: str, total: int, payload: str
    ) -> Credited:
        """Credit the package the invoice named, once per charge id; a payment whose currency
        or amount does not match it is recorded as a mismatch (for reconciliation and /refund)
        and the admins are told once."""
        package = paid_for(payload, currency, total)
        state = PaymentState.PAID if package else PaymentState.MISMATCH
        credits = package.credits if package else 0
        new, balance = await self._credit(
            args=[charge_id, user_id, repr(time.time()), total, currency, credits, state.value,
                  self._allowance.free, self._allowance.daily],
        )  # fmt: skip
        if new and package is None:
            log.error("payment %s does not match its invoice: nothing credited", charge_id)
            await self.tell_admins(
                lambda: texts.PAYMENT_MISMATCH_ALERT(
                    charge=charge_id, user=str(user_id), amount=number(total), currency=currency
                )
            )
        return Credited(bool(new), credits, int(balance), package is None)

    async def refund(self, bot: Refunder, charge_id: str) -> RefundOutcome:
        """Take the payment's credits back (refused when the balance no longer covers them),
        then refund the Stars; Telegram's refusal gives the credits back."""
        verdict, user, credits, balance = await self._take(args=[charge_id, repr(time.time())])
        verdict, user_id, credits = text(verdict), int(user), int(credits)
        if verdict in ("unknown", "refunded", "short"):
            result = {"unknown": RefundResult.UNKNOWN, "refunded": RefundResult.ALREADY,
                      "short": RefundResult.SHORT}[verdict]  # fmt: skip
            return RefundOutcome(result, user_id, credits, int(balance))
        try:
            await bot.refund_star_payment(user_id, charge_id)
        except BadRequest as exc:
            if ALREADY_REFUNDED not in exc.message.lower():
                return await self._refused(charge_id, user_id, credits, exc.message)
        except TelegramError as exc:
            return await self._refused(charge_id, user_id, credits, exc.message)
        await self._finish(args=[charge_id, repr(time.time()), "1"])
        log.info("payment %s refunded", charge_id)
        return RefundOutcome(RefundResult.DONE, user_id, credits, await self._balance(user_id))

    async def _refused(
        self, charge_id: str, user_id: int, credits: int, reason: str
    ) -> RefundOutcome:
        await self._finish(args=[charge_id, repr(time.time()), "0"])
        log.warning("Telegram refused to refund payment %s: %s", charge_id, reason)
        balance = await self._balance(user_id)
        return RefundOutcome(RefundResult.REFUSED, user_id, credits, balance, reason)

    async def _balance(self, user_id: int) -> int:
        return int(await self._redis.hget(f"credits:{user_id}", "balance") or 0)

    async def get(self, charge_id: str) -> Payment | None:
        raw = await self._redis.hgetall(PAYMENT_KEY.format(charge_id=charge_id))
        return _payment(charge_id, raw) if raw else None

    async def recent(self, count: int) -> list[Payment]:
        """The latest payments, newest first."""
        return await self._read(await self._redis.zrevrange(PAYMENTS_KEY, 0, count - 1))

    async def every(self) -> list[Payment]:
        """Every payment the ledger knows, oldest first (the reconciliation's side)."""
        return await self._read(await self._redis.zrange(PAYMENTS_KEY, 0, -1))

    async def _read(self, charge_ids: Sequence[Any]) -> list[Payment]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for charge_id in charge_ids:
                pipe.hgetall(PAYMENT_KEY.format(charge_id=text(charge_id)))
            rows = await pipe.execute()
        return [_payment(text(c), raw) for c, raw in zip(charge_ids, rows, strict=True) if raw]

    async def checkout_facts(self, user_id: int) -> tuple[bool, str | None]:
        """For a pre-checkout query, in one round trip: whether the user is banned, and the
        language they chose (None: none chosen)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sismember(k.BANNED_USERS_KEY, str(user_id))
            pipe.hget(k.USER_SETTINGS_KEY.format(user_id=user_id), CHOSEN)
            banned, chosen = await pipe.execute()
        return bool(banned), text(chosen) if chosen is not None else None


async def _tell_nobody(text: Callable[[], str]) -> None:
    """With no admins to tell (tests of the store alone), the log says it."""


def _payment(charge_id: str, raw: dict[str | bytes, str | bytes]) -> Payment:
    fields = {text(name): text(value) for name, value in raw.items()}
    refunded_at = fields.get("refunded_at")
    return Payment(
        charge_id, int(fields["user"]), int(fields["stars"]), int(fields["credits"]),
        PaymentState(fields["state"]), float(fields["at"]), fields.get("currency", "XTR"),
        float(refunded_at) if refunded_at else None,
    )  # fmt: skip
