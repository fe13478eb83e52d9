"""The Telegram webhook under structurally broken updates: 400, one short line, no traceback."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot import texts
from bot.sandbox.emulators.telegram import TelegramEmulator
from bot.web.keys import REFUSALS
from tests.harness import StartBot

SECRET = "webhook-secret-for-tests"
CHAT = {"id": 77, "type": "private"}


def _message(**fields: Any) -> dict[str, Any]:
    return {"message_id": 1, "date": 0, "chat": CHAT, **fields}


BROKEN = {
    "message is a string": {"update_id": 1, "message": "hi"},
    "message is a list": {"update_id": 2, "message": [1, 2]},
    "message without date": {"update_id": 3, "message": {"message_id": 1, "chat": CHAT}},
    "message without chat": {"update_id": 4, "message": {"message_id": 1, "date": 0}},
    "photo is a string": {"update_id": 5, "message": _message(photo="abc")},
    "photo of numbers": {"update_id": 6, "message": _message(photo=[1, 2])},
    "text is a number": {"update_id": 7, "message": _message(text=7)},
    "chat is a string": {"update_id": 8, "message": _message(chat="x")},
    "update_id is a bool": {"update_id": True, "message": _message(text="/start")},
}
DEEP = b'{"update_id": 9, "message": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"


async def test_broken_updates_get_400_without_a_traceback_and_the_next_is_served(
    start_bot: StartBot, telegram: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [json.dumps(body).encode() for body in BROKEN.values()] + [DEEP]
    async with start_bot(telegram_webhook_secret=SECRET) as bot:
        statuses = []
        with caplog.at_level(logging.INFO):
            for body in bodies:
                async with bot.http.post(
                    f"{bot.url}/telegram/webhook", data=body,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                             "Content-Type": "application/json"},
                ) as response:  # fmt: skip
                    statuses.append(response.status)
            chat = bot.new_user()
            telegram.message_update(chat_id=chat, user_id=chat, text="/start")
            [answer] = await bot.wait_said(chat, lambda text: text == texts.START())

    assert statuses == [400] * len(bodies)
    assert answer.params["chat_id"] in (chat, str(chat))
    bot_records = [r for r in caplog.records if r.name.startswith("bot.")]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    refusals = [r for r in bot_records if "telegram update" in r.getMessage()]
    assert 1 <= len(refusals) <= len(bodies)
    assert all("\n" not in r.getMessage() and len(r.getMessage()) < 120 for r in refusals)
    assert len(telegram.calls_to("sendMessage")) == 1  # the /start answer, nothing else


async def test_a_flood_of_wrong_secrets_is_counted_not_logged_each(
    start_bot: StartBot, telegram: TelegramEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    update = json.dumps({"update_id": 1, "message": _message(text="/start")}).encode()
    async with start_bot(telegram_webhook_secret=SECRET) as bot:
        caplog.clear()
        statuses = []
        for attempt in range(200):
            async with bot.http.post(
                f"{bot.url}/telegram/webhook", data=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": f"guess-{attempt}"},
            ) as response:  # fmt: skip
                statuses.append(response.status)
        flood_lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        counts = dict(bot.app[REFUSALS].counts)

    assert statuses == [403] * 200
    assert flood_lines == ["refused a telegram update: wrong secret"]
    assert counts == {("telegram update", "wrong secret"): 200}
    assert telegram.calls_to("sendMessage") == []
