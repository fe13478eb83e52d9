"""/broadcast: the admin's next message, previewed and confirmed, reaches every user who ever
wrote to the bot once, skipping the banned and those who blocked it, with one edited progress
message and a final count."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from bot import constants as k
from bot import texts
from bot.sandbox.emulators.telegram import ApiCall
from tests.harness import BotHarness, eventually
from tests.images import png

ADMIN = 4242


def copies_to(bot: BotHarness, chat: int) -> list[ApiCall]:
    return [c for c in bot.telegram.calls_to("copyMessage")
            if c.ok and int(c.params["chat_id"]) == chat]  # fmt: skip


def buttons(call: ApiCall) -> dict[str, str]:
    rows: list[list[dict[str, Any]]] = call.params["reply_markup"]["inline_keyboard"]
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def draft(bot: BotHarness, **message: Any) -> ApiCall:
    """The admin opens a broadcast and sends its message; returns the confirmation."""
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/broadcast")
    await bot.wait_said(ADMIN, lambda t: t == texts.BROADCAST_ASK())
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, **message)
    [confirm] = await bot.wait_said(ADMIN, lambda t: t.startswith("That's the preview"))
    return confirm


def press(bot: BotHarness, confirm: ApiCall, label: str, user: int = ADMIN) -> None:
    bot.telegram.callback_query_update(
        chat_id=ADMIN, user_id=user, data=buttons(confirm)[label],
        message_id=confirm.result["message_id"],
    )  # fmt: skip


async def test_a_broadcast_reaches_everyone_once_and_skips_who_blocked_or_is_banned(
    bot: BotHarness, redis: Redis
) -> None:
    users = [bot.new_user() for _ in range(12)]
    for user in users:
        bot.telegram.message_update(chat_id=user, user_id=user, text="/start")
    await eventually(lambda: len(bot.telegram.calls_to("sendMessage")) >= len(users))
    blocked, banned = set(users[:3]), users[3]
    bot.telegram.blocked_by.update(blocked)
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text=f"/ban {banned}")
    await bot.wait_said(ADMIN, lambda t: t == texts.BANNED(user=str(banned)))

    confirm = await draft(bot, text="Big news: videos are twice as fast now")
    assert confirm.params["text"] == texts.BROADCAST_CONFIRM(len(users))  # 12 + admin - banned
    [preview] = copies_to(bot, ADMIN)
    press(bot, confirm, texts.BROADCAST_SEND())
    press(bot, confirm, texts.BROADCAST_SEND())  # pressed twice: still one broadcast
    final = texts.broadcast_done(sent=len(users) - 3, blocked=3, failed=0)
    await bot.wait_said(ADMIN, lambda t: t == final)

    reached = [u for u in users if u not in blocked and u != banned]
    assert all(len(copies_to(bot, u)) == 1 for u in reached)
    assert len(copies_to(bot, ADMIN)) == 2  # the preview, and the admin's own copy
    assert not copies_to(bot, banned)
    refused = [c for c in bot.telegram.calls_to("copyMessage") if c.status == 403]
    assert {int(c.params["chat_id"]) for c in refused} == blocked  # the fault really happened
    assert await redis.smembers(k.INACTIVE_USERS_KEY) == {str(u) for u in blocked}
    answers = [c.params.get("text") for c in bot.telegram.calls_to("answerCallbackQuery")]
    assert texts.BROADCAST_GONE() in answers
    assert preview.params["message_id"] == copies_to(bot, reached[0])[0].params["message_id"]

    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="/stats")
    [stats] = await bot.wait_said(ADMIN, lambda t: t.startswith("Photobot stats"))
    active = texts.STATS_ACCESS(active=str(len(users) + 1 - 3), banned="1", refused="0")
    assert active in stats.params["text"]
    back = users[0]  # a user who blocked the bot writes again: active again
    bot.telegram.message_update(chat_id=back, user_id=back, text="/help")
    await eventually(lambda: _not_member(redis, back))


async def _not_member(redis: Redis, user: int) -> bool:
    return not await redis.sismember(k.INACTIVE_USERS_KEY, str(user))


async def test_a_photo_with_a_caption_is_copied_as_it_is(bot: BotHarness) -> None:
    user = bot.new_user()
    bot.telegram.message_update(chat_id=user, user_id=user, text="/start")
    await bot.wait_said(user, lambda t: t == texts.START())
    file_id, _ = bot.telegram.add_file(png(text=b"poster"))
    confirm = await draft(bot, photo_file_id=file_id, caption="Our new styles")
    press(bot, confirm, texts.BROADCAST_SEND())
    await bot.wait_said(ADMIN, lambda t: t == texts.broadcast_done(sent=2, blocked=0, failed=0))

    [copy] = copies_to(bot, user)
    source = copy.params["message_id"]
    assert copy.params["from_chat_id"] == ADMIN and isinstance(source, int)


async def test_only_an_admin_broadcasts_and_cancel_sends_nothing(bot: BotHarness) -> None:
    user = bot.new_user()
    bot.telegram.message_update(chat_id=user, user_id=user, text="/broadcast")
    await bot.wait_said(user, lambda t: t == texts.ADMIN_ONLY())

    confirm = await draft(bot, text="never mind")
    press(bot, confirm, texts.BROADCAST_SEND(), user=user)  # someone else's press
    [alert] = await bot.telegram.wait_for("answerCallbackQuery")
    assert alert.params["text"] == texts.ADMIN_ONLY()
    press(bot, confirm, texts.BROADCAST_DROP())
    await bot.wait_said(ADMIN, lambda t: t == texts.BROADCAST_DROPPED())
    press(bot, confirm, texts.BROADCAST_SEND())  # too late
    await bot.telegram.wait_for("answerCallbackQuery", count=3)

    assert copies_to(bot, user) == [] and len(copies_to(bot, ADMIN)) == 1  # the preview only
    bot.telegram.message_update(chat_id=ADMIN, user_id=ADMIN, text="a normal message")
    await bot.wait_said(ADMIN, lambda t: t != texts.BROADCAST_DROPPED() and "preview" not in t)
    assert len(copies_to(bot, ADMIN)) == 1  # the draft is gone: no new preview
