"""/settings: a keyboard of options, remembered per user, pressed only by its owner."""

from __future__ import annotations

from typing import Any

from bot import texts
from tests.harness import BotHarness


def labels(markup: dict[str, Any]) -> list[str]:
    return [button["text"] for row in markup["inline_keyboard"] for button in row]


def data_of(markup: dict[str, Any], label: str) -> str:
    return next(
        b["callback_data"] for row in markup["inline_keyboard"] for b in row if b["text"] == label
    )


async def test_a_choice_is_remembered_and_shown(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/settings")
    [menu] = await bot.wait_sent(chat, "sendMessage")
    markup = menu.params["reply_markup"]
    assert menu.params["text"] == texts.SETTINGS()
    assert "Aspect ratio: auto" in labels(markup) and "Video engine: grok" in labels(markup)

    message_id = menu.result["message_id"]
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=data_of(markup, "Aspect ratio: auto"),
        message_id=message_id,
    )  # fmt: skip
    [opened] = await bot.telegram.wait_for("editMessageText")
    assert "✓ auto" in labels(opened.params["reply_markup"])

    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=data_of(opened.params["reply_markup"], "16:9"),
        message_id=message_id,
    )  # fmt: skip
    edits = await bot.telegram.wait_for("editMessageText", count=2)
    assert "Aspect ratio: 16:9" in labels(edits[1].params["reply_markup"])
    assert await bot.redis.hget(f"settings:{chat}", "aspect_ratio") == "16:9"


async def chosen(bot: BotHarness, user: int) -> dict[str, str]:
    """What the user chose in /settings (the hash also remembers their app's language)."""
    saved = await bot.redis.hgetall(f"settings:{user}")
    return {key: value for key, value in saved.items() if key != "telegram_language"}


async def test_someone_elses_settings_keyboard_does_nothing(bot: BotHarness) -> None:
    group, owner, other = -1007770001, bot.new_user(), bot.new_user()
    bot.telegram.message_update(chat_id=group, user_id=owner, text="/settings")
    [menu] = await bot.wait_sent(group, "sendMessage")
    engine = data_of(menu.params["reply_markup"], "Video engine: grok")

    bot.telegram.callback_query_update(
        chat_id=group, user_id=other, data=f"{engine}:sora", message_id=menu.result["message_id"]
    )

    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.SETTINGS_NOT_YOURS()
    assert await chosen(bot, owner) == {}
    assert await chosen(bot, other) == {}


async def test_a_forged_value_is_refused(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/settings")
    [menu] = await bot.wait_sent(chat, "sendMessage")

    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=f"set:{chat}:resolution:64K",
        message_id=menu.result["message_id"],
    )  # fmt: skip

    [answer] = await bot.telegram.wait_for("answerCallbackQuery")
    assert answer.params["text"] == texts.SETTINGS_UNKNOWN()
    assert await chosen(bot, chat) == {}


async def test_a_users_settings_reach_the_model(bot: BotHarness) -> None:
    chat = bot.new_user()
    await bot.redis.hset(f"settings:{chat}", mapping={"aspect_ratio": "16:9", "resolution": "2K"})

    bot.send_photo(chat, caption="wide please")

    task = await bot.submitted_task()
    assert (task.input["aspect_ratio"], task.input["resolution"]) == ("16:9", "2K")
    assert task.input["output_format"] == "png"


async def test_a_double_tap_on_a_choice_is_no_error(bot: BotHarness) -> None:
    chat = bot.new_user()
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/settings")
    [menu] = await bot.wait_sent(chat, "sendMessage")
    message_id = menu.result["message_id"]
    bot.telegram.callback_query_update(
        chat_id=chat, user_id=chat, data=data_of(menu.params["reply_markup"], "Aspect ratio: auto"),
        message_id=message_id,
    )  # fmt: skip
    [opened] = await bot.telegram.wait_for("editMessageText")
    choice = data_of(opened.params["reply_markup"], "16:9")
    for _ in range(2):  # the second tap lands after the first one's edit
        bot.telegram.callback_query_update(chat_id=chat, user_id=chat, data=choice,
                                           message_id=message_id)  # fmt: skip
    await bot.telegram.wait_for("answerCallbackQuery", count=3)
    await bot.telegram.wait_for("editMessageText", lambda c: not c.ok, count=1)

    # The same user's next update is handled after the taps (and any error they raised).
    bot.telegram.message_update(chat_id=chat, user_id=chat, text="/settings")
    await bot.wait_sent(chat, "sendMessage", count=2)

    refused = [c for c in bot.telegram.calls_to("editMessageText") if not c.ok]
    assert len(refused) == 1 and "not modified" in str(refused[0].description)  # it happened
    assert not [c for c in bot.telegram.calls_to("sendMessage")
                if c.params.get("text") == texts.SOMETHING_WRONG()]  # fmt: skip
