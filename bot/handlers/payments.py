"""Telegram Stars: /buy's invoices, the pre-checkout answer, crediting a successful payment,
/paysupport, and the admins' /refund and /payments. With PAYMENTS=off, /buy and /paysupport
answer nothing, as a command that does not exist."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import LabeledPrice, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import texts
from bot.credits import lua as credits_lua
from bot.credits.packages import STARS_CURRENCY, Checkout, Package, checkout, packages
from bot.credits.payments import Payment, RefundOutcome, RefundResult
from bot.credits.reconcile import Differences, StarsReconciler, report
from bot.deps import Deps, deps_of
from bot.locales import choose, day_and_time, number, set_language

# Before the update screen (group -2): a payment is never dropped by it, and a banned user's
# pre-checkout query still gets its answer (no).
PAYMENT_GROUP = -3
COMMAND_GROUP = 1
RECENT = 20  # payments /payments lists
SUPPORT_MAX_CHARS = 1000  # of a /paysupport question passed to the admins
SUPPORT_CHARGES = 3  # the asker's latest payments named to the admins
MAX_CHARGE_ID_CHARS = 256
MAX_TEXT_CHARS = 4096  # Telegram's limit on a message


def register_payments(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Its own groups: pre-checkout queries and successful payments in PAYMENT_GROUP, before
    the screen; the commands in group 1, after it (banned users and floods stop there)."""
    application.add_handler(PreCheckoutQueryHandler(on_pre_checkout), group=PAYMENT_GROUP)
    application.add_handler(
        MessageHandler(filters.SUCCESSFUL_PAYMENT, on_successful_payment), group=PAYMENT_GROUP
    )
    new = filters.UpdateType.MESSAGE
    for command, callback in (
        ("buy", on_buy),
        ("paysupport", on_paysupport),
        ("refund", on_refund),
        ("payments", on_payments),
    ):
        application.add_handler(CommandHandler(command, callback, filters=new), COMMAND_GROUP)


async def on_buy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One invoice per package, in the reader's language."""
    message, deps = update.effective_message, deps_of(context)
    if message is None or not deps.settings.charges:
        return
    for package in packages(deps.settings.star_packages):
        title = texts.credits(package.credits)
        await context.bot.send_invoice(
            chat_id=message.chat_id,
            title=title,
            description=texts.BUY_DESCRIPTION(
                credits=number(package.credits), stars=number(package.stars)
            ),
            payload=package.payload,
            currency=STARS_CURRENCY,
            prices=[LabeledPrice(title, package.stars)],
            provider_token="",
        )


async def on_pre_checkout(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answered at once (Telegram waits 10 s): one Redis round trip, no provider call."""
    query = update.pre_checkout_query
    if query is None:
        return
    deps, user = deps_of(context), query.from_user
    banned, chosen = await deps.payments.checkout_facts(user.id)
    listed = deps.screen.listed(user.id)
    allowed = listed and (not banned or user.id in deps.settings.admin_ids)
    offered = _offered(deps)
    verdict = checkout(
        offered, query.invoice_payload, query.currency, query.total_amount, allowed=allowed
    )
    if verdict is Checkout.OK:
        await query.answer(ok=True)
        raise ApplicationHandlerStop
    set_language(choose(chosen, user.language_code, deps.languages.default))
    if verdict is Checkout.CHANGED:
        refusal = texts.CHECKOUT_CHANGED()
    elif listed:
        refusal = texts.REFUSED_BANNED()
    else:
        refusal = texts.REFUSED_UNLISTED(user=str(user.id))
    await query.answer(ok=False, error_message=refusal)
    raise ApplicationHandlerStop


def _offered(deps: Deps) -> tuple[Package, ...]:
    return packages(deps.settings.star_packages) if deps.settings.charges else ()


async def on_successful_payment(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Credited once per charge id, for anyone (their Stars are gone already, banned or not);
    a redelivery says nothing more."""
    message = update.effective_message
    user = message.from_user if message is not None else None
    if message is None or user is None or message.successful_payment is None:
        raise ApplicationHandlerStop
    paid, deps = message.successful_payment, deps_of(context)
    credited = await deps.payments.credit(
        paid.telegram_payment_charge_id, user.id, paid.currency, paid.total_amount,
        paid.invoice_payload,
    )  # fmt: skip
    if credited.new:
        set_language(await deps.languages.for_update(user.id, user.language_code))
        await message.reply_text(
            texts.PAYMENT_NOT_MATCHED()
            if credited.mismatch
            else texts.PAYMENT_CREDITED(
                credits=number(credited.credits), balance=number(credited.balance)
            )
        )
    raise ApplicationHandlerStop


async def on_paysupport(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """How to get help; with a question, it goes to the admins with the asker's payments."""
    message, user, deps = update.effective_message, update.effective_user, deps_of(context)
    if message is None or user is None or not deps.settings.charges:
        return
    question = " ".join(context.args or ())[:SUPPORT_MAX_CHARS]
    if not question:
        await message.reply_text(texts.PAYSUPPORT())
        return
    bought = [
        e.charge_id for e in await deps.ledger.entries(user.id) if e.reason == credits_lua.BUY
    ][:SUPPORT_CHARGES]
    charges = ", ".join(bought) or "-"
    await deps.payments.tell_admins(
        lambda: texts.PAYSUPPORT_ALERT(user=str(user.id), text=question, charges=charges)
    )
    await message.reply_text(texts.PAYSUPPORT_SENT())


async def on_refund(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/refund <charge id>, for admins."""
    message, deps = await _admin_message(update, context)
    if message is None:
        return
    args = context.args or ()
    if len(args) != 1 or len(args[0]) > MAX_CHARGE_ID_CHARS:
        await message.reply_text(texts.REFUND_USAGE())
        return
    outcome = await deps.payments.refund(context.bot, args[0])
    await message.reply_text(refund_answer(args[0], outcome))


async def on_payments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The latest payments, and a reconciliation with Telegram run now, for admins."""
    message, deps = await _admin_message(update, context)
    if message is None:
        return
    recent = await deps.payments.recent(RECENT)
    try:
        differences: Differences | None = await StarsReconciler(
            deps.payments, context.bot, deps.redis
        ).check()
    except TelegramError:
        differences = None
    await message.reply_text(payments_answer(recent, differences))


async def _admin_message(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Message | None, Deps]:
    """The message of an admin's command; None (and the answer /ban gives) for anyone else.
    With PAYMENTS=off non-admins hear nothing, as for a command that does not exist."""
    message, user, deps = update.effective_message, update.effective_user, deps_of(context)
    if message is None or user is None:
        return None, deps
    if user.id not in deps.settings.admin_ids:
        if deps.settings.charges:
            await message.reply_text(texts.ADMIN_ONLY())
        return None, deps
    return message, deps


def refund_answer(charge: str, outcome: RefundOutcome) -> str:
    """What /refund did, for the admin."""
    user, credits = str(outcome.user_id), number(outcome.credits)
    match outcome.result:
        case RefundResult.DONE:
            return texts.REFUND_DONE(
                charge=charge, credits=credits, user=user, balance=number(outcome.balance)
            )
        case RefundResult.ALREADY:
            return texts.REFUND_ALREADY(charge=charge)
        case RefundResult.UNKNOWN:
            return texts.REFUND_UNKNOWN(charge=charge)
        case RefundResult.SHORT:
            spent = number(outcome.credits - outcome.balance)
            left = number(outcome.balance)
            return texts.REFUND_SHORT(
                charge=charge, credits=credits, user=user, left=left, spent=spent
            )
        case RefundResult.REFUSED:
            reason = texts.clean_reason(outcome.reason)
            return texts.REFUND_REFUSED(charge=charge, reason=reason, credits=credits, user=user)


def payments_answer(recent: Sequence[Payment], differences: Differences | None) -> str:
    """/payments: the latest payments, then what the reconciliation found."""
    lines = [texts.PAYMENTS_LATEST()] if recent else [texts.PAYMENTS_NONE()]
    lines += [_line(p) for p in recent]
    if differences is None:
        lines += ["", texts.RECONCILE_UNAVAILABLE()]
    else:
        lines += ["", texts.RECONCILE_CLEAN() if differences.clean else report(differences)]
    answer = "\n".join(lines)
    return answer if len(answer) <= MAX_TEXT_CHARS else answer[: MAX_TEXT_CHARS - 1] + "…"


def _line(payment: Payment) -> str:
    return texts.PAYMENT_LINE(
        when=day_and_time(datetime.fromtimestamp(payment.at, UTC)),
        charge=payment.charge_id,
        user=str(payment.user_id),
        stars=number(payment.stars),
        credits=number(payment.credits),
        state=texts.PAYMENT_STATES[payment.state.value](),
    )
