"""Tests of the Telegram emulator's Stars payments (sendInvoice, the pre-checkout round trip,
successful payments, refunds and the transaction list), driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    TransactionPartnerUser,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.sandbox.emulators.telegram import (
    SEND_METHODS,
    STARS_CURRENCY,
    PaymentOutcome,
    TelegramEmulator,
)

TOKEN = "123456:TEST"
CHAT = 4242
USER = 4242
OTHER_USER = 5151
PAYLOAD = "credits:50:order-1"


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(TOKEN) as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{emu.url}/bot") as tg_bot:
        yield tg_bot


async def send_stars_invoice(bot: Bot, amount: int = 50, **overrides: Any) -> Any:
    values: dict[str, Any] = dict(
        chat_id=CHAT,
        title="50 credits",
        description="Credits for pictures and videos",
        payload=PAYLOAD,
        currency=STARS_CURRENCY,
        prices=[LabeledPrice("50 credits", amount)],
    )
    return await bot.send_invoice(**{**values, **overrides})


def user_message(emu: TelegramEmulator, user_id: int = USER) -> None:
    """Make the user known to the emulator (as if they had written to the bot)."""
    emu.message_update(chat_id=user_id, user_id=user_id, text="/buy", first_name="Ann")


# --- sendInvoice ------------------------------------------------------------------------------


async def test_send_invoice_answers_an_invoice_message_without_the_payload(
    emu: TelegramEmulator, bot: Bot
) -> None:
    sent = await send_stars_invoice(bot, start_parameter="buy50")

    assert sent.invoice is not None
    assert (sent.invoice.title, sent.invoice.currency, sent.invoice.total_amount) == (
        "50 credits",
        "XTR",
        50,
    )
    assert sent.invoice.description == "Credits for pictures and videos"
    assert sent.invoice.start_parameter == "buy50"
    assert sent.from_user is not None and sent.from_user.id == emu.bot_id
    (call,) = emu.sent_messages(CHAT)
    assert "sendInvoice" in SEND_METHODS and call.method == "sendInvoice"
    assert PAYLOAD not in repr(call.result)  # kept privately, as Telegram does
    assert emu.invoice_payload(CHAT, sent.message_id) == PAYLOAD
    assert emu.invoice_payload(CHAT, sent.message_id + 1) is None


async def test_an_invoice_keyboard_must_start_with_a_pay_button(
    emu: TelegramEmulator, bot: Bot
) -> None:
    pay = InlineKeyboardMarkup([[InlineKeyboardButton("Pay ⭐ 50", pay=True)]])
    sent = await send_stars_invoice(bot, reply_markup=pay)
    assert sent.reply_markup == pay

    not_pay = InlineKeyboardMarkup([[InlineKeyboardButton("Help", callback_data="help")]])
    with pytest.raises(BadRequest, match=r"(?i)REPLY_MARKUP_BUY_EMPTY"):
        await send_stars_invoice(bot, reply_markup=not_pay)
    assert len(emu.sent_messages()) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"provider_token": "284685063:TEST:abc"}, "PAYMENT_PROVIDER_INVALID"),
        (
            {"prices": [LabeledPrice("credits", 40), LabeledPrice("bonus", 10)]},
            "STARS_INVOICE_INVALID",
        ),
        ({"prices": [LabeledPrice("credits", 0)]}, "total price must be positive"),
        ({"prices": [LabeledPrice("credits", 10_001)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ({"prices": []}, "there must be at least one price"),
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"title": "t" * 33}, "MEDIA_INVALID"),
        ({"description": "d" * 256}, "MEDIA_INVALID"),
        ({"title": ""}, 'parameter "title" is required'),
    ],
)
async def test_send_invoice_refusals_match_telegram(
    emu: TelegramEmulator, bot: Bot, overrides: dict[str, Any], error: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        await send_stars_invoice(bot, **overrides)

    assert error.lower() in caught.value.message.lower()
    (call,) = emu.calls_to("sendInvoice")
    assert call.status == 400
    assert call.description == f"Bad Request: {error}"
    assert emu.sent_messages() == []


async def test_the_longest_valid_invoice_fields_are_accepted(bot: Bot) -> None:
    sent = await send_stars_invoice(
        bot, title="t" * 32, description="d" * 255, payload="é" * 64, amount=10_000
    )
    assert sent.invoice is not None and sent.invoice.total_amount == 10_000


# --- paying -----------------------------------------------------------------------------------


@pytest.fixture
async def shop(emu: TelegramEmulator) -> AsyncIterator[list[str]]:
    """A real PTB Application that sells: it refuses the payload "sold-out", accepts any other,
    and thanks each successful payment; yields the charge ids it was told about."""
    charges: list[str] = []

    async def precheckout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.pre_checkout_query
        assert query is not None
        if query.invoice_payload == "sold-out":
            await query.answer(ok=False, error_message="Sorry, sold out")
        else:
            await query.answer(ok=True)

    async def paid(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.successful_payment is not None
        charge_id = update.message.successful_payment.telegram_payment_charge_id
        charges.append(charge_id)
        await update.message.reply_text(f"thanks {charge_id}")

    app = Application.builder().token(TOKEN).base_url(f"{emu.url}/bot").build()
    app.add_handler(PreCheckoutQueryHandler(precheckout))
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    await app.start()
    try:
        yield charges
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()


async def test_paying_an_invoice_twice_makes_two_payments(
    emu: TelegramEmulator, bot: Bot, shop: list[str]
) -> None:
    user_message(emu)
    invoice = await send_stars_invoice(bot)

    first = await emu.pay_invoice(CHAT, invoice.message_id, USER)
    second = await emu.pay_invoice(CHAT, invoice.message_id, USER)
    thanks = await emu.wait_for(
        "sendMessage", lambda call: call.params["text"].startswith("thanks"), count=2
    )

    assert first.outcome is PaymentOutcome.PAID and second.paid
    assert first.telegram_payment_charge_id and second.telegram_payment_charge_id
    assert first.telegram_payment_charge_id != second.telegram_payment_charge_id
    assert first.telegram_payment_charge_id.startswith("stx")
    assert len(first.telegram_payment_charge_id) >= 40
    assert shop == [first.telegram_payment_charge_id, second.telegram_payment_charge_id]
    assert [call.params["text"] for call in thanks] == [f"thanks {charge}" for charge in shop]
    assert first.message is not None
    assert first.message["from"]["id"] == USER and first.message["chat"]["id"] == CHAT
    assert first.message["successful_payment"] == {
        "currency": "XTR",
        "total_amount": 50,
        "invoice_payload": PAYLOAD,
        "telegram_payment_charge_id": first.telegram_payment_charge_id,
        "provider_payment_charge_id": "",
    }
    transactions = (await bot.get_star_transactions()).transactions
    assert [(t.id, t.amount) for t in transactions] == [(charge, 50) for charge in shop]
    source = transactions[0].source
    assert isinstance(source, TransactionPartnerUser)
    assert source.user.id == USER and source.invoice_payload == PAYLOAD
    assert transactions[0].receiver is None


async def test_a_refused_pre_checkout_charges_nothing(
    emu: TelegramEmulator, bot: Bot, shop: list[str]
) -> None:
    invoice = await send_stars_invoice(bot, payload="sold-out")

    result = await emu.pay_invoice(CHAT, invoice.message_id, USER)

    assert result.outcome is PaymentOutcome.REFUSED
    assert result.error_message == "Sorry, sold out"
    assert result.telegram_payment_charge_id is None and result.message is None
    (answer,) = emu.calls_to("answerPreCheckoutQuery")
    assert answer.params["ok"] is False and answer.params["pre_checkout_query_id"] == (
        result.pre_checkout_query_id
    )
    assert emu.star_transactions == []
    assert shop == []


async def test_the_pre_checkout_query_carries_the_user_and_the_payload(
    emu: TelegramEmulator, bot: Bot
) -> None:
    emu.set_user_language(OTHER_USER, "id", first_name="Budi")
    invoice = await send_stars_invoice(bot)
    paying = asyncio.create_task(emu.pay_invoice(CHAT, invoice.message_id, OTHER_USER))

    (update,) = await bot.get_updates(timeout=5)
    query = update.pre_checkout_query
    assert query is not None
    assert (query.from_user.id, query.from_user.language_code) == (OTHER_USER, "id")
    assert (query.currency, query.total_amount, query.invoice_payload) == ("XTR", 50, PAYLOAD)
    assert await bot.answer_pre_checkout_query(query.id, ok=True)
    result = await paying

    assert result.paid and result.pre_checkout_query_id == query.id
    (_, paid) = await bot.get_updates(offset=update.update_id)
    assert paid.message is not None and paid.message.successful_payment is not None
    assert paid.message.successful_payment.telegram_payment_charge_id == (
        result.telegram_payment_charge_id
    )
    assert paid.message.from_user is not None and paid.message.from_user.id == OTHER_USER


async def test_an_unanswered_pre_checkout_times_out_and_a_late_answer_is_refused(
    emu: TelegramEmulator, bot: Bot
) -> None:
    invoice = await send_stars_invoice(bot)

    result = await emu.pay_invoice(CHAT, invoice.message_id, USER, answer_within_s=0.05)

    assert result.outcome is PaymentOutcome.TIMED_OUT
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_pre_checkout_query(result.pre_checkout_query_id, ok=True)
    updates = await bot.get_updates()
    assert [u.pre_checkout_query is not None for u in updates] == [True]  # no payment message
    assert emu.star_transactions == []


async def test_answer_pre_checkout_query_refusals(emu: TelegramEmulator, bot: Bot) -> None:
    invoice = await send_stars_invoice(bot)
    paying = asyncio.create_task(emu.pay_invoice(CHAT, invoice.message_id, USER))
    (update,) = await bot.get_updates(timeout=5)
    assert update.pre_checkout_query is not None
    query_id = update.pre_checkout_query.id

    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_pre_checkout_query("1234567890", ok=True)
    with pytest.raises(BadRequest, match=r'(?i)parameter "error_message" is required'):
        await bot.answer_pre_checkout_query(query_id, ok=False)
    assert await bot.answer_pre_checkout_query(query_id, ok=False, error_message="No stock")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_pre_checkout_query(query_id, ok=True)

    result = await paying
    assert (result.outcome, result.error_message) == (PaymentOutcome.REFUSED, "No stock")
    assert [call.status for call in emu.calls_to("answerPreCheckoutQuery")] == [400, 400, 200, 400]


async def test_paying_a_message_that_is_no_invoice_is_a_lookup_error(
    emu: TelegramEmulator, bot: Bot
) -> None:
    sent = await bot.send_message(CHAT, "not an invoice")
    with pytest.raises(LookupError):
        await emu.pay_invoice(CHAT, sent.message_id, USER)


async def test_a_raw_successful_payment_can_redeliver_or_mismatch(
    emu: TelegramEmulator, bot: Bot
) -> None:
    charge = emu.add_star_transaction(user_id=USER, amount=50, invoice_payload=PAYLOAD)
    for amount, currency in ((50, "XTR"), (49, "XTR"), (50, "USD")):
        emu.successful_payment_update(
            chat_id=CHAT,
            user_id=USER,
            currency=currency,
            total_amount=amount,
            invoice_payload=PAYLOAD,
            telegram_payment_charge_id=charge,
        )

    updates = await bot.get_updates()
    payments = [u.message.successful_payment for u in updates if u.message is not None]
    assert [(p.total_amount, p.currency) for p in payments if p] == [
        (50, "XTR"),
        (49, "XTR"),
        (50, "USD"),
    ]
    assert {p.telegram_payment_charge_id for p in payments if p} == {charge}
    assert [t["id"] for t in emu.star_transactions] == [charge]  # not recorded again

    emu.successful_payment_update(
        chat_id=CHAT,
        user_id=USER,
        currency="XTR",
        total_amount=7,
        invoice_payload="other",
        telegram_payment_charge_id="stxRecorded",
        record_transaction=True,
    )
    assert [(t["id"], t["amount"]) for t in emu.star_transactions][-1] == ("stxRecorded", 7)


# --- refunds and the transaction list ----------------------------------------------------------


async def test_refund_star_payment_refunds_once_and_only_the_payer(
    emu: TelegramEmulator, bot: Bot
) -> None:
    user_message(emu)
    charge = emu.add_star_transaction(user_id=USER, amount=50, invoice_payload=PAYLOAD)

    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(USER, "stxUnknown")
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(OTHER_USER, charge)
    assert await bot.refund_star_payment(USER, charge)
    with pytest.raises(BadRequest, match=r"(?i)CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(USER, charge)

    bought, refunded = (await bot.get_star_transactions()).transactions
    assert bought.id == refunded.id == charge
    assert (bought.amount, refunded.amount) == (50, 50)
    assert bought.source is not None and refunded.source is None
    assert isinstance(refunded.receiver, TransactionPartnerUser)
    assert refunded.receiver.user.id == USER
    assert refunded.receiver.transaction_type == "invoice_payment"
    statuses = [call.status for call in emu.calls_to("refundStarPayment")]
    assert statuses == [400, 400, 200, 400]


async def test_a_refund_needs_a_user_id(emu: TelegramEmulator) -> None:
    async with Bot(TOKEN, base_url=f"{emu.url}/bot") as bot:
        with pytest.raises(BadRequest, match=r"(?i)invalid user_id specified"):
            await bot.refund_star_payment(0, "stxWhatever")


async def test_star_transactions_are_chronological_with_offset_and_limit(
    emu: TelegramEmulator, bot: Bot
) -> None:
    charges = [
        emu.add_star_transaction(user_id=USER, amount=amount, date=1_700_000_000 + amount)
        for amount in (10, 20, 30)
    ]

    everything = (await bot.get_star_transactions()).transactions
    page = (await bot.get_star_transactions(offset=1, limit=1)).transactions
    clamped = (await bot.get_star_transactions(offset=0, limit=500)).transactions
    past_the_end = (await bot.get_star_transactions(offset=3)).transactions

    assert [t.id for t in everything] == charges
    assert [t.amount for t in everything] == [10, 20, 30]
    assert everything[0].date.timestamp() == 1_700_000_010
    assert [t.id for t in page] == [charges[1]]
    assert len(clamped) == 3 and past_the_end == ()


async def test_get_star_transactions_can_be_made_to_fail(emu: TelegramEmulator, bot: Bot) -> None:
    emu.add_star_transaction(user_id=USER, amount=10)
    emu.fail_next("getStarTransactions", error_code=500, description="Internal Server Error")

    with pytest.raises(Exception, match="Internal Server Error"):
        await bot.get_star_transactions()
    assert len((await bot.get_star_transactions()).transactions) == 1
