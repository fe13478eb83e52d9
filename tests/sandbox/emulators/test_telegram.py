"""Tests of the Telegram Bot API emulator, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.sandbox.emulators.telegram import ApiCall, TelegramEmulator

TOKEN = "123456:TEST"
CHAT = 4242
USER = 4242
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without this opt-in PTB 22 emits a PTBDeprecationWarning while *building* RetryAfter,
    # which the warnings-are-errors config would turn into the raised exception.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(TOKEN) as emulator:
        yield emulator


def make_bot(emu: TelegramEmulator, token: str = TOKEN) -> Bot:
    return Bot(token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot")


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    async with make_bot(emu) as tg_bot:
        yield tg_bot


def keyboard(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])


async def test_get_me_describes_the_bot(emu: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == emu.bot_id
    assert me.is_bot
    assert me.username == "photobot_test_bot"
    assert [call.status for call in emu.calls_to("getme")] == [200, 200]  # initialize + ours


async def test_send_and_edit_message_round_trip(emu: TelegramEmulator, bot: Bot) -> None:
    first = await bot.send_message(CHAT, "hello", reply_markup=keyboard("go"))
    second = await bot.send_message(CHAT, "again")
    edited = await bot.edit_message_text("bye", chat_id=CHAT, message_id=first.message_id)
    assert isinstance(edited, Message)

    assert first.text == "hello"
    assert first.from_user is not None and first.from_user.id == emu.bot_id
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.reply_markup == keyboard("go")
    assert second.message_id == first.message_id + 1
    assert edited.text == "bye"
    assert edited.reply_markup is None  # Telegram drops the keyboard unless it is resent
    assert edited.edit_date is not None
    assert [call.params["text"] for call in emu.sent_messages(CHAT)] == ["hello", "again"]
    assert emu.calls_to("sendMessage")[0].params["chat_id"] == CHAT


async def test_edit_errors_match_telegram(bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "same")

    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=CHAT, message_id=sent.message_id + 10)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("same", chat_id=CHAT, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
    assert await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("k")
    )


async def test_message_limits_are_enforced(emu: TelegramEmulator, bot: Bot) -> None:
    assert (await bot.send_message(CHAT, "x" * 4096)).text == "x" * 4096

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(CHAT, PNG, caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "pick", reply_markup=keyboard("d" * 65))
    assert len(emu.sent_messages()) == 1
    assert [call.status for call in emu.calls_to("sendMessage")] == [200, 400, 400]


async def test_send_photo_records_bytes_and_reply_parameters(
    emu: TelegramEmulator, bot: Bot
) -> None:
    incoming = emu.message_update(chat_id=CHAT, user_id=USER, text="make it blue")
    user_message_id = incoming["message"]["message_id"]

    sent = await bot.send_photo(
        CHAT, PNG, caption="done", reply_parameters=ReplyParameters(user_message_id)
    )

    (call,) = emu.calls_to("sendPhoto")
    assert call.params["photo"] == PNG
    assert call.params["reply_parameters"] == {"message_id": user_message_id}
    assert call.params["caption"] == "done"
    assert sent.caption == "done"
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "make it blue"
    assert sent.message_id == user_message_id + 1  # one id sequence per chat
    assert sent.photo[-1].file_size == len(PNG)
    assert emu.sent_messages(CHAT) == [call]


async def test_reply_to_message_id_is_sent_as_reply_parameters(
    emu: TelegramEmulator, bot: Bot
) -> None:
    first = await bot.send_message(CHAT, "first")
    await bot.send_message(CHAT, "second", reply_to_message_id=first.message_id)

    assert emu.calls_to("sendMessage")[1].params["reply_parameters"] == {
        "message_id": first.message_id
    }
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(CHAT, "third", reply_to_message_id=999)


async def test_reply_parameters_normalised_from_json_and_form_bodies(
    emu: TelegramEmulator, bot: Bot
) -> None:
    target = await bot.send_message(CHAT, "target")
    reply = {"message_id": target.message_id}
    url = f"{emu.url}/bot{TOKEN}/sendMessage"
    async with aiohttp.ClientSession() as session:
        json_body = {"chat_id": CHAT, "text": "a", "reply_parameters": reply}
        async with session.post(url, json=json_body) as response:
            assert response.status == 200
        form = {"chat_id": str(CHAT), "text": "b", "reply_parameters": '{"message_id": 1}'}
        async with session.post(url, data=form) as response:
            assert (await response.json())["result"]["reply_to_message"]["text"] == "target"

    json_call, form_call = emu.calls_to("sendMessage")[1:]
    assert json_call.params["reply_parameters"] == reply
    assert form_call.params == {"chat_id": CHAT, "text": "b", "reply_parameters": reply}


async def test_sent_file_ids_and_urls_are_kept_as_strings(emu: TelegramEmulator, bot: Bot) -> None:
    uploaded = await bot.send_document(CHAT, b"hello doc", filename="notes.txt")
    assert uploaded.document is not None
    await bot.send_document(CHAT, uploaded.document.file_id)
    await bot.send_photo(CHAT, "https://example.com/cat.jpg")

    first, second = emu.calls_to("sendDocument")
    assert first.params["document"] == b"hello doc"
    assert uploaded.document.file_name == "notes.txt"
    assert second.params["document"] == uploaded.document.file_id
    assert emu.calls_to("sendPhoto")[0].params["photo"] == "https://example.com/cat.jpg"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(CHAT, "no-such-file-id")


async def test_uploaded_photo_over_10_mb_is_rejected(emu: TelegramEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.send_photo(CHAT, b"\0" * (10 * 1024 * 1024 + 1))
    assert emu.calls_to("sendPhoto")[0].status == 400
    assert emu.sent_messages() == []


async def test_get_file_downloads_the_registered_bytes(emu: TelegramEmulator, bot: Bot) -> None:
    file_id, unique_id = emu.add_file(PNG, file_path_suffix="png")

    tg_file = await bot.get_file(file_id)
    buffer = io.BytesIO()
    await tg_file.download_to_memory(buffer)

    assert buffer.getvalue() == PNG
    assert tg_file.file_unique_id == unique_id
    assert tg_file.file_size == len(PNG)
    assert tg_file.file_path is not None and tg_file.file_path.endswith(".png")


async def test_get_file_refuses_files_over_20_mb(bot: Bot, emu: TelegramEmulator) -> None:
    file_id, _ = emu.add_file(b"\0" * (20 * 1024 * 1024 + 1))

    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(file_id)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("unknown")


async def test_get_updates_offset_limit_and_allowed_updates(
    emu: TelegramEmulator, bot: Bot
) -> None:
    ids = [
        emu.message_update(chat_id=CHAT, user_id=USER, text=f"m{n}")["update_id"] for n in (1, 2)
    ]
    sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("pick"))
    emu.callback_query_update(chat_id=CHAT, user_id=USER, data="pick", message_id=sent.message_id)

    first = await bot.get_updates(limit=1)
    rest = await bot.get_updates(offset=ids[0] + 1, allowed_updates=["message"])

    assert [update.update_id for update in first] == ids[:1]
    assert [update.message.text for update in rest if update.message] == ["m2"]
    assert all(update.callback_query is None for update in rest)
    assert await bot.get_updates(offset=ids[1] + 1) == ()


async def test_long_poll_returns_when_an_update_arrives(emu: TelegramEmulator, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=dtm.timedelta(seconds=5)))
    update_id = emu.message_update(chat_id=CHAT, user_id=USER, text="wake up")["update_id"]

    updates = await asyncio.wait_for(poll, timeout=4)

    assert [update.update_id for update in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "wake up"


async def test_application_polls_and_replies(emu: TelegramEmulator) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(f"echo: {update.message.text}", do_quote=True)

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{emu.url}/bot")
        .base_file_url(f"{emu.url}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
    await app.start()
    try:
        update = emu.message_update(chat_id=CHAT, user_id=USER, text="hi there")
        (reply,) = await emu.wait_for("sendMessage", lambda call: call.params["chat_id"] == CHAT)
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()

    assert reply.params["text"] == "echo: hi there"
    assert reply.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert emu.calls_to("deleteWebhook")[0].ok
    # The final getUpdates confirms the update so it is not delivered again.
    assert emu.calls_to("getUpdates")[-1].params["offset"] == update["update_id"] + 1


async def test_flood_limit_answers_429_that_ptb_raises_as_retry_after() -> None:
    async with TelegramEmulator(TOKEN, flood_limit_per_s=2) as emu, make_bot(emu) as bot:
        await bot.send_message(CHAT, "one")
        await bot.send_message(CHAT + 1, "two")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "three")

        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        limited = emu.calls_to("sendMessage")[-1]
        assert limited.status == 429
        assert limited.description == "Too Many Requests: retry after 1"
        assert [call.params["text"] for call in emu.sent_messages()] == ["one", "two"]


async def test_per_chat_limit_only_throttles_that_chat() -> None:
    async with TelegramEmulator(TOKEN, per_chat_limit_per_s=1) as emu, make_bot(emu) as bot:
        await bot.send_message(CHAT, "one")
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "two")
        await bot.send_message(CHAT + 1, "other chat")

        assert [call.params["text"] for call in emu.sent_messages()] == ["one", "other chat"]


async def test_fail_next_injects_telegram_errors(emu: TelegramEmulator, bot: Bot) -> None:
    emu.fail_next("sendMessage", description="Bad Request: chat not found")
    emu.fail_next(
        "sendmessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    emu.fail_next("sendMessage", retry_after=7, times=2)

    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(CHAT, "a")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "b")
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHAT, "c")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
    sent = await bot.send_message(CHAT, "d")

    assert sent.text == "d"
    assert [call.status for call in emu.calls_to("sendMessage")] == [400, 403, 429, 429, 200]


async def test_wrong_token_is_unauthorized(emu: TelegramEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(emu, token="999:WRONG"):
            pass

    (call,) = emu.calls_to("getMe")
    assert call.status == 401
    assert call.description == "Unauthorized"


async def test_unknown_methods_and_case_insensitive_names(emu: TelegramEmulator) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.url}/bot{TOKEN}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with session.get(f"{emu.url}/bot{TOKEN}/GETME") as response:
            assert (await response.json())["result"]["id"] == emu.bot_id

    assert [call.method for call in emu.calls] == ["noSuchMethod", "getMe"]


async def test_callback_queries_can_be_answered_once(emu: TelegramEmulator, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("pick"))
    update = emu.callback_query_update(
        chat_id=CHAT, user_id=USER, data="pick", message_id=sent.message_id
    )
    query_id = update["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    (polled,) = await bot.get_updates()
    assert polled.callback_query is not None
    assert polled.callback_query.message is not None
    assert polled.callback_query.message.message_id == sent.message_id
    with pytest.raises(LookupError):
        emu.callback_query_update(chat_id=CHAT, user_id=USER, data="x", message_id=999)


async def test_a_press_carries_the_users_app_language_after_a_switch(
    emu: TelegramEmulator, bot: Bot
) -> None:
    said = emu.message_update(chat_id=CHAT, user_id=USER, text="hi", first_name="Budi",
                              language_code="id")  # fmt: skip
    sent = await bot.send_message(CHAT, "menu", reply_markup=keyboard("pick"))
    first = emu.callback_query_update(
        chat_id=CHAT, user_id=USER, data="pick", message_id=sent.message_id
    )
    emu.set_user_language(USER, "en", first_name="ignored: the stored name stays")
    second = emu.callback_query_update(
        chat_id=CHAT, user_id=USER, data="pick", message_id=sent.message_id
    )
    emu.set_user_language(USER, "", first_name="Budi")
    third = emu.callback_query_update(
        chat_id=CHAT, user_id=USER, data="pick", message_id=sent.message_id
    )
    emu.set_user_language(USER + 1, "de", first_name="Guest")  # never wrote: a press says who

    assert said["message"]["from"]["language_code"] == "id"  # pushed before: unchanged
    assert first["callback_query"]["from"]["language_code"] == "id"
    assert second["callback_query"]["from"] == {
        "id": USER, "is_bot": False, "first_name": "Budi", "language_code": "en",
    }  # fmt: skip
    assert "language_code" not in third["callback_query"]["from"]
    polled = [u.callback_query for u in await bot.get_updates() if u.callback_query]
    assert [q.from_user.language_code for q in polled] == ["id", "en", None]
    other = await bot.send_message(CHAT + 1, "menu", reply_markup=keyboard("pick"))
    guest = emu.callback_query_update(
        chat_id=CHAT + 1, user_id=USER + 1, data="pick", message_id=other.message_id
    )
    assert guest["callback_query"]["from"]["first_name"] == "Guest"
    assert guest["callback_query"]["from"]["language_code"] == "de"


async def test_commands_chat_actions_and_deletes(emu: TelegramEmulator, bot: Bot) -> None:
    assert await bot.set_my_commands([BotCommand("start", "Start the bot")])
    assert await bot.get_my_commands() == (BotCommand("start", "Start the bot"),)
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(CHAT, "upload_photo")
    sent = await bot.send_message(CHAT, "bye")
    assert await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(CHAT, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])


async def test_wait_for_timeout_lists_the_methods_seen(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_chat_action(CHAT, "typing")

    with pytest.raises(TimeoutError, match=r"Methods seen so far: getMe x1, sendChatAction x1"):
        await emu.wait_for("sendMessage", timeout=0.05)


async def test_webhook_delivery_with_secret_and_retry(emu: TelegramEmulator, bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    attempts: list[int] = []

    async def hook(request: web.Request) -> web.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return web.Response(status=500)
        await received.put(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        url = f"http://127.0.0.1:{port}/hook"
        assert await bot.set_webhook(url, secret_token="s3cret")
        update = emu.message_update(chat_id=CHAT, user_id=USER, text="via hook")
        secret, body = await asyncio.wait_for(received.get(), timeout=5)
        info = await bot.get_webhook_info()
        with pytest.raises(Conflict):
            await bot.get_updates()
    finally:
        await runner.cleanup()

    assert secret == "s3cret"
    assert body == update
    assert len(attempts) == 2
    assert info.url == url
    assert info.last_error_message is not None and "500" in info.last_error_message
    assert await bot.delete_webhook()
    later = emu.message_update(chat_id=CHAT, user_id=USER, text="polled")
    assert [u.update_id for u in await bot.get_updates()] == [later["update_id"]]


def test_api_call_is_a_frozen_record() -> None:
    call = ApiCall("sendMessage", {"chat_id": 1}, 0.0, 429, None, "Too Many Requests")

    assert not call.ok
    with pytest.raises(AttributeError):
        call.status = 200  # type: ignore[misc]
