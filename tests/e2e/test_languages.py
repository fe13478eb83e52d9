"""Photobot in each reader's language, end to end: an Indonesian phone hears no English, a
choice switches at once and survives a restart, an unknown language gets the default, Telegram's
own surfaces are set per language, and each admin reads alerts in their own."""

from __future__ import annotations

import json
import re
from typing import Any

from bot import texts
from bot.errors import FailureKind
from bot.locales import speaking
from bot.sandbox.emulators.telegram import ApiCall
from tests.catalogue import catalogue, sources
from tests.e2e.test_commands import RESULT, command, mp4, send_video
from tests.harness import BotHarness, StartBot

ID = {"language_code": "id"}
ADMIN_ID, ADMIN_EN = 5151, 5152


def indonesian(message: Any, **values: Any) -> str:
    with speaking("id"):
        return str(message(**values))


def _english_fragments() -> list[str]:
    """Pieces of English sentences (placeholders cut out) that Indonesian never contains."""
    translated = catalogue("id")
    fragments = []
    for source in sources():
        message = translated.get(source)
        if message is not None and message.string == source:
            continue  # the same in both languages ("Anime", "Cyberpunk")
        fragments += [f.strip() for f in re.split(r"\{[^}]*\}|\n", source) if len(f.strip()) > 14]
    return fragments


ENGLISH = _english_fragments()


def shown(bot: BotHarness, chat: int) -> list[str]:
    """Every text the chat was shown: messages, edits, captions and button labels."""
    out = []
    for call in bot.telegram.calls:
        if not call.ok or int(call.params.get("chat_id", 0) or 0) != chat:
            continue
        out += [str(call.params[k]) for k in ("text", "caption") if call.params.get(k)]
        out += _button_labels(call)
    return out


def _button_labels(call: ApiCall) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [str(button.get("text", "")) for row in rows for button in row]


def assert_no_english(texts_seen: list[str]) -> None:
    leaks = [(f, t[:60]) for t in texts_seen for f in ENGLISH if f in t]
    assert leaks == []


async def test_an_indonesian_phone_hears_no_english(bot: BotHarness) -> None:
    chat = bot.new_user()
    command(bot, chat, "/start", **ID)
    await bot.wait_said(chat, lambda t: t == indonesian(texts.START))

    bot.send_photo(chat, caption="jadikan lukisan cat air", **ID)
    task = await bot.submitted_task()
    bot.kie.finish(task.task_id, result_urls=[bot.kie.add_result_file(RESULT)])
    assert (await bot.kie.send_callback(task.task_id))[0] == 200
    [result] = await bot.wait_sent(chat)
    assert result.params["caption"] == indonesian(texts.DONE)

    bot.send_photo(chat, caption="sesuatu", **ID)  # a failed job
    failed = await bot.submitted_task(count=2)
    bot.kie.finish(failed.task_id, fail_code="500", fail_msg="internal error")
    await bot.kie.send_callback(failed.task_id)
    failure = indonesian(lambda: texts.failure_text(FailureKind.FAILED))
    await bot.wait_said(chat, lambda t: t == failure)

    command(bot, chat, "/dance", **ID)  # a refused video: too long for the model
    send_video(bot, chat, mp4(), 45, **ID)
    await bot.wait_said(chat, lambda t: "45 detik" in t)

    command(bot, chat, "/cancel", **ID)
    await bot.wait_said(chat, lambda t: t == indonesian(texts.CANCELLED))
    bot.send_photo(chat, **ID)  # the style keyboard
    await bot.wait_said(chat, lambda t: t == indonesian(texts.PICK_STYLE))
    command(bot, chat, "/settings", **ID)
    await bot.wait_said(chat, lambda t: t == indonesian(texts.SETTINGS))

    seen = shown(bot, chat)
    assert len(seen) >= 8 and any("Cat air" in label for label in seen)
    assert_no_english(seen)


async def test_a_choice_switches_at_once_and_survives_a_restart(start_bot: StartBot) -> None:
    async with start_bot() as first:
        chat = first.new_user()
        command(first, chat, "/language id")  # an English phone choosing Indonesian
        await first.wait_said(chat, lambda t: t == indonesian(texts.LANGUAGE_SET))
    async with start_bot() as second:
        command(second, chat, "/help")
        await second.wait_said(chat, lambda t: t == indonesian(texts.HELP))
        command(second, chat, "/language en", **ID)  # and back, on an Indonesian phone
        await second.wait_said(chat, lambda t: t == texts.LANGUAGE_SET())
        command(second, chat, "/help", **ID)
        await second.wait_said(chat, lambda t: t == texts.HELP(), count=1)


async def test_the_language_buttons_switch_too(bot: BotHarness) -> None:
    chat = bot.new_user()
    update = command(bot, chat, "/language")
    [offer] = await bot.wait_said(chat, lambda t: t == texts.LANGUAGE_ASK())
    assert {"English", "Bahasa Indonesia"} <= {label.lstrip("✓ ") for label in
                                               _button_labels(offer)}  # fmt: skip
    message_id = offer.result["message_id"]
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=f"set:{chat}:language:id", message_id=message_id
    )
    await bot.wait_said(chat, lambda t: t == indonesian(texts.SETTINGS))
    assert update["message"]["text"] == "/language"


async def test_an_unknown_language_gets_the_default(start_bot: StartBot) -> None:
    async with start_bot() as english:
        chat = english.new_user()
        command(english, chat, "/help", language_code="de")
        await english.wait_said(chat, lambda t: t == texts.HELP())
    async with start_bot(default_language="id") as indonesian_default:
        chat = indonesian_default.new_user()
        command(indonesian_default, chat, "/help", language_code="de")
        await indonesian_default.wait_said(chat, lambda t: t == indonesian(texts.HELP))
        command(indonesian_default, chat, "/language xx", language_code="de")
        await indonesian_default.wait_said(chat, lambda t: t == indonesian(texts.LANGUAGE_UNKNOWN))


async def test_telegram_s_menu_and_descriptions_are_set_per_language(bot: BotHarness) -> None:
    commands = bot.telegram.calls_to("setMyCommands")
    codes = sorted(str(c.params.get("language_code") or "") for c in commands if c.ok)
    assert codes == ["", "en", "id"]
    menu_id = next(c for c in commands if c.params.get("language_code") == "id")
    assert {
        "command": "language",
        "description": indonesian(dict(texts.COMMAND_MENU)["language"]),
    } in (menu_id.params["commands"])
    assert bot.telegram.description("id") == indonesian(texts.DESCRIPTION)
    assert bot.telegram.description("de") == texts.DESCRIPTION()  # the default: English
    assert bot.telegram.short_descriptions["id"] == indonesian(texts.SHORT_DESCRIPTION)


async def test_each_admin_reads_alerts_in_their_own_language(start_bot: StartBot) -> None:
    async with start_bot(admin_ids=f"{ADMIN_ID},{ADMIN_EN}") as bot:
        command(bot, ADMIN_ID, "/language id")
        await bot.wait_said(ADMIN_ID, lambda t: t == indonesian(texts.LANGUAGE_SET))
        bot.kie.fail_next_create(402, "credits insufficient", times=3)
        chat = bot.new_user()
        bot.send_photo(chat, caption="anything")

        alert_id = indonesian(lambda: texts.operator_alert(FailureKind.NO_CREDITS, "kie"))
        await bot.wait_said(ADMIN_ID, lambda t: alert_id in t)
        alert_en = texts.operator_alert(FailureKind.NO_CREDITS, "kie")
        await bot.wait_said(ADMIN_EN, lambda t: alert_en in t)
        assert alert_id != alert_en
