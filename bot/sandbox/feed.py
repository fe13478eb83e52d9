"""Each sandbox chat as a list of events for the web page, built from what the Telegram emulator
answered (the bot's sends, edits, deletions, chat actions) and what the page's users sent."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulators.telegram import SEND_METHODS, STARS_CURRENCY, ApiCall

JsonDict = dict[str, Any]
FileUrl = Callable[[str], str]
MAX_EVENTS_PER_CHAT = 400
MAX_CHATS = 200
_EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
_MEDIA = ("video", "audio", "document", "animation", "voice")


class ChatFeed:
    """Events per chat, numbered in one sequence, with a long-poll wait for new ones. Bounded:
    old events and the least recently used chats are forgotten."""

    def __init__(self, file_url: FileUrl, register_cover: Callable[[bytes], str]) -> None:
        self._file_url = file_url
        self._register_cover = register_cover
        self._chats: OrderedDict[int, deque[JsonDict]] = OrderedDict()
        self._seq = 0
        self._wake = asyncio.Event()
        self._query_chats: OrderedDict[str, int] = OrderedDict()
        self._closing = False
        self.waiting = 0  # long polls under way

    def add_user_message(self, message: JsonDict) -> None:
        """A message a page user sent (the emulator does not see it as a call)."""
        self._publish(message["chat"]["id"], "message", page_message(message, self._file_url))

    def add_notice(self, chat_id: int, text: str) -> None:
        """A small line in the chat from Telegram itself (a refused payment's reason)."""
        self._publish(chat_id, "notice", {"text": text})

    def expect_answer(self, query_id: str, chat_id: int) -> None:
        """A button press, so that the bot's answer to it shows in the right chat."""
        self._query_chats[query_id] = chat_id
        while len(self._query_chats) > MAX_CHATS:
            self._query_chats.popitem(last=False)

    def observe(self, call: ApiCall) -> None:
        """The emulator's observer: turns a successful call into the chat's event."""
        if not call.ok:
            return
        if call.method in SEND_METHODS:
            for message in call.result if isinstance(call.result, list) else [call.result]:
                shown = page_message(message, self._file_url)
                cover = call.params.get("thumbnail")
                if shown.get("audio") and isinstance(cover, bytes):
                    shown["audio"]["cover"] = self._file_url(self._register_cover(cover))
                self._publish(message["chat"]["id"], "message", shown)
        elif call.method in _EDITS and isinstance(call.result, dict):
            self._publish(
                call.result["chat"]["id"], "edit", page_message(call.result, self._file_url)
            )
        elif call.method == "deleteMessage":
            self._publish(call.params["chat_id"], "delete", {"id": call.params["message_id"]})
        elif call.method == "sendChatAction":
            self._publish(call.params["chat_id"], "action", {"action": call.params["action"]})
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            chat_id = self._query_chats.get(str(call.params.get("callback_query_id")))
            if chat_id is not None:
                self._publish(chat_id, "toast", {"text": str(call.params["text"])})

    def close(self) -> None:
        """Ends every long poll now, so a shutdown does not wait for them."""
        self._closing = True
        self._wake.set()

    def events(self, chat_id: int, after: int) -> list[JsonDict]:
        return [event for event in self._chats.get(chat_id, ()) if event["seq"] > after]

    async def wait(self, chat_id: int, after: int, timeout_s: float) -> list[JsonDict]:
        """Events after `after`, waiting up to `timeout_s` for the first one."""
        deadline = time.monotonic() + timeout_s
        while not (found := self.events(chat_id, after)):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            wake = self._wake
            self.waiting += 1
            try:
                async with asyncio.timeout(remaining):
                    await wake.wait()
            except TimeoutError:
                pass
            finally:
                self.waiting -= 1
        return found

    def _publish(self, chat_id: Any, kind: str, body: JsonDict) -> None:
        if not isinstance(chat_id, int):
            return
        self._seq += 1
        events = self._chats.pop(chat_id, None) or deque(maxlen=MAX_EVENTS_PER_CHAT)
        events.append({"seq": self._seq, "type": kind, **body})
        self._chats[chat_id] = events  # most recently used last
        while len(self._chats) > MAX_CHATS:
            self._chats.popitem(last=False)
        self._wake.set()
        self._wake = asyncio.Event()


def page_message(message: JsonDict, file_url: FileUrl) -> JsonDict:
    """What the page shows of a Bot API message; text stays text (the page never parses it)."""
    sender = message.get("from") or {}
    shown: JsonDict = {
        "id": message["message_id"],
        "from_bot": bool(sender.get("is_bot")),
        "name": str(sender.get("first_name", "")),
        "date": message.get("date", 0),
        "edited": "edit_date" in message,
        "text": message.get("text"),
        "caption": message.get("caption"),
        "album": message.get("media_group_id"),
        "keyboard": _keyboard(message.get("reply_markup")),
    }
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        shown["photo"] = file_url(str(photo[-1]["file_id"]))
    for kind in _MEDIA:
        media = message.get(kind)
        if isinstance(media, dict):
            shown[kind] = _media(media, file_url)
    invoice = message.get("invoice")
    if isinstance(invoice, dict):
        shown["invoice"] = {
            "title": str(invoice.get("title", "")),
            "description": str(invoice.get("description", "")),
            **_price(invoice),
        }
    payment = message.get("successful_payment")
    if isinstance(payment, dict):
        shown["payment"] = _price(payment)
    replied = message.get("reply_to_message")
    if isinstance(replied, dict):
        shown["reply_to"] = {"id": replied.get("message_id"), "preview": _preview(replied)}
    return shown


def _media(media: JsonDict, file_url: FileUrl) -> JsonDict:
    return {
        "url": file_url(str(media["file_id"])),
        "name": media.get("file_name"),
        "mime": media.get("mime_type"),
        "duration": media.get("duration"),
        "title": media.get("title"),
        "performer": media.get("performer"),
        "size": media.get("file_size"),
    }


def _price(fields: JsonDict) -> JsonDict:
    """An amount as the page shows it: "⭐ 50" for Telegram Stars, else "1.45 USD"-like."""
    currency, amount = str(fields.get("currency", "")), fields.get("total_amount")
    amount = amount if isinstance(amount, int) else 0
    label = f"⭐ {amount}" if currency == STARS_CURRENCY else f"{amount / 100:.2f} {currency}"
    return {"currency": currency, "amount": amount, "price": label}


def _keyboard(markup: Any) -> list[list[JsonDict]] | None:
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        return None
    rows = []
    for row in markup["inline_keyboard"]:
        buttons = []
        for button in row:
            shown: JsonDict = {"text": str(button.get("text", ""))}
            if isinstance(button.get("callback_data"), str):
                shown["data"] = button["callback_data"]
            if isinstance(button.get("url"), str):
                shown["url"] = button["url"]
            if button.get("pay") is True:
                shown["pay"] = True
            buttons.append(shown)
        rows.append(buttons)
    return rows


def _preview(message: JsonDict) -> str:
    for field in ("text", "caption"):
        if isinstance(message.get(field), str):
            return str(message[field])[:80]
    if isinstance(message.get("invoice"), dict):
        return str(message["invoice"].get("title", "Invoice"))[:80]
    for kind in ("photo", *_MEDIA):
        if kind in message:
            return kind.capitalize()
    return ""
