"""Invoices on the sandbox chat page: how the feed shows an invoice and a payment, the Pay
route that runs the emulator's payment for the page's user, and the Pay/Paid words per app
language."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot, LabeledPrice

from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator
from bot.sandbox.feed import ChatFeed, page_message
from bot.sandbox.languages import as_json as languages_json
from bot.sandbox.page import API, PAGE_HEADER, ChatPage, SandboxUser, add_chat_page

TOKEN = "123456:TEST"
ANN = SandboxUser(1001, "Ann")
BUDI = SandboxUser(1004, "Budi", language_code="id")


def file_url(file_id: str) -> str:
    return f"/files/{file_id}"


def invoice_message(**invoice: Any) -> dict[str, Any]:
    fields = {"title": "50 credits", "description": "For pictures", "start_parameter": "",
              "currency": "XTR", "total_amount": 50, **invoice}  # fmt: skip
    return {
        "message_id": 7,
        "from": {"id": 1, "is_bot": True, "first_name": "Photobot"},
        "chat": {"id": ANN.id, "type": "private"},
        "date": 1,
        "invoice": fields,
    }


# --- the feed ---------------------------------------------------------------------------------


def test_an_invoice_shows_its_title_description_and_stars_price() -> None:
    shown = page_message(invoice_message(), file_url)

    assert shown["invoice"] == {
        "title": "50 credits",
        "description": "For pictures",
        "currency": "XTR",
        "amount": 50,
        "price": "⭐ 50",
    }
    assert shown["from_bot"] is True and shown["text"] is None


def test_a_payment_in_another_currency_shows_its_units() -> None:
    shown = page_message(invoice_message(currency="USD", total_amount=145), file_url)
    assert shown["invoice"]["price"] == "1.45 USD"


def test_a_successful_payment_shows_as_a_paid_amount() -> None:
    message = {
        "message_id": 9,
        "from": {"id": ANN.id, "is_bot": False, "first_name": "Ann"},
        "chat": {"id": ANN.id, "type": "private"},
        "date": 1,
        "successful_payment": {"currency": "XTR", "total_amount": 50, "invoice_payload": "p",
                               "telegram_payment_charge_id": "stx1",
                               "provider_payment_charge_id": ""},
    }  # fmt: skip

    shown = page_message(message, file_url)

    assert shown["payment"] == {"currency": "XTR", "amount": 50, "price": "⭐ 50"}
    assert "invoice_payload" not in repr(shown) and "stx1" not in repr(shown)


def test_an_invoice_keyboards_pay_button_is_marked() -> None:
    markup = {"inline_keyboard": [[{"text": "Pay ⭐ 50", "pay": True}],
                                  [{"text": "Help", "callback_data": "help"}]]}  # fmt: skip
    shown = page_message({**invoice_message(), "reply_markup": markup}, file_url)

    assert shown["keyboard"] == [[{"text": "Pay ⭐ 50", "pay": True}], [{"text": "Help",
                                 "data": "help"}]]  # fmt: skip


def test_a_sent_invoice_and_a_notice_become_chat_events() -> None:
    feed = ChatFeed(file_url, register_cover=lambda data: "cover")
    call = ApiCall("sendInvoice", {"chat_id": ANN.id}, 0.0, 200, invoice_message())

    feed.observe(call)
    feed.add_notice(ANN.id, "Sorry, sold out")

    message, notice = feed.events(ANN.id, 0)
    assert (message["type"], message["id"], message["invoice"]["price"]) == ("message", 7, "⭐ 50")
    assert (notice["type"], notice["text"]) == ("notice", "Sorry, sold out")
    assert feed.events(BUDI.id, 0) == []


def test_the_pay_and_paid_words_follow_the_app_language() -> None:
    words = {lang["code"]: (lang["pay"], lang["paid"]) for lang in languages_json()}
    assert words["en"] == ("Pay", "Paid")
    assert words["id"] == ("Bayar", "Dibayar")


def test_the_page_script_marks_pay_buttons_for_tests() -> None:
    script = (resources.files("bot.sandbox") / "static" / "chat.js").read_text(encoding="utf-8")
    assert "key.dataset.pay = String(message.id)" in script
    assert 'post("/payments"' in script


# --- the Pay route ----------------------------------------------------------------------------


@dataclass
class Page:
    emu: TelegramEmulator
    feed: ChatFeed
    bot: Bot
    http: aiohttp.ClientSession
    url: str

    async def pay(self, user: SandboxUser, message_id: Any) -> tuple[int, Any]:
        body = {"user": user.id, "message_id": message_id}
        headers = {PAGE_HEADER: "1"}
        async with self.http.post(f"{self.url}{API}/payments", json=body, headers=headers) as r:
            return r.status, await r.json()

    async def answer_next_pre_checkout(self, error_message: str | None = None) -> str:
        """The bot's side: answer the next pre-checkout query (ok unless given a reason)."""
        (update,) = await self.bot.get_updates(timeout=5, allowed_updates=["pre_checkout_query"])
        await self.bot.get_updates(offset=update.update_id + 1)  # confirm it
        query = update.pre_checkout_query
        assert query is not None
        ok = error_message is None
        await self.bot.answer_pre_checkout_query(query.id, ok=ok, error_message=error_message)
        return query.invoice_payload


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with TelegramEmulator(TOKEN) as emu, Bot(TOKEN, base_url=f"{emu.url}/bot") as bot:
        feed = ChatFeed(file_url, register_cover=lambda data: "cover")
        emu.observers.append(feed.observe)
        chat_page = ChatPage(emu, feed, (ANN, BUDI), hosts=frozenset())
        app = web.Application()
        add_chat_page(app, chat_page)
        async with TestServer(app, host="127.0.0.1") as server, aiohttp.ClientSession() as http:
            chat_page.hosts = frozenset({f"127.0.0.1:{server.port}"})
            yield Page(emu, feed, bot, http, str(server.make_url("")).rstrip("/"))


async def send_invoice(page: Page, user: SandboxUser, payload: str = "credits:50") -> int:
    sent = await page.bot.send_invoice(
        user.id, "50 credits", "For pictures", payload, "XTR", [LabeledPrice("50 credits", 50)]
    )
    return sent.message_id


async def test_pressing_pay_shows_the_users_payment_in_the_chat(page: Page) -> None:
    message_id = await send_invoice(page, BUDI)

    (status, answer), payload = await asyncio.gather(
        page.pay(BUDI, message_id), page.answer_next_pre_checkout()
    )

    assert (status, answer) == (200, {"ok": True, "outcome": "paid"})
    assert payload == "credits:50"
    invoice, paid = page.feed.events(BUDI.id, 0)
    assert invoice["invoice"]["title"] == "50 credits" and invoice["from_bot"]
    assert paid["type"] == "message" and not paid["from_bot"]
    assert paid["payment"]["price"] == "⭐ 50"
    (transaction,) = page.emu.star_transactions
    assert transaction["source"]["user"]["id"] == BUDI.id
    assert transaction["source"]["user"]["language_code"] == "id"


async def test_a_refused_payment_shows_the_bots_reason(page: Page) -> None:
    message_id = await send_invoice(page, ANN, payload="sold-out")

    (status, answer), _ = await asyncio.gather(
        page.pay(ANN, message_id), page.answer_next_pre_checkout("Sorry, sold out")
    )

    assert (status, answer) == (200, {"ok": True, "outcome": "refused"})
    kinds = [(event["type"], event.get("text")) for event in page.feed.events(ANN.id, 0)]
    assert kinds == [("message", None), ("notice", "Sorry, sold out")]
    assert page.emu.star_transactions == []


async def test_paying_a_message_that_is_no_invoice_is_refused(page: Page) -> None:
    sent = await page.bot.send_message(ANN.id, "hello")

    assert await page.pay(ANN, sent.message_id) == (
        404,
        {"ok": False, "error": "that invoice is gone"},
    )
    assert await page.pay(ANN, "7") == (
        400,
        {"ok": False, "error": "a payment names the invoice's message"},
    )
    assert page.emu._next_update_id == 1  # nothing reached the bot
