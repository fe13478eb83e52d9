"""Telegram Stars end to end (PAYMENTS=stars), through the Telegram emulator: /buy's invoices,
the pre-checkout answer, a purchase credited once (redelivered, or at two replicas at once),
mismatches, refunds, reconciliation, and PAYMENTS=off hiding it all."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest
from telegram import Bot, LabeledPrice

from bot import texts
from bot.app import telegram as app_telegram
from bot.constants import USER_UPDATES_PER_WINDOW
from bot.credits.packages import Package
from bot.credits.reconcile import GRACE_S
from bot.locales import speaking
from bot.sandbox.emulators.telegram import (
    ApiCall,
    PaymentOutcome,
    PaymentResult,
    TelegramEmulator,
)
from tests.conftest import TOKEN
from tests.e2e.test_commands import command
from tests.harness import BotHarness, StartBot, eventually

ADMIN = 4242
FREE = 12  # FREE_CREDITS' default
PACKAGES = "50:100,150:330"
WEBHOOK_SECRET = "webhook-secret-for-tests"


@pytest.fixture
async def paid(start_bot: StartBot) -> AsyncIterator[BotHarness]:
    async with start_bot(payments="stars", star_packages=PACKAGES) as harness:
        yield harness


async def balance(bot: BotHarness, user: int) -> int:
    return int(await bot.redis.hget(f"credits:{user}", "balance") or 0)


async def ledger_sum(bot: BotHarness, user: int) -> int:
    return sum(int(json.loads(e)["a"]) for e in await bot.redis.lrange(f"ledger:{user}", 0, -1))


async def invoices(bot: BotHarness, user: int, **kw: Any) -> list[ApiCall]:
    command(bot, user, "/buy", **kw)
    return await bot.wait_sent(user, "sendInvoice", count=2)


async def pay(bot: BotHarness, user: int, invoice: ApiCall) -> PaymentResult:
    return await bot.telegram.pay_invoice(user, invoice.result["message_id"], user)


def credited(credits: int, balance: int) -> Callable[[str], bool]:
    expected = texts.PAYMENT_CREDITED(credits=str(credits), balance=str(balance))
    return lambda t: t == expected


def said(bot: BotHarness, chat: int, matches: Callable[[str], bool]) -> list[str]:
    return [
        str(c.params["text"]) for c in bot.telegram.calls_to("sendMessage")
        if c.ok and int(c.params["chat_id"]) == chat and matches(str(c.params["text"]))
    ]  # fmt: skip


async def handled_so_far(bot: BotHarness, user: int) -> None:
    """Everything this user sent before has been handled (one sender's updates are handled in
    order): a /paysupport answered after it."""
    before = len(said(bot, user, lambda t: t == texts.PAYSUPPORT()))
    command(bot, user, "/paysupport")
    await bot.wait_said(user, lambda t: t == texts.PAYSUPPORT(), count=before + 1)


def payment_update(bot: BotHarness, user: int, charge: str, total: int, payload: str) -> None:
    bot.telegram.successful_payment_update(
        chat_id=user, user_id=user, currency="XTR", total_amount=total,
        invoice_payload=payload, telegram_payment_charge_id=charge,
    )  # fmt: skip


# --- /buy and paying ---------------------------------------------------------------------------


async def test_buy_sends_one_stars_invoice_per_package(paid: BotHarness) -> None:
    user = paid.new_user()

    small, large = await invoices(paid, user)

    for call, (stars, credits) in ((small, (50, 100)), (large, (150, 330))):
        assert call.params["currency"] == "XTR"
        assert not call.params.get("provider_token")
        assert call.params["title"] == texts.credits(credits)
        assert call.params["prices"] == [{"label": texts.credits(credits), "amount": stars}]
        payload = paid.telegram.invoice_payload(user, call.result["message_id"])
        assert payload == Package(stars, credits).payload


async def test_a_purchase_credits_once_when_its_update_comes_twice(paid: BotHarness) -> None:
    user = paid.new_user()
    small, _ = await invoices(paid, user)

    result = await pay(paid, user, small)

    assert result.outcome is PaymentOutcome.PAID and result.telegram_payment_charge_id
    await paid.wait_said(user, credited(100, FREE + 100))
    # Telegram sends it again (a new update id, the same charge).
    payment_update(paid, user, result.telegram_payment_charge_id, 50, Package(50, 100).payload)
    await handled_so_far(paid, user)
    assert len(said(paid, user, lambda t: t.startswith("Thank you"))) == 1
    assert await balance(paid, user) == FREE + 100 == await ledger_sum(paid, user)


async def test_a_purchase_reaching_two_replicas_at_once_credits_once(
    start_bot: StartBot,
) -> None:
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            start_bot(payments="stars", telegram_webhook_secret=WEBHOOK_SECRET)
        )
        second = await stack.enter_async_context(
            start_bot(payments="stars", telegram_webhook_secret=WEBHOOK_SECRET,
                      public_base_url=first.url)
        )  # fmt: skip
        user = first.new_user()
        update = {
            "update_id": 777_001,
            "message": {
                "message_id": 9, "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "Ann"},
                "from": {"id": user, "is_bot": False, "first_name": "Ann"},
                "successful_payment": {
                    "currency": "XTR", "total_amount": 50,
                    "invoice_payload": Package(50, 100).payload,
                    "telegram_payment_charge_id": "stx-two-replicas",
                    "provider_payment_charge_id": "",
                },
            },
        }  # fmt: skip
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with aiohttp.ClientSession() as http:

            async def post(replica: BotHarness) -> int:
                url = f"http://127.0.0.1:{replica.settings.http_port}/telegram/webhook"
                async with http.post(url, json=update, headers=headers) as answer:
                    return answer.status

            assert await asyncio.gather(post(first), post(second)) == [200, 200]

        await first.wait_said(user, credited(100, FREE + 100))
        for replica in (first, second):
            processor = replica.app[app_telegram.PTB_APP].update_processor
            await eventually(lambda p=processor: p.current_concurrent_updates == 0)
        assert len(said(first, user, lambda t: t.startswith("Thank you"))) == 1
        assert await balance(first, user) == FREE + 100 == await ledger_sum(first, user)


async def test_the_same_invoice_paid_again_is_a_new_purchase(paid: BotHarness) -> None:
    user = paid.new_user()
    small, _ = await invoices(paid, user)

    await pay(paid, user, small)
    await paid.wait_said(user, credited(100, FREE + 100))
    await pay(paid, user, small)

    await paid.wait_said(user, credited(100, FREE + 200))


# --- pre-checkout ------------------------------------------------------------------------------


async def old_invoice(bot: BotHarness, user: int, package: Package) -> ApiCall:
    """An invoice the bot sent under an earlier STAR_PACKAGES."""
    async with Bot(TOKEN, base_url=f"{bot.telegram.url}/bot") as old_bot:
        message = await old_bot.send_invoice(
            user, "Old offer", "Offered before", package.payload, "XTR",
            [LabeledPrice("Old offer", package.stars)], provider_token="",
        )  # fmt: skip
    return next(
        c for c in bot.telegram.calls_to("sendInvoice")
        if c.ok and c.result["message_id"] == message.message_id
    )  # fmt: skip


async def test_pre_checkout_for_a_removed_package_says_the_offer_changed(
    paid: BotHarness,
) -> None:
    user = paid.new_user()
    command(paid, user, "/start")  # the emulator learns the user
    invoice = await old_invoice(paid, user, Package(70, 140))

    result = await pay(paid, user, invoice)

    assert result.outcome is PaymentOutcome.REFUSED
    assert result.error_message == texts.CHECKOUT_CHANGED()
    assert await balance(paid, user) == 0


async def test_pre_checkout_refusal_speaks_the_users_language(paid: BotHarness) -> None:
    user = paid.new_user()
    command(paid, user, "/start", language_code="id")
    invoice = await old_invoice(paid, user, Package(70, 140))

    result = await pay(paid, user, invoice)

    with speaking("id"):
        expected = texts.CHECKOUT_CHANGED()
    assert result.error_message == expected != texts.CHECKOUT_CHANGED()


async def test_a_payment_for_a_package_removed_after_pre_checkout_gets_what_it_promised(
    paid: BotHarness,
) -> None:
    user = paid.new_user()
    payment_update(paid, user, "stx-removed", 70, Package(70, 140).payload)

    await paid.wait_said(user, credited(140, FREE + 140))


async def test_a_banned_user_is_refused_at_pre_checkout(paid: BotHarness) -> None:
    user = paid.new_user()
    small, _ = await invoices(paid, user)
    await paid.redis.sadd("users:banned", user)

    result = await pay(paid, user, small)

    assert result.outcome is PaymentOutcome.REFUSED
    assert result.error_message == texts.REFUSED_BANNED()


async def test_a_banned_users_payment_is_still_credited(paid: BotHarness) -> None:
    user = paid.new_user()
    await paid.redis.sadd("users:banned", user)

    payment_update(paid, user, "stx-banned", 50, Package(50, 100).payload)

    await paid.wait_said(user, credited(100, FREE + 100))


async def test_a_payment_in_a_flood_is_not_dropped(paid: BotHarness) -> None:
    user = paid.new_user()
    for n in range(USER_UPDATES_PER_WINDOW + 5):
        paid.telegram.message_update(chat_id=user, user_id=user, text=f"hello {n}")
    await paid.wait_said(user, lambda t: t == texts.TOO_FAST())

    payment_update(paid, user, "stx-flood", 50, Package(50, 100).payload)

    await paid.wait_said(user, credited(100, FREE + 100))


async def test_a_mismatched_amount_credits_nothing_and_alerts_admins_once(
    paid: BotHarness,
) -> None:
    user = paid.new_user()
    payment_update(paid, user, "stx-short", 49, Package(50, 100).payload)

    await paid.wait_said(user, lambda t: t == texts.PAYMENT_NOT_MATCHED())
    [alert] = await paid.wait_said(ADMIN, lambda t: "stx-short" in t)
    assert str(user) in alert.params["text"]
    payment_update(paid, user, "stx-short", 49, Package(50, 100).payload)
    await handled_so_far(paid, user)
    assert len(said(paid, ADMIN, lambda t: "stx-short" in t)) == 1
    assert await balance(paid, user) == 0 == await ledger_sum(paid, user)


# --- refunds ----------------------------------------------------------------------------------


async def bought(bot: BotHarness, user: int) -> str:
    """The user buys the small package; its charge id."""
    small, _ = await invoices(bot, user)
    result = await pay(bot, user, small)
    assert result.telegram_payment_charge_id
    await bot.wait_said(user, lambda t: t.startswith("Thank you"))
    return result.telegram_payment_charge_id


async def admin_says(bot: BotHarness, text: str, matches: Callable[[str], bool]) -> str:
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text=text)
    [answer] = await bot.wait_said(ADMIN, matches)
    return str(answer.params["text"])


def refunds(bot: BotHarness) -> list[dict[str, Any]]:
    return [t for t in bot.telegram.star_transactions if "receiver" in t]


async def test_refund_removes_the_credits_and_refunds_the_stars(paid: BotHarness) -> None:
    user = paid.new_user()
    charge = await bought(paid, user)

    answer = await admin_says(paid, f"/refund {charge}", lambda t: charge in t)

    assert answer == texts.REFUND_DONE(charge=charge, credits="100", user=str(user),
                                       balance=str(FREE))  # fmt: skip
    assert [t["id"] for t in refunds(paid)] == [charge]
    assert await balance(paid, user) == FREE == await ledger_sum(paid, user)


async def test_refund_is_refused_when_the_credits_were_spent(start_bot: StartBot) -> None:
    async with start_bot(payments="stars", prices="nano-banana-pro=60") as bot:
        user = bot.new_user()
        charge = await bought(bot, user)
        bot.send_photo(user, caption="make it blue")
        await bot.submitted_task()  # the job holds 60 of the 112

        answer = await admin_says(bot, f"/refund {charge}", lambda t: charge in t)

        assert answer == texts.REFUND_SHORT(charge=charge, credits="100", user=str(user),
                                            left="52", spent="48")  # fmt: skip
        assert refunds(bot) == []
        assert await balance(bot, user) == 52 == await ledger_sum(bot, user)


async def test_telegrams_already_refunded_counts_as_done(paid: BotHarness) -> None:
    user = paid.new_user()
    charge = await bought(paid, user)
    async with Bot(TOKEN, base_url=f"{paid.telegram.url}/bot") as other:
        assert await other.refund_star_payment(user, charge)  # refunded outside the bot

    answer = await admin_says(paid, f"/refund {charge}", lambda t: charge in t)

    assert answer.startswith(texts.REFUND_DONE(charge=charge, credits="100", user=str(user),
                                               balance=str(FREE)))  # fmt: skip
    assert await balance(paid, user) == FREE == await ledger_sum(paid, user)
    again = await admin_says(paid, f"/refund {charge}", lambda t: t.endswith("already."))
    assert again == texts.REFUND_ALREADY(charge=charge)


async def test_refund_is_for_admins_only(paid: BotHarness) -> None:
    user = paid.new_user()
    charge = await bought(paid, user)

    command(paid, user, f"/refund {charge}")

    await paid.wait_said(user, lambda t: t == texts.ADMIN_ONLY())
    assert refunds(paid) == []


# --- reconciliation and /payments -----------------------------------------------------------


async def test_payments_lists_purchases_and_finds_a_missing_one(paid: BotHarness) -> None:
    user = paid.new_user()
    charge = await bought(paid, user)
    unseen = paid.telegram.add_star_transaction(
        user_id=user, amount=50, date=int(time.time() - 2 * GRACE_S)
    )

    answer = await admin_says(paid, "/payments", lambda t: t.startswith(texts.PAYMENTS_LATEST()))

    assert charge in answer
    assert texts.RECONCILE_LINES["missing_in_ledger"](ids=unseen) in answer


async def test_the_daily_reconciliation_tells_admins_of_a_missing_purchase(
    start_bot: StartBot, telegram: TelegramEmulator
) -> None:
    unseen = telegram.add_star_transaction(
        user_id=7777, amount=50, date=int(time.time() - 2 * GRACE_S)
    )

    async with start_bot(payments="stars") as bot:
        [alert] = await bot.wait_said(ADMIN, lambda t: unseen in t)

    assert alert.params["text"].startswith(texts.RECONCILE_DIFFERS())


async def test_payments_is_for_admins_only(paid: BotHarness) -> None:
    user = paid.new_user()
    command(paid, user, "/payments")
    await paid.wait_said(user, lambda t: t == texts.ADMIN_ONLY())
    assert said(paid, user, lambda t: True) == [texts.ADMIN_ONLY()]


# --- /paysupport, and PAYMENTS=off ------------------------------------------------------------


async def test_paysupport_says_how_to_get_help(paid: BotHarness) -> None:
    user = paid.new_user()
    command(paid, user, "/paysupport")
    await paid.wait_said(user, lambda t: t == texts.PAYSUPPORT())


async def test_paysupport_with_a_question_reaches_the_admins(paid: BotHarness) -> None:
    user = paid.new_user()
    charge = await bought(paid, user)

    command(paid, user, "/paysupport I paid twice")

    await paid.wait_said(user, lambda t: t == texts.PAYSUPPORT_SENT())
    [alert] = await paid.wait_said(ADMIN, lambda t: "I paid twice" in t)
    assert charge in alert.params["text"] and str(user) in alert.params["text"]


async def test_payments_off_hides_buy_and_paysupport(bot: BotHarness) -> None:
    user = bot.new_user()
    command(bot, user, "/buy")
    command(bot, user, "/paysupport")
    command(bot, user, "/start")

    await bot.wait_said(user, lambda t: t == texts.START())

    assert not bot.telegram.calls_to("sendInvoice")
    assert said(bot, user, lambda t: True) == [texts.START()]


async def test_payments_off_refuses_every_pre_checkout(bot: BotHarness) -> None:
    user = bot.new_user()
    command(bot, user, "/start")
    invoice = await old_invoice(bot, user, Package(50, 100))

    result = await pay(bot, user, invoice)

    assert result.error_message == texts.CHECKOUT_CHANGED()
